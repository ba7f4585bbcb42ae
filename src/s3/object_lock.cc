#include "s3/object_lock.h"

#include "core/enum_names.h"
#include "core/time_format.h"

namespace erp::s3 {
namespace {

constexpr EnumName<LockMode> kWireNames[] = {
    {LockMode::governance, "GOVERNANCE"},
    {LockMode::compliance, "COMPLIANCE"},
};

}  // namespace

std::string_view wire_name(LockMode mode) {
  return name_of(kWireNames, mode);
}

std::optional<LockMode> lock_mode_from_wire(std::string_view text) {
  return value_named(kWireNames, text);
}

std::string format_retain_until(std::chrono::sys_seconds when) {
  return format_iso8601_utc(when);
}

Result<std::chrono::sys_seconds> parse_retain_until(std::string_view text) {
  // Stores add milliseconds (".000Z"); the tool's dates are whole seconds.
  std::string whole(text);
  if (const auto dot = whole.find('.');
      dot != std::string::npos && !whole.empty() && whole.back() == 'Z') {
    whole = whole.substr(0, dot) + "Z";
  }
  auto parsed = parse_iso8601_utc(whole);
  if (!parsed) {
    return make_error(ErrorKind::corrupt,
                      "not an Object Lock retain-until date: \"" + std::string(text) + "\"");
  }
  return std::chrono::floor<std::chrono::seconds>(*parsed);
}

}  // namespace erp::s3
