#include "catalog/catalog.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "retention/backup_id.h"

namespace erp::catalog {
namespace {

// Manifests are a few KiB; anything far larger is not one of ours.
constexpr std::size_t kMaxManifestBytes = 4 * 1024 * 1024;
// Concurrent manifest GETs.
constexpr std::size_t kManifestReaders = 8;

class StringSink final : public ByteSink {
 public:
  explicit StringSink(std::size_t limit) : limit_(limit) {}
  Result<void> write(std::span<const char> data) override {
    if (text_.size() + data.size() > limit_) {
      return make_error(ErrorKind::corrupt, "larger than " + std::to_string(limit_) +
                                                " bytes: not one of this tool's small objects");
    }
    text_.append(data.data(), data.size());
    return {};
  }
  Result<void> finish() override { return {}; }
  void abort() noexcept override {}
  std::string& text() { return text_; }

 private:
  std::size_t limit_;
  std::string text_;
};

const CatalogObject* find_object(const CatalogSet& set, const std::string& key) {
  for (const CatalogObject& object : set.objects) {
    if (object.key == key) return &object;
  }
  return nullptr;
}

// Whether the committed streams of the manifest are all present with their sizes.
std::string check_streams(const CatalogSet& set, const Manifest& manifest) {
  for (const auto* stream : {&manifest.db, &manifest.docs}) {
    if (!*stream || (*stream)->status != StreamStatus::committed) continue;
    const CatalogObject* object = find_object(set, (*stream)->key);
    if (object == nullptr) return "manifest names " + (*stream)->key + ", which is missing";
    if (object->size != (*stream)->bytes) {
      return (*stream)->key + " has " + std::to_string(object->size) +
             " bytes, the manifest says " + std::to_string((*stream)->bytes);
    }
  }
  return {};
}

// Reads and checks the manifest of `set`, setting problem/complete. Errors: the store's,
// other than not_found.
Result<void> read_manifest(s3::ObjectStore& store, CatalogSet& set) {
  const auto key = set.manifest_key();
  if (!key) {
    set.problem = "no manifest";
    return {};
  }
  auto text = read_small_object(store, *key);
  if (!text) {
    // Only a vanished manifest is the set's problem: anything else (a short read, an oversized
    // object) fails the listing, so that prune never judges a set by a manifest it misread.
    if (text.error().kind != ErrorKind::not_found) {
      return std::unexpected(text.error().with_context("reading " + *key));
    }
    set.problem = "manifest vanished while listing";
  } else if (auto manifest = parse_manifest(*text); !manifest) {
    set.problem = "unreadable manifest: " + manifest.error().message;
  } else {
    set.manifest = std::move(*manifest);
    if (set.manifest->id != set.id) {
      set.problem = "manifest names set " + set.manifest->id;
    } else if (!set.manifest->complete()) {
      set.problem = "manifest says a stream failed";
    } else {
      set.problem = check_streams(set, *set.manifest);
    }
  }
  set.complete = set.problem.empty();
  return {};
}

}  // namespace

Result<std::string> read_small_object(s3::ObjectStore& store, const std::string& key) {
  StringSink sink(kMaxManifestBytes);
  auto got = store.get_object(key, sink, std::nullopt);
  if (!got) return std::unexpected(got.error());
  return std::move(sink.text());
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
  StreamSet held;
  if (!manifest) return held;
  if (manifest->db && manifest->db->status == StreamStatus::committed) held.add(Stream::db);
  if (manifest->docs && manifest->docs->status == StreamStatus::committed) held.add(Stream::docs);
  return held;
}

std::string_view kind_label(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::db_dump:
      return "db";
    case ObjectKind::docs_archive:
      return "docs";
    case ObjectKind::manifest:
      return "manifest";
    case ObjectKind::last_success:
      return "last-success";
    case ObjectKind::lease:
      return "lease";
  }
  return "unknown";
}

Result<Catalog> load_catalog(s3::ObjectStore& store, const KeyLayout& layout) {
  Catalog catalog;
  std::map<std::string, CatalogSet> sets;
  std::string token;
  do {
    auto page = store.list_objects_v2(layout.env_prefix(), token, "", 0);
    if (!page) return std::unexpected(page.error().with_context("listing " + layout.env_prefix()));
    for (s3::ObjectInfo& info : page->objects) {
      const auto parsed = layout.parse(info.key);
      if (!parsed) {
        catalog.foreign.push_back(std::move(info));
        continue;
      }
      if (parsed->kind == ObjectKind::last_success) {
        catalog.last_success = std::move(info);
        continue;
      }
      // A running backup's lease (app/run_lease.h) belongs to no set: it must never make a set
      // appear, nor be reported as foreign. prune's stale-upload sweep removes old ones.
      if (parsed->kind == ObjectKind::lease) continue;
      auto start = retention::parse_backup_id(parsed->id);
      if (!start) {  // KeyLayout::parse only accepts valid IDs; stay safe anyway
        catalog.foreign.push_back(std::move(info));
        continue;
      }
      CatalogSet& set = sets[parsed->id];
      set.id = parsed->id;
      set.start_time = *start;
      set.objects.push_back({parsed->kind, std::move(info.key), info.size});
    }
    token = page->next_continuation_token.value_or("");
  } while (!token.empty());

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
      if (auto read = read_manifest(store, catalog.sets[i]); !read) {
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
  if (!record || record->status != StreamStatus::committed) return false;
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

std::vector<retention::BackupSet> backup_sets(const Catalog& catalog) {
  std::vector<retention::BackupSet> result;
  result.reserve(catalog.sets.size());
  for (const CatalogSet& set : catalog.sets) {
    result.push_back({set.id, set.start_time, set.complete, set.streams()});
  }
  return result;
}

}  // namespace erp::catalog
