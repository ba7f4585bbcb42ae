// The one "size and SHA-256 against the manifest" check (issue 17): what was read back from the
// store, compared with the stream record its manifest holds. Verify reports the differences,
// restore docs and refresh-sandbox refuse on them; the words are the same everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/manifest.h"
#include "codec/sha256_source.h"
#include "core/error.h"

namespace erp::app {

// Each difference between (`bytes`, `sha256_hex`) and `record`, naming the key ("KEY: 10 bytes
// stored, the manifest says 12", "KEY: SHA-256 ab…, the manifest says cd…"); empty when both
// match.
std::vector<std::string> record_differences(const catalog::StreamRecord& record,
                                            std::uint64_t bytes, std::string_view sha256_hex);

// The differences joined by "; ", or nullopt when both match: the one message every command uses.
std::optional<std::string> record_mismatch(const catalog::StreamRecord& record, std::uint64_t bytes,
                                           std::string_view sha256_hex);

// `hashed` must have reached the end of its input (Sha256Source::at_end). Errors: corrupt with
// every difference, joined by "; "; corrupt too when the input was not read to its end.
Result<void> check_against_record(const catalog::StreamRecord& record,
                                  const codec::Sha256Source& hashed);

}  // namespace erp::app
