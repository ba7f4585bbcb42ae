// DumpSource reads a stored dump whichever DB_COMPRESSION wrote it (app/restore/dump_source.h).
#include "app/restore/dump_source.h"

#include <doctest/doctest.h>

#include <string>

#include "fakes/fake_object_store.h"
#include "fakes/stored_dump.h"

namespace erp::app {
namespace {

using testing::FakeObjectStore;

Result<std::string> read_all(ByteSource& source) {
  std::string out;
  std::string buffer(100'003, '\0');
  for (;;) {
    auto n = source.read({buffer.data(), buffer.size()});
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return out;
    out.append(buffer.data(), *n);
  }
}

catalog::StreamRecord record(std::string key, std::string compression, const std::string& stored) {
  return testing::stored_dump_record(std::move(key), std::move(compression), stored);
}

}  // namespace

TEST_CASE("a dump is read back as pg_dump wrote it, whichever compression stored it") {
  const std::string archive = testing::dump_archive_bytes();
  const std::string frame = testing::zstd_frame(archive);
  REQUIRE(frame.size() < archive.size() / 4);
  FakeObjectStore store;
  store.set_get_chunk_size(65'521);
  store.seed("erp/prod/db/20261130T020000Z.dump.zst", frame);
  store.seed("erp/prod/db/20261129T020000Z.dump", archive);
  struct Case {
    catalog::StreamRecord record;
    const std::string& stored;
  };
  for (const Case& c : {Case{record("erp/prod/db/20261130T020000Z.dump.zst", "zstd", frame), frame},
                        Case{record("erp/prod/db/20261129T020000Z.dump", "none", archive), archive},
                        // A manifest from before DB_COMPRESSION: no compression field at all.
                        Case{record("erp/prod/db/20261129T020000Z.dump", "", archive), archive}}) {
    CAPTURE(c.record.key);
    CAPTURE(c.record.compression);
    auto source = DumpSource::open(store, c.record);
    REQUIRE(source.has_value());
    const auto read = read_all((*source)->archive());
    REQUIRE_MESSAGE(read.has_value(), read.error().message);
    CHECK(*read == archive);
    // The hash is of the stored bytes (what the manifest records), complete at the end.
    CHECK((*source)->stored().bytes() == c.stored.size());
    CHECK((*source)->stored().hex() == c.record.sha256);
  }
}

TEST_CASE("a damaged or truncated zstd dump is corrupt; an unknown compression is refused") {
  const std::string frame = testing::zstd_frame(testing::dump_archive_bytes());
  FakeObjectStore store;
  std::string flipped = frame;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x20);
  store.seed("erp/prod/db/20261130T020000Z.dump.zst", flipped);
  store.seed("erp/prod/db/20261201T020000Z.dump.zst", frame.substr(0, frame.size() - 100));
  for (const char* key :
       {"erp/prod/db/20261130T020000Z.dump.zst", "erp/prod/db/20261201T020000Z.dump.zst"}) {
    CAPTURE(key);
    auto source = DumpSource::open(store, record(key, "zstd", frame));
    REQUIRE(source.has_value());
    const auto read = read_all((*source)->archive());
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().kind == ErrorKind::corrupt);
  }
  const auto unknown =
      DumpSource::open(store, record("erp/prod/db/20261130T020000Z.dump.zst", "lz4", frame));
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().kind == ErrorKind::corrupt);
  CHECK(unknown.error().message.find("erp/prod/db/20261130T020000Z.dump.zst") != std::string::npos);
}

}  // namespace erp::app
