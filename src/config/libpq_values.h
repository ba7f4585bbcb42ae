// Values of the libpq settings (PGPORT, PGSSLMODE, ... and their RESTORE_PG* twins) that can be
// judged before anything connects. libpq itself only looks at them when it connects, so without
// this a PGPORT=abc surfaced as a failed database stream after the documents had been uploaded
// (exit 3) instead of a configuration error before anything started (exit 2, SPEC §3).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace erp::config {

// The hint for a value libpq would refuse for `keyword` (a libpq connection keyword: "port",
// "sslmode", ...), or nullopt when the value is valid or the keyword is not judged here. Judged:
//   port                       one number 1..65535, or one per host separated by commas (an
//                              empty item means the default, as in libpq)
//   connect_timeout            a whole number of seconds, 0 or more
//   sslmode                    disable allow prefer require verify-ca verify-full
//   gssencmode                 disable prefer require
//   channel_binding            disable prefer require
//   sslcertmode                disable allow require
//   sslnegotiation             postgres direct
//   target_session_attrs       any read-write read-only primary standby prefer-standby
//   ssl_min/max_protocol_version  TLSv1 TLSv1.1 TLSv1.2 TLSv1.3
// Surrounding spaces are accepted where libpq accepts them (numbers). Pure.
std::optional<std::string> libpq_value_hint(std::string_view keyword, std::string_view value);

}  // namespace erp::config
