// The documents stream as the backup command assembles it: write_tar -> ZstdSink -> Sha256Tap ->
// (the multipart sink; here memory), checked with the standard tools an operator would use.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "archive/tar_test_support.h"
#include "archive/tar_writer.h"
#include "codec/digest.h"
#include "codec/sha256_tap.h"
#include "codec/zstd_sink.h"
#include "codec/zstd_source.h"
#include "core/cancellation.h"
#include "fakes/memory_sink.h"

namespace erp::archive {
namespace {

using testing::MemorySink;
using testing::MemorySource;
using testing::TempDir;

std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string data(size, '\0');
  for (char& c : data) c = static_cast<char>(random() & 0xff);
  return data;
}

void build_documents(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  for (int year = 2019; year <= 2026; ++year) {
    const fs::path dir = root / "facture" / std::to_string(year);
    fs::create_directories(dir);
    for (int n = 0; n < 5; ++n) {
      std::string text;
      for (int line = 0; line < 2000; ++line) {
        text += "FA" + std::to_string(year) + "-" + std::to_string(n) + " line " +
                std::to_string(line) + " total 1234.56 EUR\n";
      }
      testing::write_file(dir / ("FA" + std::to_string(n) + ".txt"), text);
    }
  }
  fs::create_directories(root / "ecm/scans");
  testing::write_file(root / "ecm/scans/scan \xc3\xa9t\xc3\xa9.pdf", random_bytes(2500000, 5));
  fs::create_symlink("../../facture/2026/FA0.txt", root / "ecm/scans/latest");
}

TEST_CASE(
    "tar -> zstd -> sha256 tap: the stored bytes hash as recorded, and zstd -d | tar -t "
    "lists every entry") {
  TempDir source;
  build_documents(source.path());

  MemorySink stored;
  codec::Sha256Tap tap(stored);
  auto zstd = codec::ZstdSink::create(tap, {.level = 3, .workers = 2});
  REQUIRE(zstd);
  Cancellation cancellation;
  const auto stats = write_tar(source.path(), **zstd, {}, cancellation);
  REQUIRE(stats);
  REQUIRE((*zstd)->finish());
  CHECK(stored.finish_calls() == 1);
  CHECK(stored.abort_calls() == 0);

  // The tap saw exactly the stored bytes.
  CHECK(tap.bytes() == stored.data().size());
  CHECK(tap.hex() == codec::sha256_hex(stored.bytes()));
  CHECK((*zstd)->bytes_out() == stored.data().size());
  CHECK((*zstd)->bytes_in() > stats->bytes);  // content plus headers and padding
  CHECK(stored.data().size() < (*zstd)->bytes_in() / 2);

  // What an operator does with the downloaded object.
  TempDir scratch;
  const auto object = scratch / "docs.tar.zst";
  testing::write_file(object, stored.data());
  auto [status, listing] = testing::run_capture("zstd -q -d -c '" + object.string() +
                                                "' | tar --quoting-style=literal -tf -");
  CHECK(status == 0);
  const std::vector<std::string> listed = testing::split_lines(listing);
  CHECK(listed.size() == stats->entries);
  CHECK(std::find(listed.begin(), listed.end(), "facture/2026/FA4.txt") != listed.end());
  CHECK(std::find(listed.begin(), listed.end(), "ecm/scans/scan \xc3\xa9t\xc3\xa9.pdf") !=
        listed.end());
  CHECK(std::find(listed.begin(), listed.end(), "ecm/scans/latest") != listed.end());
  CHECK(stats->files == 41);
  CHECK(stats->directories == 11);  // facture, its 8 years, ecm, ecm/scans
  CHECK(stats->symlinks == 1);

  // Restore's direction: ZstdSource gives back the very tar bytes write_tar produces (the
  // archive is deterministic, so a second, uncompressed run is the reference).
  MemorySink plain;
  REQUIRE(write_tar(source.path(), plain, {}, cancellation));
  MemorySource compressed(stored.data(), 65536);
  auto decompressed = codec::ZstdSource::create(compressed);
  REQUIRE(decompressed);
  std::string tar;
  std::string buffer(1 << 16, '\0');
  for (;;) {
    auto got = (*decompressed)->read(std::span<char>(buffer.data(), buffer.size()));
    REQUIRE(got);
    if (*got == 0) break;
    tar.append(buffer.data(), *got);
  }
  CHECK(tar == plain.data());
}

TEST_CASE(
    "tar -> zstd -> sha256 tap: a failing upload aborts the chain once, and the tar error "
    "is the upload's") {
  TempDir source;
  build_documents(source.path());
  MemorySink stored;
  stored.fail_on_write(3, Error{ErrorKind::transient, "part 3 failed after 7 attempts"});
  codec::Sha256Tap tap(stored);
  auto zstd = codec::ZstdSink::create(tap, {.level = 3, .workers = 0});
  REQUIRE(zstd);
  Cancellation cancellation;
  const auto stats = write_tar(source.path(), **zstd, {}, cancellation);
  REQUIRE_FALSE(stats);
  CHECK(stats.error().kind == ErrorKind::transient);
  CHECK(stats.error().message == "part 3 failed after 7 attempts");
  (*zstd)->abort();  // what the command does on any error
  CHECK(stored.abort_calls() == 1);
  CHECK(stored.finish_calls() == 0);
}

}  // namespace
}  // namespace erp::archive
