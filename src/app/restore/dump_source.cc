#include "app/restore/dump_source.h"

namespace erp::app {

DumpSource::DumpSource(s3::ObjectStore& store, const std::string& key)
    : object_(store, key), hashed_(object_) {}

Result<std::unique_ptr<DumpSource>> DumpSource::open(s3::ObjectStore& store,
                                                     const catalog::StreamRecord& record) {
  auto compression = catalog::stored_compression(record);
  if (!compression) return std::unexpected(compression.error());
  std::unique_ptr<DumpSource> source(new DumpSource(store, record.key));
  if (*compression == catalog::StoredCompression::zstd) {
    auto decoder = codec::ZstdSource::create(source->hashed_);
    if (!decoder) return std::unexpected(decoder.error());
    source->zstd_ = std::move(*decoder);
  }
  return source;
}

}  // namespace erp::app
