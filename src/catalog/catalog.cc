#include "catalog/catalog.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "catalog/backup_id.h"
#include "core/enum_names.h"
#include "s3/list_all_objects.h"

namespace erp::catalog {
namespace {

// Collects an object's bytes up to `limit`; a write beyond it fails and marks the sink
// overflowed, so the caller can tell "too large" (the object's content) from a failed read.
class StringSink final : public ByteSink {
 public:
  explicit StringSink(std::size_t limit) : limit_(limit) {}
  Result<void> write(std::span<const char> data) override {
    if (text_.size() + data.size() > limit_) {
      overflowed_ = true;
      return make_error(ErrorKind::corrupt, "larger than " + std::to_string(limit_) +
                                                " bytes: not one of this tool's small objects");
    }
    text_.append(data.data(), data.size());
    return {};
  }
  Result<void> finish() override { return {}; }
  void abort() noexcept override {}
  std::string& text() { return text_; }
  bool overflowed() const { return overflowed_; }

 private:
  std::size_t limit_;
  std::string text_;
  bool overflowed_ = false;
};

const CatalogObject* find_object(const CatalogSet& set, const std::string& key) {
  for (const CatalogObject& object : set.objects) {
    if (object.key == key) return &object;
  }
  return nullptr;
}

// The stream records of `manifest` with their streams.
std::array<std::pair<Stream, const std::optional<StreamRecord>*>, 2> records(
    const Manifest& manifest) {
  return {{{Stream::db, &manifest.db}, {Stream::docs, &manifest.docs}}};
}

bool committed(const std::optional<StreamRecord>& record) {
  return record && record->status == StreamStatus::committed;
}

// A committed object listed with another size than the manifest records: the object was
// replaced, or the manifest misread. Neither is resolved by deleting, so the set is unreadable.
std::string size_problem(const CatalogSet& set, const Manifest& manifest) {
  for (const auto& [stream, record] : records(manifest)) {
    if (!committed(*record)) continue;
    const CatalogObject* object = find_object(set, (*record)->key);
    if (object != nullptr && object->size != (*record)->bytes) {
      return (*record)->key + " has " + std::to_string(object->size) +
             " bytes, the manifest says " + std::to_string((*record)->bytes);
    }
  }
  return {};
}

// Why a trusted manifest's set is not complete ("" when it is).
std::string completeness_problem(const CatalogSet& set, const Manifest& manifest) {
  for (const auto& [stream, record] : records(manifest)) {
    if (!committed(*record)) continue;
    if (find_object(set, (*record)->key) == nullptr)
      return "manifest names " + (*record)->key + ", which is missing";
  }
  for (const auto& [stream, record] : records(manifest)) {
    if (*record && !committed(*record)) {
      return "manifest says the " + std::string(to_string(stream)) + " stream " +
             std::string(to_string((*record)->status));
    }
  }
  if (!manifest.db && !manifest.docs) return "manifest names no stream";
  return {};
}

void mark_unreadable(CatalogSet& set, std::string problem) {
  set.manifest.reset();
  set.problem = std::move(problem);
  set.state = SetState::unreadable;
  set.complete = false;
}

// Reads and checks the manifest of `set`, setting manifest/problem/state. Errors: the
// store's, other than not_found (see the header: a failed read is the catalog's problem).
Result<void> read_manifest(s3::ObjectStore& store, const KeyLayout& layout, CatalogSet& set) {
  const CatalogObject* object = nullptr;
  for (const CatalogObject& candidate : set.objects)
    if (candidate.kind == ObjectKind::manifest) object = &candidate;
  if (object == nullptr) {
    set.problem = "no manifest";
    set.state = SetState::incomplete;
    return {};
  }
  const std::string key = object->key;
  const std::string hint = " (hint: kept and never deleted; see it with erp-backup cat " + key +
                           ", and remove the set by hand with erp-backup rm once it is understood)";
  // Decided on the listing: an oversized object is never fetched.
  if (object->size > kMaxManifestBytes) {
    mark_unreadable(set, "manifest is " + std::to_string(object->size) + " bytes, more than the " +
                             std::to_string(kMaxManifestBytes) + " a manifest may have" + hint);
    return {};
  }
  StringSink sink(kMaxManifestBytes);
  if (auto got = store.get_object(key, sink, std::nullopt); !got) {
    if (sink.overflowed()) {
      mark_unreadable(set, "manifest grew past " + std::to_string(kMaxManifestBytes) +
                               " bytes after it was listed" + hint);
      return {};
    }
    // A manifest that was listed and is now gone is most likely a concurrent prune's doing,
    // but a store's momentary 404 looks the same: keep the set this time; the next listing
    // shows whether it is gone.
    if (got.error().kind == ErrorKind::not_found) {
      mark_unreadable(set,
                      "manifest vanished while listing (kept until a listing shows it "
                      "gone)");
      return {};
    }
    return std::unexpected(got.error().with_context("reading manifest " + key));
  }
  auto manifest = parse_manifest(sink.text());
  if (!manifest) {
    mark_unreadable(set, "unreadable manifest: " + manifest.error().message + hint);
    return {};
  }
  if (std::string problem = trust_problem(*manifest, layout, set.id); !problem.empty()) {
    mark_unreadable(set, problem + hint);
    return {};
  }
  if (std::string problem = size_problem(set, *manifest); !problem.empty()) {
    mark_unreadable(set, problem + hint);
    return {};
  }
  set.manifest = std::move(*manifest);
  set.problem = completeness_problem(set, *set.manifest);
  set.complete = set.problem.empty();
  set.state = set.complete          ? SetState::complete
              : !set.held().empty() ? SetState::partial
                                    : SetState::incomplete;
  return {};
}

}  // namespace

constexpr EnumName<SetState> kStateNames[] = {{SetState::complete, "complete"},
                                              {SetState::partial, "partial"},
                                              {SetState::incomplete, "incomplete"},
                                              {SetState::unreadable, "unreadable"}};

std::string_view to_string(SetState state) {
  return name_of(kStateNames, state);
}

Result<std::string> read_small_object(s3::ObjectStore& store, const std::string& key) {
  StringSink sink(kMaxManifestBytes);
  auto got = store.get_object(key, sink, std::nullopt);
  if (!got) return std::unexpected(got.error());
  return std::move(sink.text());
}

std::string trust_problem(const Manifest& manifest, const KeyLayout& layout, std::string_view id) {
  if (manifest.id != id) return "manifest names set " + manifest.id;
  for (const auto& [stream, record] : records(manifest)) {
    if (!*record) continue;
    const std::string& key = (*record)->key;
    const auto parsed = layout.parse(key);
    const ObjectKind kind = stream == Stream::db ? ObjectKind::db_dump : ObjectKind::docs_archive;
    if (!parsed || parsed->kind != kind || parsed->id != id) {
      return "manifest names " + std::string(to_string(stream)) + " object '" + key +
             "', which is not this set's (expected a " + std::string(to_string(stream)) +
             " key of set " + std::string(id) + " under " + layout.env_prefix() + ")";
    }
  }
  return {};
}

std::uint64_t CatalogSet::bytes(ObjectKind kind) const {
  std::uint64_t total = 0;
  for (const CatalogObject& object : objects) {
    if (object.kind == kind) total += object.size;
  }
  return total;
}

std::uint64_t CatalogSet::total_bytes() const {
  std::uint64_t total = 0;
  for (const CatalogObject& object : objects) total += object.size;
  return total;
}

std::optional<std::string> CatalogSet::manifest_key() const {
  for (const CatalogObject& object : objects) {
    if (object.kind == ObjectKind::manifest) return object.key;
  }
  return std::nullopt;
}

StreamSet CatalogSet::streams() const {
  StreamSet result;
  if (!manifest) return result;
  for (const auto& [stream, record] : records(*manifest))
    if (committed(*record)) result.add(stream);
  return result;
}

StreamSet CatalogSet::held() const {
  StreamSet result;
  for (Stream stream : kStreams)
    if (holds_stream(*this, stream)) result.add(stream);
  return result;
}

std::vector<const CatalogObject*> CatalogSet::leftovers() const {
  std::vector<const CatalogObject*> result;
  if (state == SetState::unreadable) return result;
  for (const CatalogObject& object : objects) {
    if (object.kind == ObjectKind::manifest) continue;
    bool accounted = false;
    if (manifest) {
      for (const auto& [stream, record] : records(*manifest))
        accounted |= committed(*record) && (*record)->key == object.key;
    }
    if (!accounted) result.push_back(&object);
  }
  return result;
}

constexpr EnumName<ObjectKind> kKindLabels[] = {{ObjectKind::db_dump, "db"},
                                                {ObjectKind::docs_archive, "docs"},
                                                {ObjectKind::manifest, "manifest"},
                                                {ObjectKind::last_success, "last-success"},
                                                {ObjectKind::lease, "lease"},
                                                {ObjectKind::doctor_probe, "doctor probe"},
                                                {ObjectKind::lock_canary, "lock canary"},
                                                {ObjectKind::drill_evidence, "drill evidence"}};

std::string_view kind_label(ObjectKind kind) {
  return name_of(kKindLabels, kind);
}

Result<Catalog> load_catalog(s3::ObjectStore& store, const KeyLayout& layout) {
  Catalog catalog;
  std::map<std::string, CatalogSet> sets;
  auto listed = s3::list_all_objects(store, layout.env_prefix());
  if (!listed)
    return std::unexpected(listed.error().with_context("listing " + layout.env_prefix()));
  for (s3::ObjectInfo& info : *listed) {
    const auto parsed = layout.parse(info.key);
    if (!parsed) {
      catalog.foreign.push_back(std::move(info));
      continue;
    }
    if (parsed->kind == ObjectKind::last_success) {
      catalog.last_success = std::move(info);
      continue;
    }
    // A running backup's lease (app/backup/run_lease.h) belongs to no set: it must never make a
    // set appear, nor be reported as foreign. prune's stale-upload sweep removes old ones.
    if (parsed->kind == ObjectKind::lease) continue;
    // Nor does an object of `erp-backup doctor` (app/commands/doctor_command.h): doctor removes
    // its own; one a killed run left is removed by prune's stale-upload sweep, like a lease.
    if (parsed->kind == ObjectKind::doctor_probe) continue;
    // Nor the Object Lock canary (app/backup/lock_canary.h): it stays for good, and prune, which
    // deletes only what the catalog puts in a set, never touches it.
    if (parsed->kind == ObjectKind::lock_canary) continue;
    // Nor a drill's evidence (catalog/drill_evidence.h): an audit record that outlives the set
    // it drilled. Kept out of every set, prune never deletes it (app/sets/drill_status.h reads it).
    if (parsed->kind == ObjectKind::drill_evidence) continue;
    auto start = parse_backup_id(parsed->id);
    if (!start) {  // KeyLayout::parse only accepts valid IDs; stay safe anyway
      catalog.foreign.push_back(std::move(info));
      continue;
    }
    CatalogSet& set = sets[parsed->id];
    set.id = parsed->id;
    set.start_time = *start;
    set.objects.push_back({parsed->kind, std::move(info.key), info.size});
  }

  for (auto& [id, set] : sets) {
    std::ranges::sort(set.objects, {}, &CatalogObject::key);
    catalog.sets.push_back(std::move(set));
  }

  // One small GET per manifest, several at once: a catalog of hundreds of sets would
  // otherwise spend most of its time in round trips (ObjectStore is thread-safe).
  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::optional<Error> failure;
  auto worker = [&] {
    for (std::size_t i = next++; i < catalog.sets.size(); i = next++) {
      {
        std::lock_guard lock(failure_mutex);
        if (failure) return;
      }
      if (auto read = read_manifest(store, layout, catalog.sets[i]); !read) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = read.error();
        return;
      }
    }
  };
  const std::size_t thread_count = std::min<std::size_t>(kManifestReaders, catalog.sets.size());
  if (thread_count <= 1) {
    worker();
  } else {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < thread_count; ++t) threads.emplace_back(worker);
  }
  if (failure) return std::unexpected(*failure);
  return catalog;
}

bool holds_stream(const CatalogSet& set, Stream stream) {
  if (!set.manifest) return false;
  const auto& record = stream == Stream::db ? set.manifest->db : set.manifest->docs;
  if (!committed(record)) return false;
  const CatalogObject* object = find_object(set, record->key);
  return object != nullptr && object->size == record->bytes;
}

Result<const CatalogSet*> find_set(const Catalog& catalog, const std::string& which,
                                   std::optional<Stream> stream) {
  if (which == "latest") {
    for (auto it = catalog.sets.rbegin(); it != catalog.sets.rend(); ++it) {
      if (stream ? holds_stream(*it, *stream) : it->complete) return &*it;
    }
    return make_error(ErrorKind::not_found,
                      stream
                          ? "no backup set holds a committed " + std::string(to_string(*stream)) +
                                " stream (hint: erp-backup list)"
                          : std::string("there is no complete backup set (hint: erp-backup list)"));
  }
  for (const CatalogSet& set : catalog.sets) {
    if (set.id != which) continue;
    if (!stream || holds_stream(set, *stream)) return &set;
    if (set.state == SetState::unreadable) {
      return make_error(ErrorKind::permanent, "set " + set.id + ": " + set.problem);
    }
    if (!set.manifest) {
      return make_error(ErrorKind::permanent,
                        "set " + set.id + ": " +
                            (set.problem.empty() ? std::string("no manifest") : set.problem) +
                            " (hint: a set without its manifest was never committed)");
    }
    const auto& record = *stream == Stream::db ? set.manifest->db : set.manifest->docs;
    if (!record) {
      return make_error(ErrorKind::permanent, "set " + set.id + ": the manifest holds no " +
                                                  std::string(to_string(*stream)) + " stream");
    }
    if (record->status != StreamStatus::committed) {
      return make_error(ErrorKind::permanent,
                        record->key + ": the manifest says the " + std::string(to_string(*stream)) +
                            " stream " + std::string(to_string(record->status)) +
                            (record->error.empty() ? "" : " (" + record->error + ")"));
    }
    return make_error(ErrorKind::permanent,
                      record->key +
                          ": the object is missing or its size differs from the "
                          "manifest's (hint: erp-backup verify " +
                          set.id + ")");
  }
  return make_error(ErrorKind::not_found,
                    "no backup set " + which + " (hint: erp-backup list shows the IDs)");
}

}  // namespace erp::catalog
