// Test helper: seeds a FakeObjectStore with backup sets as `backup` writes them.
#pragma once

#include <string>
#include <vector>

#include "catalog/key_layout.h"
#include "catalog/manifest.h"
#include "fakes/fake_object_store.h"
#include "fakes/forwarding_object_store.h"

namespace erp::testing {

// complete: a full run; db_only / docs_only: `backup --only`, one stream and its object;
// failed_stream: db committed, docs failed; none: no manifest; garbage: unreadable.
enum class SeedManifest { complete, db_only, docs_only, failed_stream, none, garbage };

inline void seed_set(FakeObjectStore& store, const catalog::KeyLayout& layout,
                     const std::string& id, SeedManifest manifest = SeedManifest::complete) {
  const std::string db = "dump-" + id;
  const std::string docs = "tar-" + id + "-docs";
  if (manifest != SeedManifest::docs_only) store.seed(layout.db_key(id), db);
  if (manifest != SeedManifest::db_only) store.seed(layout.docs_key(id), docs);
  if (manifest == SeedManifest::none) return;
  if (manifest == SeedManifest::garbage) {
    store.seed(layout.manifest_key(id), "{not json");
    return;
  }
  catalog::Manifest m;
  m.id = id;
  m.env = "prod";
  m.started_at = "2026-01-01T00:00:00Z";
  m.finished_at = "2026-01-01T00:01:00Z";
  m.tool_version = "test";
  m.host = "test";
  m.db = catalog::StreamRecord{layout.db_key(id),
                               catalog::StreamStatus::committed,
                               db.size(),
                               std::string(64, 'a'),
                               1,
                               "e",
                               "none",
                               0,
                               ""};
  m.docs = catalog::StreamRecord{layout.docs_key(id),
                                 manifest == SeedManifest::failed_stream
                                     ? catalog::StreamStatus::failed
                                     : catalog::StreamStatus::committed,
                                 docs.size(),
                                 std::string(64, 'b'),
                                 1,
                                 "e",
                                 "zstd",
                                 std::nullopt,
                                 ""};
  if (manifest == SeedManifest::docs_only) m.db.reset();
  if (manifest == SeedManifest::db_only) m.docs.reset();
  store.seed(layout.manifest_key(id), catalog::to_json(m));
}

// Forwards every call to a store and records the keys of delete_objects / delete_object in
// the order they were sent.
class DeleteRecorder final : public ForwardingObjectStore {
 public:
  explicit DeleteRecorder(s3::ObjectStore& inner) : ForwardingObjectStore(inner) {}
  const std::vector<std::string>& deleted() const { return deleted_; }

  Result<void> delete_object(std::string_view key) override {
    deleted_.emplace_back(key);
    return inner_.delete_object(key);
  }
  Result<std::vector<s3::DeleteFailure>> delete_objects(
      const std::vector<std::string>& keys) override {
    deleted_.insert(deleted_.end(), keys.begin(), keys.end());
    return inner_.delete_objects(keys);
  }

 private:
  std::vector<std::string> deleted_;
};

}  // namespace erp::testing
