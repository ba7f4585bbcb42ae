// DumpSource reads a stored dump whichever DB_COMPRESSION wrote it (app/restore/dump_source.h).
#include "app/restore/dump_source.h"

#include <doctest/doctest.h>

#include <string>

#include "codec/digest.h"
#include "codec/zstd_sink.h"
#include "fakes/fake_object_store.h"
#include "fakes/memory_sink.h"

namespace erp::app {
namespace {

using testing::FakeObjectStore;

// A stand-in for pg_dump's output: the signature, then compressible "table data".
std::string archive_bytes() {
  std::string data = "PGDMP\x01\x0f\x00";
  for (int row = 0; data.size() < 2'000'000; ++row) {
    data += std::to_string(row) + "\tFA2601-" + std::to_string(row % 9973) + "\t1234.50\tEUR\n";
  }
  return data;
}

std::string zstd_frame(const std::string& data) {
  testing::MemorySink out;
  auto sink = codec::ZstdSink::create(out, {.level = 3, .workers = 0});
  REQUIRE(sink.has_value());
  REQUIRE((*sink)->write({data.data(), data.size()}).has_value());
  REQUIRE((*sink)->finish().has_value());
  return out.data();
}

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
  catalog::StreamRecord r;
  r.key = std::move(key);
  r.status = catalog::StreamStatus::committed;
  r.bytes = stored.size();
  r.sha256 = codec::sha256_hex({stored.data(), stored.size()});
  r.compression = std::move(compression);
  return r;
}

}  // namespace

TEST_CASE("a dump is read back as pg_dump wrote it, whichever compression stored it") {
  const std::string archive = archive_bytes();
  const std::string frame = zstd_frame(archive);
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
  const std::string frame = zstd_frame(archive_bytes());
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
