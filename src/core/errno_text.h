// The text of an errno value ("No such file or directory"), for error messages. Thread-safe
// (strerror's buffer is per thread in glibc; the text is copied out at once).
#pragma once

#include <string>

namespace erp {

std::string errno_text(int error);

}  // namespace erp
