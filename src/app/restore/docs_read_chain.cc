#include "app/restore/docs_read_chain.h"

#include "app/sets/record_check.h"

namespace erp::app {

Result<std::unique_ptr<DocsReadChain>> DocsReadChain::open(s3::ObjectStore& store,
                                                           const catalog::StreamRecord& record) {
  auto compression = catalog::stored_compression(record);
  if (!compression) return std::unexpected(compression.error());
  std::unique_ptr<DocsReadChain> chain(new DocsReadChain(store, record));
  ByteSource* tar_input = &chain->hashed_;
  if (*compression == catalog::StoredCompression::zstd) {
    auto zstd = codec::ZstdSource::create(chain->hashed_);
    if (!zstd) return std::unexpected(zstd.error());
    chain->decoder_ = std::move(*zstd);
    tar_input = chain->decoder_.get();
  }
  auto tar = archive::TarReader::open(*tar_input);
  if (!tar) return std::unexpected(tar.error());
  chain->reader_ = std::move(*tar);
  return chain;
}

Result<void> DocsReadChain::finish() {
  if (auto drained = hashed_.drain(); !drained) return drained;
  return check_against_record(record_, hashed_);
}

}  // namespace erp::app
