#include "config/url_setting.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace erp::config {
namespace {

std::string_view scheme_of(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.starts_with(scheme)) return scheme;
  }
  return {};
}

// The authority: what follows "scheme://" up to the first '/', '?' or '#'.
std::string_view authority_of(std::string_view url, std::size_t start) {
  const std::string_view rest = url.substr(start);
  return rest.substr(0, rest.find_first_of("/?#"));
}

bool valid_port(std::string_view text) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && port >= 1 &&
         port <= 65535;
}

bool host_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// Why `host_port` (the authority without userinfo) is unusable, or "".
std::string host_port_problem(std::string_view host_port) {
  std::string_view host = host_port;
  std::string_view port;
  bool has_port = false;
  if (host_port.starts_with('[')) {
    const auto close = host_port.find(']');
    if (close == std::string_view::npos) return "an IPv6 address needs its closing ']'";
    host = host_port.substr(1, close - 1);
    const std::string_view after = host_port.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return "only ':PORT' may follow ']'";
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
    const bool address = !host.empty() && std::ranges::all_of(host, [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
    if (!address) return "'[...]' must hold an IPv6 address";
  } else {
    const auto colon = host_port.find(':');
    if (colon != std::string_view::npos) {
      host = host_port.substr(0, colon);
      port = host_port.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return "no host after ://";
    if (!std::ranges::all_of(host, host_character)) {
      return "the host may hold letters, digits, '.', '-' and '_' only";
    }
  }
  if (has_port && !valid_port(port)) return "the port must be a number from 1 to 65535";
  return "";
}

// A refused URL may hold a password where no parser looks for userinfo: "http://u:pa/ss@host"
// (a '/' in the password ends the authority early). So a refused URL is quoted with everything
// from after the scheme to its last '@' redacted, whatever that covers.
std::string quoted_for_refusal(std::string_view url) {
  const auto at = url.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const auto scheme_end = url.find("://");
  const std::size_t start =
      scheme_end == std::string_view::npos || scheme_end > at ? 0 : scheme_end + 3;
  return std::string(url.substr(0, start)) + "<redacted>" + std::string(url.substr(at));
}

}  // namespace

std::string redact_userinfo(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const std::size_t start = scheme_end + 3;
  const std::string_view authority = authority_of(url, start);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, start)) + "<redacted>" + std::string(url.substr(start + at));
}

std::optional<std::string> url_setting_problem(std::string_view variable, std::string_view url,
                                               const UrlRules& rules) {
  const auto problem = [&](std::string_view why) {
    return "malformed " + std::string(variable) + " '" + quoted_for_refusal(url) +
           "' (hint: " + std::string(why) + "; " + std::string(rules.example) + ")";
  };
  const std::string_view scheme = scheme_of(url);
  if (scheme.empty()) return problem("it must start with http:// or https://");
  const std::string_view authority = authority_of(url, scheme.size());
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    return problem("no credentials in the URL: they would show in logs and process listings");
  }
  if (std::ranges::any_of(
          url, [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return problem("no spaces, line breaks or control characters");
  }
  if (const std::string why = host_port_problem(authority); !why.empty()) return problem(why);
  if (url.find('#') != std::string_view::npos) return problem("no fragment ('#...')");
  if (!rules.query_allowed && url.find('?') != std::string_view::npos) {
    return problem("no query ('?...')");
  }
  return std::nullopt;
}

}  // namespace erp::config
