#include "config/libpq_values.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>

namespace erp::config {
namespace {

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// A whole number as libpq's parse_int_param reads it (strtol: spaces around, an optional sign).
std::optional<long> whole_number(std::string_view text) {
  text = trimmed(text);
  if (text.starts_with('+')) text.remove_prefix(1);
  long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string one_of(std::initializer_list<std::string_view> values) {
  std::string text = "one of";
  for (std::string_view value : values) text += " " + std::string(value);
  return text;
}

std::optional<std::string> unless_one_of(std::string_view value,
                                         std::initializer_list<std::string_view> values) {
  if (std::ranges::find(values, value) != values.end()) return std::nullopt;
  return one_of(values);
}

}  // namespace

std::optional<std::string> libpq_value_hint(std::string_view keyword, std::string_view value) {
  if (keyword == "port") {
    // libpq: one port per host, comma-separated; an empty item is the default port.
    std::size_t start = 0;
    while (true) {
      const auto comma = value.find(',', start);
      const std::string_view item = value.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (!trimmed(item).empty()) {
        const auto port = whole_number(item);
        if (!port || *port < 1 || *port > 65535) {
          return "a port number from 1 to 65535 (e.g. 5432), or one per host separated by commas";
        }
      }
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return std::nullopt;
  }
  if (keyword == "connect_timeout") {
    const auto seconds = whole_number(value);
    if (!seconds || *seconds < 0) return "a whole number of seconds, e.g. 10 (0: wait forever)";
    return std::nullopt;
  }
  if (keyword == "sslmode") {
    return unless_one_of(value,
                         {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"});
  }
  if (keyword == "gssencmode" || keyword == "channel_binding") {
    return unless_one_of(value, {"disable", "prefer", "require"});
  }
  if (keyword == "sslcertmode") return unless_one_of(value, {"disable", "allow", "require"});
  if (keyword == "sslnegotiation") return unless_one_of(value, {"postgres", "direct"});
  if (keyword == "target_session_attrs") {
    return unless_one_of(
        value, {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"});
  }
  if (keyword == "ssl_min_protocol_version" || keyword == "ssl_max_protocol_version") {
    return unless_one_of(value, {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"});
  }
  return std::nullopt;
}

}  // namespace erp::config
