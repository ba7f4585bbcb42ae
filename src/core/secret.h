// A credential value that cannot be printed by accident.
//
// Move-only; the bytes are wiped (OPENSSL_cleanse) when the Secret is destroyed or
// moved from. There is no operator<< and no formatter other than the redacting one:
// the only way to the value is reveal(), and each caller of reveal() is a place
// that legitimately needs the bytes (the signer, a child's environment).
#pragma once

#include <string>
#include <string_view>

namespace erp {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  ~Secret();
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  // The raw value. Borrowed: valid while this Secret lives and is not moved from.
  std::string_view reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  // What logs and errors show instead of the value.
  static constexpr std::string_view kRedacted = "<redacted>";

 private:
  void wipe() noexcept;
  std::string value_;
};

// Overwrites every byte `text` holds, its whole capacity (a shrunk or moved-from string may
// still hold old bytes past its size), then empties it. For copies of credentials that live
// outside a Secret (a child's environment).
void wipe(std::string& text) noexcept;

}  // namespace erp
