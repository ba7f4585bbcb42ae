// libpq settings whose values can be judged before anything connects (issue 17: PGPORT=abc was
// found by the db stream, after the documents had been uploaded, and the backup exited 3).
#include "config/libpq_values.h"

#include <doctest/doctest.h>

namespace erp::config {
namespace {

TEST_CASE("ports: one number 1..65535, or one per host, empty items meaning the default") {
  for (const std::string_view good :
       {"5432", "1", "65535", " 5432 ", "5432,5433", "5432,,6432", "+5432"}) {
    CAPTURE(good);
    CHECK_FALSE(libpq_value_hint("port", good).has_value());
  }
  for (const std::string_view bad :
       {"abc", "0", "65536", "-1", "54 32", "5432;5433", "5432,x", "1e3"}) {
    CAPTURE(bad);
    const auto hint = libpq_value_hint("port", bad);
    REQUIRE(hint.has_value());
    CHECK(hint->find("1 to 65535") != std::string::npos);
  }
}

TEST_CASE("connect_timeout: whole seconds") {
  CHECK_FALSE(libpq_value_hint("connect_timeout", "10").has_value());
  CHECK_FALSE(libpq_value_hint("connect_timeout", "0").has_value());
  CHECK(libpq_value_hint("connect_timeout", "10s").has_value());
  CHECK(libpq_value_hint("connect_timeout", "-5").has_value());
}

TEST_CASE("enumerated keywords accept exactly libpq's values and list them in the hint") {
  CHECK_FALSE(libpq_value_hint("sslmode", "verify-full").has_value());
  const auto sslmode = libpq_value_hint("sslmode", "verify_full");
  REQUIRE(sslmode.has_value());
  CHECK(*sslmode == "one of disable allow prefer require verify-ca verify-full");
  CHECK(libpq_value_hint("sslmode", "Require").has_value());  // libpq is case-sensitive here
  CHECK_FALSE(libpq_value_hint("gssencmode", "disable").has_value());
  CHECK(libpq_value_hint("gssencmode", "allow").has_value());
  CHECK_FALSE(libpq_value_hint("channel_binding", "require").has_value());
  CHECK_FALSE(libpq_value_hint("target_session_attrs", "read-write").has_value());
  CHECK(libpq_value_hint("target_session_attrs", "master").has_value());
  CHECK_FALSE(libpq_value_hint("ssl_min_protocol_version", "TLSv1.2").has_value());
  CHECK(libpq_value_hint("ssl_min_protocol_version", "1.2").has_value());
  CHECK_FALSE(libpq_value_hint("sslnegotiation", "direct").has_value());
  CHECK_FALSE(libpq_value_hint("sslcertmode", "allow").has_value());
}

TEST_CASE("keywords not judged here pass whatever their value") {
  CHECK_FALSE(libpq_value_hint("host", "any thing").has_value());
  CHECK_FALSE(libpq_value_hint("options", "-c x=y").has_value());
  CHECK_FALSE(libpq_value_hint("dbname", "").has_value());
}

}  // namespace
}  // namespace erp::config
