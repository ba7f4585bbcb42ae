// download_dump: the scratch file for pg_restore -j, checked whole, never left behind.
#include "app/restore/dump_download.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "codec/digest.h"
#include "fakes/fake_object_store.h"
#include "fakes/stored_dump.h"
#include "fakes/temp_dir.h"

namespace erp::app {
namespace {

using testing::FakeObjectStore;

std::string archive_bytes() {
  return testing::dump_archive_bytes(300'000);
}

catalog::StreamRecord record(std::string key, std::string compression, const std::string& stored) {
  return testing::stored_dump_record(std::move(key), std::move(compression), stored);
}

std::string file_content(const ScratchDump& dump) {
  ScratchReader reader(dump);
  std::string out;
  std::string buffer(7777, '\0');
  for (;;) {
    auto n = reader.read({buffer.data(), buffer.size()});
    REQUIRE(n.has_value());
    if (*n == 0) return out;
    out.append(buffer.data(), *n);
  }
}

bool empty_dir(const std::filesystem::path& dir) {
  return std::filesystem::directory_iterator(dir) == std::filesystem::directory_iterator();
}

constexpr const char* kKey = "erp/prod/db/20261130T020000Z.dump";
constexpr const char* kZstdKey = "erp/prod/db/20261130T020000Z.dump.zst";

}  // namespace

TEST_CASE("a dump is downloaded whole into a file without a name, checked against the manifest") {
  const std::string archive = archive_bytes();
  FakeObjectStore store;
  store.set_get_chunk_size(4093);
  store.seed(kKey, archive);
  testing::TempDir dir;
  for (bool tmpfile : {true, false}) {
    CAPTURE(tmpfile);
    Cancellation cancellation;
    auto dump = download_dump(store, record(kKey, "none", archive),
                              {.scratch_dir = dir.path(),
                               .set_id = "20261130T020000Z",
                               .concurrency = 3,
                               .range_bytes = 10'000,
                               .allow_tmpfile = tmpfile},
                              cancellation);
    REQUIRE_MESSAGE(dump.has_value(), dump.error().message);
    CHECK(empty_dir(dir.path()));  // the file is there, but has no name
    CHECK(file_content(**dump) == archive);
    CHECK((*dump)->bytes == archive.size());
    CHECK((*dump)->stored().bytes() == archive.size());
    CHECK((*dump)->stored().hex() == codec::sha256_hex({archive.data(), archive.size()}));
    CHECK((*dump)->ranges == 31);
    CHECK((*dump)->peak_buffers <= 4);
    CHECK((*dump)->description().find(tmpfile ? "O_TMPFILE" : "unlinked") != std::string::npos);
  }
}

TEST_CASE("a zstd-stored dump is decoded into the file; the hash is of the stored bytes") {
  const std::string archive = archive_bytes();
  const std::string frame = testing::zstd_frame(archive);
  FakeObjectStore store;
  store.seed(kZstdKey, frame);
  testing::TempDir dir;
  Cancellation cancellation;
  auto dump = download_dump(store, record(kZstdKey, "zstd", frame),
                            {.scratch_dir = dir.path(), .concurrency = 2, .range_bytes = 1000},
                            cancellation);
  REQUIRE_MESSAGE(dump.has_value(), dump.error().message);
  CHECK(file_content(**dump) == archive);
  CHECK((*dump)->bytes == archive.size());
  CHECK((*dump)->stored().bytes() == frame.size());
  CHECK((*dump)->stored().hex() == codec::sha256_hex({frame.data(), frame.size()}));
}

TEST_CASE("a dump whose bytes differ from the manifest is refused and leaves nothing") {
  const std::string archive = archive_bytes();
  std::string corrupt = archive;
  corrupt[archive.size() / 2] ^= 0x40;
  FakeObjectStore store;
  store.seed(kKey, corrupt);
  testing::TempDir dir;
  Cancellation cancellation;
  auto dump = download_dump(store, record(kKey, "none", archive),
                            {.scratch_dir = dir.path(), .range_bytes = 8192}, cancellation);
  REQUIRE_FALSE(dump.has_value());
  CHECK(dump.error().kind == ErrorKind::corrupt);
  CHECK(dump.error().message.find(std::string(kKey) + ": SHA-256") != std::string::npos);
  CHECK(empty_dir(dir.path()));

  // A size that differs is refused before any byte is fetched.
  store.seed(kKey, archive + "x");
  const int gets = store.count(FakeObjectStore::Op::get_object);
  dump = download_dump(store, record(kKey, "none", archive), {.scratch_dir = dir.path()},
                       cancellation);
  REQUIRE_FALSE(dump.has_value());
  CHECK(dump.error().kind == ErrorKind::corrupt);
  CHECK(dump.error().message.find("the manifest says") != std::string::npos);
  CHECK(store.count(FakeObjectStore::Op::get_object) == gets);
}

TEST_CASE("the scratch directory is checked first: missing, or too small, is a config error") {
  const std::string archive = archive_bytes();
  FakeObjectStore store;
  store.seed(kKey, archive);
  testing::TempDir dir;
  Cancellation cancellation;
  auto missing = download_dump(store, record(kKey, "none", archive),
                               {.scratch_dir = dir.path() / "absent"}, cancellation);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind == ErrorKind::config);
  CHECK(missing.error().message.starts_with("RESTORE_SCRATCH_DIR " +
                                            (dir.path() / "absent").string()));

  catalog::StreamRecord huge = record(kKey, "none", archive);
  huge.bytes = std::uint64_t{1} << 60;
  auto small = download_dump(store, huge, {.scratch_dir = dir.path()}, cancellation);
  REQUIRE_FALSE(small.has_value());
  CHECK(small.error().kind == ErrorKind::config);
  CHECK(small.error().message.find("too little space: the dump needs 1152921504606846976 bytes") !=
        std::string::npos);
  CHECK(store.count(FakeObjectStore::Op::head_object) == 0);
  CHECK(scratch_bytes_needed(record(kKey, "zstd", archive), true) == 4 * archive.size());
}

TEST_CASE("a cancelled download stops and leaves nothing") {
  const std::string archive = archive_bytes();
  FakeObjectStore store;
  store.seed(kKey, archive);
  testing::TempDir dir;
  Cancellation cancellation;
  cancellation.cancel(15);
  auto dump = download_dump(store, record(kKey, "none", archive),
                            {.scratch_dir = dir.path(), .range_bytes = 1000}, cancellation);
  REQUIRE_FALSE(dump.has_value());
  CHECK(dump.error().kind == ErrorKind::cancelled);
  CHECK(empty_dir(dir.path()));
}

}  // namespace erp::app
