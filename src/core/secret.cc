#include "core/secret.h"

#include <openssl/crypto.h>

namespace erp {

Secret::~Secret() {
  wipe();
}

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) {
  other.wipe();
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

void Secret::wipe() noexcept {
  // Wipe the whole capacity: a moved-from or shrunk string may still hold old bytes.
  if (value_.capacity() > 0) {
    value_.resize(value_.capacity());
    OPENSSL_cleanse(value_.data(), value_.size());
  }
  value_.clear();
}

}  // namespace erp
