#include "app/sets/record_check.h"

namespace erp::app {

std::vector<std::string> record_differences(const catalog::StreamRecord& record,
                                            std::uint64_t bytes, std::string_view sha256_hex) {
  std::vector<std::string> differences;
  if (bytes != record.bytes) {
    differences.push_back(record.key + ": " + std::to_string(bytes) +
                          " bytes stored, the manifest says " + std::to_string(record.bytes));
  }
  if (sha256_hex != record.sha256) {
    differences.push_back(record.key + ": SHA-256 " + std::string(sha256_hex) +
                          ", the manifest says " + record.sha256);
  }
  return differences;
}

std::optional<std::string> record_mismatch(const catalog::StreamRecord& record, std::uint64_t bytes,
                                           std::string_view sha256_hex) {
  const std::vector<std::string> differences = record_differences(record, bytes, sha256_hex);
  if (differences.empty()) return std::nullopt;
  std::string text;
  for (const std::string& difference : differences) text += (text.empty() ? "" : "; ") + difference;
  return text;
}

Result<void> check_against_record(const catalog::StreamRecord& record,
                                  const codec::Sha256Source& hashed) {
  if (!hashed.at_end()) {
    return make_error(ErrorKind::corrupt,
                      record.key +
                          ": the object was not read to its end, so its SHA-256 is "
                          "unknown (a bug: the check came too early)");
  }
  if (auto mismatch = record_mismatch(record, hashed.bytes(), hashed.hex())) {
    return make_error(ErrorKind::corrupt, *mismatch);
  }
  return {};
}

}  // namespace erp::app
