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
  erp::wipe(value_);
}

void wipe(std::string& text) noexcept {
  if (text.capacity() > 0) {
    text.resize(text.capacity());
    OPENSSL_cleanse(text.data(), text.size());
  }
  text.clear();
}

}  // namespace erp
