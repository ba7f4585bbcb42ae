// The catalog of one env's backup sets (SPEC §4, issue 4): every object under the env
// prefix, grouped by set ID. Read-only: listing plus one small GET per manifest.
//
// A set is complete when its manifest exists, parses, names this set, says every stream
// that ran was committed, and every committed stream's object is present with the size
// the manifest records. The last check is what makes `prune`'s order (data objects
// first, manifest last) safe: a set whose deletion was interrupted has a manifest but
// missing data, and shows as incomplete, never as a valid set.
//
// Keys under the env prefix that KeyLayout does not recognise are `foreign`: reported,
// never deleted. last-success.json is recognised and kept apart; leases (a running backup's
// claim on its set ID) are recognised and left out.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/key_layout.h"
#include "catalog/manifest.h"
#include "catalog/stream.h"
#include "core/error.h"
#include "retention/retention_plan.h"
#include "s3/object_store.h"

namespace erp::catalog {

struct CatalogObject {
  ObjectKind kind = ObjectKind::db_dump;
  std::string key;
  std::uint64_t size = 0;
};

struct CatalogSet {
  std::string id;
  std::chrono::sys_seconds start_time{};
  std::vector<CatalogObject> objects;  // in key order
  std::optional<Manifest> manifest;    // parsed, when the manifest object exists and parses
  std::string problem;                 // why the set is incomplete ("" when complete)
  bool complete = false;

  // Stored bytes of the objects of `kind` (0 when absent).
  std::uint64_t bytes(ObjectKind kind) const;
  std::uint64_t total_bytes() const;
  // The manifest's key, when the manifest object exists.
  std::optional<std::string> manifest_key() const;
  // The streams the manifest says were committed (a stream present with status
  // committed); none without a parsed manifest. For a complete set these are the streams
  // the set holds, whose objects the catalog has checked; a partial set may name one
  // committed stream and still be incomplete.
  StreamSet streams() const;
};

struct Catalog {
  std::vector<CatalogSet> sets;         // oldest first (ascending id = ascending time)
  std::vector<s3::ObjectInfo> foreign;  // unrecognised keys under the env prefix
  std::optional<s3::ObjectInfo> last_success;
};

// The whole content of one of the tool's small objects (a manifest, last-success.json).
// Errors: the store's (not_found when absent); corrupt above 4 MiB.
Result<std::string> read_small_object(s3::ObjectStore& store, const std::string& key);

// Lists the env prefix (every page) and builds the catalog. Errors: those of the store
// (listing, or a manifest GET failing other than not_found).
Result<Catalog> load_catalog(s3::ObjectStore& store, const KeyLayout& layout);

// Whether `set` holds `stream` usable for a restore: its manifest says the stream committed and
// the object it names is listed with the size the manifest records.
bool holds_stream(const CatalogSet& set, Stream stream);

// The set `which` names, the read side's one way to choose (verify, restore, refresh):
//   "latest" — without `stream`: the newest complete set; with `stream`: the newest set that
//              holds that stream (holds_stream), so a set whose other stream failed still counts;
//   an ID    — that set; with `stream` it must hold it.
// Errors: not_found (no such set, nothing to choose from); permanent naming why the ID's set is
// unusable (no manifest, the manifest says the stream failed or did not run, the object is
// missing or has another size).
Result<const CatalogSet*> find_set(const Catalog& catalog, const std::string& which,
                                   std::optional<Stream> stream = std::nullopt);

// The retention plan's view of the sets, index-aligned with catalog.sets: id, start time,
// complete, and the streams each set holds (CatalogSet::streams()).
std::vector<retention::BackupSet> backup_sets(const Catalog& catalog);

// A short label for reports.
std::string_view kind_label(ObjectKind kind);

}  // namespace erp::catalog
