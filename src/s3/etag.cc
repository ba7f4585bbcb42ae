#include "s3/etag.h"

#include <algorithm>
#include <cctype>

#include "codec/digest.h"

namespace erp::s3 {
namespace {

bool all_hex(std::string_view text) {
  return std::ranges::all_of(
      text, [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

char hex_value(char c) {
  const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return static_cast<char>(l <= '9' ? l - '0' : l - 'a' + 10);
}

}  // namespace

bool is_md5_etag(std::string_view etag) {
  return etag.size() == 32 && all_hex(etag);
}

bool is_multipart_etag(std::string_view etag) {
  if (etag.size() < 34 || etag[32] != '-' || !is_md5_etag(etag.substr(0, 32))) return false;
  const std::string_view count = etag.substr(33);
  return count.size() <= 5 &&
         std::ranges::all_of(count, [](char c) { return c >= '0' && c <= '9'; }) &&
         count.front() != '0';
}

std::optional<std::string> multipart_etag(const std::vector<CompletedPart>& parts) {
  if (parts.empty()) return std::nullopt;
  std::string digests;
  digests.reserve(parts.size() * 16);
  for (const CompletedPart& part : parts) {
    if (!is_md5_etag(part.etag)) return std::nullopt;
    for (std::size_t i = 0; i < 32; i += 2) {
      digests.push_back(
          static_cast<char>(hex_value(part.etag[i]) * 16 + hex_value(part.etag[i + 1])));
    }
  }
  return codec::md5_hex(digests) + "-" + std::to_string(parts.size());
}

std::optional<bool> same_etag(std::string_view a, std::string_view b) {
  const bool md5 = is_md5_etag(a) && is_md5_etag(b);
  const bool multipart = is_multipart_etag(a) && is_multipart_etag(b);
  if (!md5 && !multipart) return std::nullopt;
  return lower(a) == lower(b);
}

}  // namespace erp::s3
