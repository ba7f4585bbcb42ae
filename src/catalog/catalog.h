// The catalog of one env's backup sets (SPEC §4, §5; issues 4 and 17): every object under
// the env prefix, grouped by set ID. Read-only: listing plus one small GET per manifest.
//
// ## What each set is (SetState)
//   complete    its manifest is trusted (below), says every stream that ran was committed,
//               and every committed stream's object is listed with the size it records;
//   partial     the manifest is trusted and at least one stream is held (committed, object
//               listed with its size), but the set is not complete: another stream failed,
//               or a committed stream's object is missing (a prune interrupted between the
//               data objects of an expired set). Each held stream is restorable and is a
//               candidate for its own stream's retention tiers (SPEC §5 rule 5);
//   incomplete  no stream is held: no manifest (a run that never committed, or one still
//               running), or a trusted manifest whose committed objects are all missing;
//   unreadable  a manifest object is listed but cannot be trusted: larger than
//               kMaxManifestBytes (decided on the listed size, without a GET), nested too
//               deep, not a manifest of this format, naming another set's ID, naming a key
//               the layout does not give this set and env (another env's object, another
//               set's), recording a size other than the listed one for a committed object,
//               or gone between the listing and the GET. Its manifest is not kept: verify,
//               restore and retention never act on what it says. Such a set is reported and
//               never deleted (SPEC §5 rule 4: never an object the tool can't parse).
// The size check is what makes `prune`'s order (data objects first, manifest last) safe: a set
// whose deletion was interrupted has a manifest but missing data, and shows as partial or
// incomplete, never as complete.
//
// ## Which failures are the set's and which are the catalog's
// What an object holds (too large, too deep, not JSON, not this set's) is that set's problem:
// one bad object never stops list, prune or backup. Failures to read it (a transient error
// that outlived its retries, a truncated body, access denied, a cancellation) fail
// load_catalog: prune then deletes nothing, since a misread manifest could make a kept set
// look expired.
//
// ## Memory
// One listing entry per object, the parsed manifests kept (each from at most
// kMaxManifestBytes of text), and at most kManifestReaders manifest texts and parses in
// flight at once: hostile objects at manifest keys cost their parse (manifest.h, "Bounds"),
// not their size. Measured for `list`: 17 MiB for a plain catalog, 22 MiB with eight 4 MB
// and eight 250 KB nested objects and a 5 MiB one (1.19 GB before issue 17, which also
// failed on the 5 MiB one), 55 MiB with sixteen 256 KiB flat arrays, the worst text that
// gets as far as the JSON parser.
//
// Keys under the env prefix that KeyLayout does not recognise are `foreign`: reported,
// never deleted. last-success.json is recognised and kept apart; leases (a running backup's
// claim on its set ID) and doctor's probe objects (`.doctor/<TOKEN>/...`) are recognised and
// left out: they belong to no set (app/backup/stale_uploads.h removes old ones). So is the
// Object Lock canary (`.lock-canary`), which nothing deletes, and a drill's evidence
// (`drills/<ID>-<DRILLTIME>.json`), an audit record nothing deletes either.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/key_layout.h"
#include "catalog/manifest.h"
#include "catalog/stream.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::catalog {

struct CatalogObject {
  ObjectKind kind = ObjectKind::db_dump;
  std::string key;
  std::uint64_t size = 0;
};

// See "What each set is" above.
enum class SetState { complete, partial, incomplete, unreadable };
// "complete", "partial", "incomplete", "unreadable" (list's STATUS column).
std::string_view to_string(SetState state);

struct CatalogSet {
  std::string id;
  std::chrono::sys_seconds start_time{};
  std::vector<CatalogObject> objects;  // in key order
  std::optional<Manifest> manifest;    // parsed and trusted; nullopt when absent or unreadable
  std::string problem;                 // why the set is not complete ("" when complete)
  SetState state = SetState::incomplete;
  bool complete = false;  // state == SetState::complete

  // Stored bytes of the objects of `kind` (0 when absent).
  std::uint64_t bytes(ObjectKind kind) const;
  std::uint64_t total_bytes() const;
  // The manifest's key, when the manifest object exists.
  std::optional<std::string> manifest_key() const;
  // The streams the manifest says were committed (a stream present with status
  // committed); none without a trusted manifest. Not all of them need be present: see held().
  StreamSet streams() const;
  // The streams the set holds: committed and listed with the recorded size (holds_stream).
  // For a complete set these are streams(); for a partial one, not empty.
  StreamSet held() const;
  // The objects no held stream accounts for, other than the manifest: an object the manifest
  // says failed (or does not name), every object of a set without a trusted manifest. None for
  // an unreadable set: nothing of it is ever deleted. Pointers into `objects`.
  std::vector<const CatalogObject*> leftovers() const;
};

struct Catalog {
  std::vector<CatalogSet> sets;         // oldest first (ascending id = ascending time)
  std::vector<s3::ObjectInfo> foreign;  // unrecognised keys under the env prefix
  std::optional<s3::ObjectInfo> last_success;
};

// The whole content of one of the tool's small objects (a manifest, last-success.json).
// Errors: the store's (not_found when absent); corrupt when larger than kMaxManifestBytes
// (the read stops there: an oversized object never costs more memory than that).
Result<std::string> read_small_object(s3::ObjectStore& store, const std::string& key);

// Why `manifest` cannot be trusted as the manifest of set `id` under `layout` ("" when it
// can): it names another set, or a stream record names a key that layout.parse() does not
// read back as that stream's object of this set and env. Pure. This is what keeps verify
// and restore reading only the layout's keys of the set they were asked for.
std::string trust_problem(const Manifest& manifest, const KeyLayout& layout, std::string_view id);

// Lists the env prefix (every page) and builds the catalog, reading each set's manifest
// (kManifestReaders at a time). Errors: those of the store, for the listing or a manifest
// GET (other than not_found, which makes that set unreadable for this run); see "Which
// failures are the set's" above.
Result<Catalog> load_catalog(s3::ObjectStore& store, const KeyLayout& layout);

// Concurrent manifest GETs (and parses) of load_catalog.
inline constexpr std::size_t kManifestReaders = 8;

// Whether `set` holds `stream` usable for a restore: its trusted manifest says the stream
// committed and the object it names is listed with the size the manifest records.
bool holds_stream(const CatalogSet& set, Stream stream);

// The set `which` names, the read side's one way to choose (verify, restore, refresh):
//   "latest" — without `stream`: the newest complete set; with `stream`: the newest set that
//              holds that stream (holds_stream), so a set whose other stream failed still counts;
//   an ID    — that set; with `stream` it must hold it.
// Errors: not_found (no such set, nothing to choose from); permanent naming why the ID's set is
// unusable (no manifest, an unreadable one, the manifest says the stream failed or did not
// run, the object is missing). Without `stream`, an ID's set is returned whatever its state:
// verify reports its problem (and reads nothing of a set without a trusted manifest).
Result<const CatalogSet*> find_set(const Catalog& catalog, const std::string& which,
                                   std::optional<Stream> stream = std::nullopt);

// A short label for reports.
std::string_view kind_label(ObjectKind kind);

}  // namespace erp::catalog
