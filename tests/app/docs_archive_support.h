// Test support for the documents' read side (docs_staging_test, drill_test): a stored archive
// (zstd of a tar) and a manifest whose docs record matches it.
#pragma once

#include <doctest/doctest.h>

#include <span>
#include <string>
#include <string_view>

#include "catalog/manifest.h"
#include "codec/digest.h"
#include "codec/zstd_sink.h"
#include "fakes/memory_sink.h"

namespace erp::testing {

inline constexpr std::string_view kDocsKey = "erp/prod/docs/20261130T020000Z.tar.zst";

inline std::string zstd_of(const std::string& plain) {
  MemorySink stored;
  auto zstd = codec::ZstdSink::create(stored, {.level = 3, .workers = 0});
  REQUIRE(zstd.has_value());
  REQUIRE((*zstd)->write(std::span<const char>(plain.data(), plain.size())).has_value());
  REQUIRE((*zstd)->finish().has_value());
  return stored.data();
}

// A manifest whose docs record (at kDocsKey) matches `stored` (size, SHA-256) with these counts.
inline catalog::Manifest manifest_for(const std::string& stored, std::uint64_t files,
                                      std::uint64_t content_bytes,
                                      std::uint64_t other_entries = 0) {
  catalog::Manifest manifest;
  manifest.id = "20261130T020000Z";
  manifest.docs = catalog::StreamRecord{.key = std::string(kDocsKey),
                                        .status = catalog::StreamStatus::committed,
                                        .bytes = stored.size(),
                                        .sha256 = codec::sha256_hex(std::span<const char>(stored)),
                                        .compression = "zstd"};
  manifest.documents = catalog::DocumentsRecord{.root = "/var/www/documents",
                                                .files = files,
                                                .directories = other_entries,
                                                .uncompressed_bytes = content_bytes};
  return manifest;
}

}  // namespace erp::testing
