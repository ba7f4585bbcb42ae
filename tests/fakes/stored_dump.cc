#include "fakes/stored_dump.h"

#include <doctest/doctest.h>

#include "codec/digest.h"
#include "codec/zstd_sink.h"
#include "fakes/memory_sink.h"

namespace erp::testing {

std::string dump_archive_bytes(std::size_t size) {
  std::string data = "PGDMP\x01\x0f\x00";
  for (int row = 0; data.size() < size; ++row) {
    data += std::to_string(row) + "\tFA2601-" + std::to_string(row % 9973) + "\t1234.50\tEUR\n";
  }
  return data;
}

std::string zstd_frame(const std::string& data) {
  MemorySink out;
  auto sink = codec::ZstdSink::create(out, {.level = 3, .workers = 0});
  REQUIRE(sink.has_value());
  REQUIRE((*sink)->write({data.data(), data.size()}).has_value());
  REQUIRE((*sink)->finish().has_value());
  return out.data();
}

catalog::StreamRecord stored_dump_record(std::string key, std::string compression,
                                         const std::string& stored) {
  catalog::StreamRecord r;
  r.key = std::move(key);
  r.status = catalog::StreamStatus::committed;
  r.bytes = stored.size();
  r.sha256 = codec::sha256_hex({stored.data(), stored.size()});
  r.compression = std::move(compression);
  return r;
}

}  // namespace erp::testing
