#include "app/sets/prune_by_version.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "catalog/backup_id.h"

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
  // true: a locked version keeps every key of the group (an expired set, a leftover key);
  // false: only that version is kept (what a plain DELETE left behind).
  bool whole = true;
  bool expired_set = false;  // a set the plan lets go: reported when locked
  std::vector<KeyVersions> keys;
  std::optional<sys_seconds> locked_until;  // the latest retain-until after now
};

bool is_set_object(catalog::ObjectKind kind) {
  return kind == catalog::ObjectKind::db_dump || kind == catalog::ObjectKind::docs_archive ||
         kind == catalog::ObjectKind::manifest;
}

bool hidden(const std::vector<s3::ObjectVersion>& versions) {
  return std::ranges::any_of(
      versions, [](const s3::ObjectVersion& v) { return v.is_latest && v.delete_marker; });
}

// Before the daily band: older than any set the plan could still keep as daily, so a hidden
// key of it is no run in progress and no set a later plan could want back.
bool before_daily_band(const std::string& id, const retention::RetentionBands& bands) {
  auto start = catalog::parse_backup_id(id);
  return start && std::chrono::floor<std::chrono::days>(*start) < bands.daily_from;
}

// The groups of keys to delete, from the version listing and the plan.
std::vector<Group> group_versions(const std::vector<s3::ObjectVersion>& listed,
                                  const catalog::KeyLayout& layout, const PruneSummary& summary) {
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
      groups.push_back({.set_id = set.id, .whole = true, .expired_set = true});
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
      groups.push_back({.set_id = parsed->id, .whole = true, .keys = {std::move(entry)}});
    } else if (!kept.contains(parsed->id) && hidden(entry.versions) &&
               before_daily_band(parsed->id, summary.plan.bands)) {
      groups.push_back({.set_id = parsed->id, .whole = false, .keys = {std::move(entry)}});
    }
  }
  return groups;
}

// HEADs every object version of `group`: drops the versions already gone and, in a group that
// is not deleted whole, the locked ones; records a whole group's latest lock.
Result<void> check_locks(s3::ObjectStore& store, Group& group, sys_seconds now) {
  for (KeyVersions& entry : group.keys) {
    std::vector<s3::ObjectVersion> deletable;
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
      if (head->lock && head->lock->retain_until > now) {
        if (!group.whole) continue;  // kept; its unlocked siblings still go
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
  std::vector<Group> groups = group_versions(*listed, layout, summary);
  for (Group& group : groups) {
    if (auto checked = check_locks(store, group, now); !checked) return checked;
    if (group.locked_until && group.expired_set) {
      summary.locked_kept.push_back({group.set_id, *group.locked_until});
    }
  }
  summary.sets_locked_kept = summary.locked_kept.size();
  summary.sets_deleted -= std::min(summary.sets_deleted, summary.sets_locked_kept);
  if (summary.dry_run) return {};

  std::vector<Target> targets;
  for (const Group& group : groups) {
    if (group.locked_until) continue;
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
