// URL-valued settings (AWS_ENDPOINT_URL*, AWS_CONTAINER_CREDENTIALS_FULL_URI, PUSHGATEWAY_URL):
// checked when the settings load, and never echoed with their userinfo.
//
// A URL's userinfo ("user:password@") is a credential: no message, log line or error of the tool
// shows it. A URL setting holding one is refused (the tool's credentials come from their own
// settings, and a password in a URL ends up in process listings and logs), and the refusal quotes
// the URL with the userinfo replaced by "<redacted>".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace erp::config {

// `url` with the userinfo of its authority, if any, replaced by "<redacted>"
// ("https://<redacted>@host:9091/x"); any other text is returned unchanged. Pure.
std::string redact_userinfo(std::string_view url);

struct UrlRules {
  bool query_allowed = false;  // "?..." (a fragment "#..." is never allowed)
  // How a good value looks, ending the hint: "a URL such as http://127.0.0.1:9000".
  std::string_view example;
};

// The problem with `url` as the value of `variable`, or nullopt when it is usable: scheme http://
// or https://, no userinfo, a host (a name, an IPv4 address or a bracketed IPv6 address) without
// whitespace, an optional port 1 to 65535, any path, a query only when `rules` allow one, no
// fragment, no whitespace or control characters anywhere. The message names the variable, quotes
// the URL with everything between "://" and its last '@' redacted (more than redact_userinfo():
// a malformed URL may hide a password where a parser would not look, "http://u:pa/ss@host"), and
// ends with a hint, e.g.
//   "malformed PUSHGATEWAY_URL 'http://<redacted>@pg:9091' (hint: no credentials in the URL:
//    they would show in logs; the Pushgateway's base URL, e.g. http://pushgateway:9091)"
std::optional<std::string> url_setting_problem(std::string_view variable, std::string_view url,
                                               const UrlRules& rules);

}  // namespace erp::config
