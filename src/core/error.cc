#include "core/error.h"

#include "core/enum_names.h"

namespace erp {

constexpr EnumName<ErrorKind> kKindNames[] = {
    {ErrorKind::transient, "transient"}, {ErrorKind::permanent, "permanent"},
    {ErrorKind::config, "config"},       {ErrorKind::cancelled, "cancelled"},
    {ErrorKind::corrupt, "corrupt"},     {ErrorKind::not_found, "not_found"}};

std::string_view to_string(ErrorKind kind) {
  return name_of(kKindNames, kind);
}

Error Error::with_context(std::string_view context) const {
  Error copy = *this;
  copy.message = std::string(context) + ": " + message;
  return copy;
}

}  // namespace erp
