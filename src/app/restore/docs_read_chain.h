// DocsReadChain: the one read chain for a documents archive, used by verify, restore docs and
// refresh-sandbox (issue 17: one chain instead of one build per command):
//
//   ObjectSource(the record's key) → Sha256Source → ZstdSource → TarReader
//
// The consumer walks reader() to the archive's end, then calls finish(), which reads whatever
// the object still holds (the tar's end may leave padding unread) and compares the object's
// size and SHA-256 with the manifest's record (app/sets/record_check.h). Nothing read through the
// chain may be trusted before finish() succeeded.
//
// Errors of open(): corrupt for a compression this version cannot decode (naming the key),
// permanent when zstd or libarchive cannot be set up, or the store's (not_found, transient, ...)
// when the archive's first block cannot be read. Of finish(): corrupt with every difference
// naming the key; the store's. Errors of the stages (a damaged frame, a truncated tar) do not
// name the key: callers add it. Borrows `store` and `record` for the chain's lifetime. One thread.
#pragma once

#include <memory>

#include "archive/tar_reader.h"
#include "catalog/manifest.h"
#include "codec/sha256_source.h"
#include "codec/zstd_source.h"
#include "core/error.h"
#include "s3/object_source.h"
#include "s3/object_store.h"

namespace erp::app {

class DocsReadChain {
 public:
  static Result<std::unique_ptr<DocsReadChain>> open(s3::ObjectStore& store,
                                                     const catalog::StreamRecord& record);
  DocsReadChain(const DocsReadChain&) = delete;
  DocsReadChain& operator=(const DocsReadChain&) = delete;

  archive::TarReader& reader() { return *reader_; }
  // The stored bytes read so far (count, and the SHA-256 once at the end).
  const codec::Sha256Source& stored() const { return hashed_; }
  // Reads (and hashes) what the object still holds. Errors: the store's.
  Result<void> drain() { return hashed_.drain(); }
  // drain(), then the size and SHA-256 against the record.
  Result<void> finish();

 private:
  DocsReadChain(s3::ObjectStore& store, const catalog::StreamRecord& record)
      : record_(record), object_(store, record.key) {}

  const catalog::StreamRecord& record_;
  s3::ObjectSource object_;
  codec::Sha256Source hashed_{object_};
  std::unique_ptr<codec::ZstdSource> decoder_;
  std::unique_ptr<archive::TarReader> reader_;
};

}  // namespace erp::app
