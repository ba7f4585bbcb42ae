// Message digests over byte spans (OpenSSL EVP underneath).
#pragma once

#include <memory>
#include <span>
#include <string>

namespace erp::codec {

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::span<const char> data);
// Base64 of the MD5 of `data`, as Content-MD5 wants it.
std::string md5_base64(std::span<const char> data);
// Lowercase hex MD5 of `data`, as S3 gives a single PUT's ETag (s3/etag.h).
std::string md5_hex(std::span<const char> data);

// A string literal would convert to a span that includes its terminating NUL and hash
// one byte too many; pass std::string_view("...") instead.
template <std::size_t N>
std::string sha256_hex(const char (&)[N]) = delete;
template <std::size_t N>
std::string md5_base64(const char (&)[N]) = delete;
template <std::size_t N>
std::string md5_hex(const char (&)[N]) = delete;

// Incremental SHA-256. Move-only (owns an EVP context).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(std::span<const char> data);
  // Lowercase hex; the object is spent afterwards.
  std::string final_hex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace erp::codec
