#include "app/sets/prune_by_version.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace erp::app {
namespace {

using std::chrono::sys_seconds;

// The versions of one key that prune means to delete.
struct KeyVersions {
  std::string key;
  bool manifest = false;
  std::vector<s3::ObjectVersion> versions;  // listing order; delete markers included
};

// What is deleted together, or not at all.
struct Group {
  std::string set_id;
  bool expired_set = false;  // a set the plan lets go: reported when locked
  std::vector<KeyVersions> keys;
  std::optional<sys_seconds> locked_until;  // the latest retain-until after now
  // A key holds versions of different content (ETag or size): see "Overwritten keys" in the
  // header. The whole group is kept.
  std::optional<std::string> overwritten_key;
};

bool is_set_object(catalog::ObjectKind kind) {
  return kind == catalog::ObjectKind::db_dump || kind == catalog::ObjectKind::docs_archive ||
         kind == catalog::ObjectKind::manifest;
}

bool hidden(const std::vector<s3::ObjectVersion>& versions) {
  return std::ranges::any_of(
      versions, [](const s3::ObjectVersion& v) { return v.is_latest && v.delete_marker; });
}

// The groups of keys to delete, from the version listing and the plan.
std::vector<Group> group_versions(const std::vector<s3::ObjectVersion>& listed,
                                  const catalog::KeyLayout& layout, const PruneSummary& summary,
                                  std::vector<std::string>& hidden_keys) {
  std::map<std::string, std::vector<s3::ObjectVersion>> by_key;
  for (const s3::ObjectVersion& version : listed) by_key[version.key].push_back(version);

  std::vector<Group> groups;
  std::map<std::string, std::size_t> expired_group;  // set id -> its index in groups
  std::set<std::string> kept;
  std::set<std::string> leftover_keys;
  for (std::size_t i = 0; i < summary.catalog.sets.size(); ++i) {
    const catalog::CatalogSet& set = summary.catalog.sets[i];
    const retention::Decision& decision = summary.plan.decisions[i];
    if (!decision.keep()) {
      expired_group.emplace(set.id, groups.size());
      groups.push_back({.set_id = set.id, .expired_set = true});
      continue;
    }
    kept.insert(set.id);
    if (decision.deletes_leftovers()) {
      for (const catalog::CatalogObject* object : set.leftovers())
        leftover_keys.insert(object->key);
    }
  }
  for (auto& [key, versions] : by_key) {
    const auto parsed = layout.parse(key);
    if (!parsed || !is_set_object(parsed->kind)) continue;
    KeyVersions entry{key, parsed->kind == catalog::ObjectKind::manifest, std::move(versions)};
    if (auto it = expired_group.find(parsed->id); it != expired_group.end()) {
      groups[it->second].keys.push_back(std::move(entry));
    } else if (leftover_keys.contains(key)) {
      groups.push_back({.set_id = parsed->id, .keys = {std::move(entry)}});
    } else if (!kept.contains(parsed->id) && hidden(entry.versions)) {
      hidden_keys.push_back(key);  // reported, never deleted: see "Hidden keys" in the header
    }
  }
  return groups;
}

// HEADs every object version of `group`: drops the versions already gone, records the group's
// latest lock and the first key whose versions differ in content.
Result<void> check_locks(s3::ObjectStore& store, Group& group, sys_seconds now) {
  for (KeyVersions& entry : group.keys) {
    std::vector<s3::ObjectVersion> deletable;
    std::optional<std::pair<std::string, std::uint64_t>> content;  // ETag and size of a version
    for (s3::ObjectVersion& version : entry.versions) {
      if (version.delete_marker) {  // a marker carries no lock
        deletable.push_back(std::move(version));
        continue;
      }
      auto head = store.head_object_version(entry.key, version.version_id);
      if (!head) {
        if (head.error().kind == ErrorKind::not_found) continue;  // deleted meanwhile
        return std::unexpected(head.error().with_context("reading the lock of " + entry.key +
                                                         " version " + version.version_id));
      }
      const std::pair<std::string, std::uint64_t> this_content{head->etag, head->size};
      if (content && *content != this_content && !group.overwritten_key) {
        group.overwritten_key = entry.key;
      }
      content = this_content;
      if (head->lock && head->lock->retain_until > now) {
        group.locked_until = std::max(group.locked_until.value_or(head->lock->retain_until),
                                      head->lock->retain_until);
      }
      deletable.push_back(std::move(version));
    }
    entry.versions = std::move(deletable);
  }
  return {};
}

struct Target {
  const std::string* key;
  const s3::ObjectVersion* version;
  int rank;  // data versions, data markers, manifest versions, manifest markers
};

}  // namespace

Result<void> prune_by_version(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                              PruneSummary& summary, sys_seconds now) {
  auto listed = store.list_object_versions(layout.env_prefix());
  if (!listed) {
    return std::unexpected(
        listed.error().with_context("listing the versions under " + layout.env_prefix()));
  }
  std::vector<Group> groups = group_versions(*listed, layout, summary, summary.hidden_keys);
  for (Group& group : groups) {
    if (auto checked = check_locks(store, group, now); !checked) return checked;
    if (group.overwritten_key) {
      summary.overwritten_kept.push_back({group.set_id, *group.overwritten_key});
    } else if (group.locked_until && group.expired_set) {
      summary.locked_kept.push_back({group.set_id, *group.locked_until});
    }
  }
  summary.sets_locked_kept = summary.locked_kept.size();
  std::size_t expired_overwritten = 0;
  for (const Group& group : groups)
    expired_overwritten += group.overwritten_key && group.expired_set;
  summary.sets_deleted -=
      std::min(summary.sets_deleted, summary.sets_locked_kept + expired_overwritten);
  if (summary.dry_run) return {};

  std::vector<Target> targets;
  for (const Group& group : groups) {
    if (group.locked_until || group.overwritten_key) continue;
    for (const KeyVersions& entry : group.keys) {
      for (const s3::ObjectVersion& version : entry.versions) {
        targets.push_back(
            {&entry.key, &version, (entry.manifest ? 2 : 0) + (version.delete_marker ? 1 : 0)});
      }
    }
  }
  std::ranges::stable_sort(targets, {}, &Target::rank);
  for (const Target& target : targets) {
    auto deleted = store.delete_object_version(*target.key, target.version->version_id);
    if (!deleted) {
      // HEAD said this version is not locked (or it is a marker): the credential may not delete.
      if (deleted.error().code == "AccessDenied") {
        summary.skipped_by_permission = true;
        return {};
      }
      return std::unexpected(deleted.error().with_context("deleting " + *target.key + " version " +
                                                          target.version->version_id));
    }
    ++summary.versions_deleted;
    if (!target.version->delete_marker) {
      ++summary.objects_deleted;
      summary.bytes_deleted += target.version->size;
    }
  }
  return {};
}

}  // namespace erp::app
