// The names of a small enum's values, as one table per enum: to_string() and parsing read the
// same table, so each name is spelt once. Lookups are linear: these enums have a handful of
// values.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace erp {

template <typename Enum>
using EnumName = std::pair<Enum, std::string_view>;

// The name of `value` in `names`; `fallback` for a value the table lacks (a cast integer).
template <typename Enum, std::size_t N>
constexpr std::string_view name_of(const EnumName<Enum> (&names)[N], Enum value,
                                   std::string_view fallback = "unknown") {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return fallback;
}

// The value `names` calls `text` (exact match); nullopt for any other text.
template <typename Enum, std::size_t N>
constexpr std::optional<Enum> value_named(const EnumName<Enum> (&names)[N], std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace erp
