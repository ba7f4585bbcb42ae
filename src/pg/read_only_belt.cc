#include "pg/read_only_belt.h"

#include <algorithm>
#include <cctype>

#include "core/enum_names.h"

namespace erp::pg {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

constexpr EnumName<ReadOnlyBelt> kBeltNames[] = {{ReadOnlyBelt::in_effect, "in_effect"},
                                                 {ReadOnlyBelt::refused, "refused"},
                                                 {ReadOnlyBelt::not_in_effect, "not_in_effect"}};

std::string_view to_string(ReadOnlyBelt belt) {
  return name_of(kBeltNames, belt);
}

bool refuses_options_parameter(std::string_view error_text) {
  // pgbouncer spells the refusal "unsupported startup parameter: options" (1.18) and, once it
  // learned to accept some settings inside options, "unsupported startup parameter in options:
  // <name>". Both name the parameter right after the phrase; other parameters (which this
  // program never sends) are not this refusal.
  static constexpr std::string_view kPhrase = "unsupported startup parameter";
  const std::string text = lower(error_text);
  for (auto at = text.find(kPhrase); at != std::string::npos;
       at = text.find(kPhrase, at + kPhrase.size())) {
    std::string_view rest = std::string_view(text).substr(at + kPhrase.size());
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ':')) rest.remove_prefix(1);
    if (rest.starts_with("in ")) rest.remove_prefix(3);
    if (rest.starts_with("options") &&
        (rest.size() == 7 ||
         !(std::isalnum(static_cast<unsigned char>(rest[7])) || rest[7] == '_'))) {
      return true;
    }
  }
  return false;
}

std::string refusal_reason(std::string_view error_text) {
  if (!refuses_options_parameter(error_text)) return {};
  const std::size_t start = lower(error_text).find("unsupported startup parameter");
  std::string_view reason = error_text.substr(start);
  reason = reason.substr(0, std::min(reason.find(" (hint:"), reason.find('\n')));
  while (!reason.empty() && reason.back() == ' ') reason.remove_suffix(1);
  return std::string(reason);
}

std::string with_read_only_default(std::string_view options) {
  std::string out(options);
  if (!out.empty()) out += ' ';
  out += kReadOnlyDefaultOption;
  return out;
}

}  // namespace erp::pg
