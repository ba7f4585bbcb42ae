// The read side of the db stream, mirroring the write side (backup_streams.h):
//
//   object (ranged GETs) → sha256 (the stored bytes, what the manifest hashes)
//                        → [zstd -d, when the record says "zstd"] → the custom-format archive
//
// so that verify, restore db and refresh-sandbox read a dump the same way whichever
// DB_COMPRESSION wrote it (catalog::stored_compression: a manifest without the field means
// pg_dump's own compression). archive() is what pg_restore reads; stored() counts and hashes
// the object's bytes and is complete once archive() returned 0 (a zstd frame must end exactly
// at the end of the object, so reading the archive to its end reads the whole object).
//
// Borrows `store`, which must outlive the source. One consumer thread.
#pragma once

#include <memory>

#include "catalog/manifest.h"
#include "codec/sha256_source.h"
#include "codec/zstd_source.h"
#include "core/byte_stream.h"
#include "core/error.h"
#include "s3/object_source.h"
#include "s3/object_store.h"

namespace erp::app {

class DumpSource {
 public:
  // Errors: stored_compression()'s (corrupt: a compression this version cannot decode);
  // permanent when zstd cannot allocate its context. The object's fetch starts here.
  static Result<std::unique_ptr<DumpSource>> open(s3::ObjectStore& store,
                                                  const catalog::StreamRecord& record);
  DumpSource(const DumpSource&) = delete;
  DumpSource& operator=(const DumpSource&) = delete;

  // The archive as pg_dump wrote it. Its errors: the object's (not_found, corrupt for a short
  // body, transient, cancelled) and, for zstd, corrupt for damaged or truncated frames.
  ByteSource& archive() { return zstd_ ? static_cast<ByteSource&>(*zstd_) : hashed_; }
  // The stored bytes read so far and, at the end, their SHA-256.
  codec::Sha256Source& stored() { return hashed_; }

 private:
  DumpSource(s3::ObjectStore& store, const std::string& key);

  s3::ObjectSource object_;
  codec::Sha256Source hashed_;
  std::unique_ptr<codec::ZstdSource> zstd_;  // set for compression "zstd"
};

}  // namespace erp::app
