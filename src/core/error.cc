#include "core/error.h"

namespace erp {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::transient:
      return "transient";
    case ErrorKind::permanent:
      return "permanent";
    case ErrorKind::config:
      return "config";
    case ErrorKind::cancelled:
      return "cancelled";
    case ErrorKind::corrupt:
      return "corrupt";
    case ErrorKind::not_found:
      return "not_found";
  }
  return "unknown";
}

Error Error::with_context(std::string_view context) const {
  Error copy = *this;
  copy.message = std::string(context) + ": " + message;
  return copy;
}

}  // namespace erp
