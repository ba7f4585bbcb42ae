// Utf8CtypeScope: the calling thread's LC_CTYPE is C.UTF-8 while the object lives.
#pragma once

#include <locale.h>

namespace erp::archive {

// libarchive decides whether a name "is" UTF-8 by converting it from the current locale's
// charset; in the "C" locale (a process that never called setlocale, like ours) every byte
// >= 0x80 fails that conversion and even valid UTF-8 names would be stored as BINARY.
// uselocale() is per thread, so no other thread sees the change. If C.UTF-8 is missing (a libc
// without it), names are still stored byte for byte, only labelled BINARY.
class Utf8CtypeScope {
 public:
  Utf8CtypeScope() : utf8_(newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr))) {
    if (utf8_ != static_cast<locale_t>(nullptr)) previous_ = uselocale(utf8_);
  }
  ~Utf8CtypeScope() {
    if (utf8_ != static_cast<locale_t>(nullptr)) {
      uselocale(previous_);
      freelocale(utf8_);
    }
  }
  Utf8CtypeScope(const Utf8CtypeScope&) = delete;
  Utf8CtypeScope& operator=(const Utf8CtypeScope&) = delete;

 private:
  locale_t utf8_;
  locale_t previous_ = static_cast<locale_t>(nullptr);
};

}  // namespace erp::archive
