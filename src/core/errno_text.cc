#include "core/errno_text.h"

#include <cstring>

namespace erp {

std::string errno_text(int error) {
  return std::strerror(error);
}

}  // namespace erp
