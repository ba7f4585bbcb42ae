#include "catalog/key_layout.h"

#include <algorithm>

#include "catalog/backup_id.h"

namespace erp::catalog {
namespace {

struct KindSpelling {
  ObjectKind kind;
  std::string_view folder;  // "db/"
  std::string_view suffix;  // ".dump"
};

constexpr KindSpelling kSpellings[] = {
    {ObjectKind::db_dump, "db/", ".dump"},
    {ObjectKind::db_dump, "db/", ".dump.zst"},
    {ObjectKind::docs_archive, "docs/", ".tar.zst"},
    {ObjectKind::manifest, "manifests/", ".json"},
};

// A run token: exactly 32 lowercase hex digits (128 random bits).
bool is_run_token(std::string_view token) {
  return token.size() == 32 && std::ranges::all_of(token, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// "<ID>/<TOKEN>.json", strictly.
std::optional<ParsedKey> parse_lease(std::string_view rest) {
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || !rest.ends_with(".json")) return std::nullopt;
  const std::string_view id = rest.substr(0, slash);
  const std::string_view token = rest.substr(slash + 1, rest.size() - slash - 1 - 5);
  if (!parse_backup_id(id) || !is_run_token(token)) return std::nullopt;
  return ParsedKey{ObjectKind::lease, std::string(id), std::string(token)};
}

// "<TOKEN>/<NAME>", NAME not empty (doctor's probe objects: app/commands/doctor_command.h).
std::optional<ParsedKey> parse_doctor_probe(std::string_view rest) {
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) return std::nullopt;
  const std::string_view token = rest.substr(0, slash);
  if (!is_run_token(token)) return std::nullopt;
  return ParsedKey{ObjectKind::doctor_probe, "", std::string(token)};
}

// "<ID>-<DRILLTIME>.json", both strict backup IDs.
std::optional<ParsedKey> parse_drill_evidence_key(std::string_view rest) {
  constexpr std::size_t kIdSize = 16;  // YYYYMMDDTHHMMSSZ
  if (rest.size() != 2 * kIdSize + 1 + 5 || rest[kIdSize] != '-' || !rest.ends_with(".json"))
    return std::nullopt;
  const std::string_view id = rest.substr(0, kIdSize);
  const std::string_view drill_id = rest.substr(kIdSize + 1, kIdSize);
  if (!parse_backup_id(id) || !parse_backup_id(drill_id)) return std::nullopt;
  return ParsedKey{ObjectKind::drill_evidence, std::string(id), std::string(drill_id)};
}

}  // namespace

KeyLayout::KeyLayout(std::string prefix, std::string env)
    : env_prefix_((prefix.empty() ? std::string() : prefix + "/") + env + "/") {}

std::string KeyLayout::db_key(std::string_view id, DbCompression compression) const {
  return env_prefix_ + "db/" + std::string(id) +
         (compression == DbCompression::zstd ? ".dump.zst" : ".dump");
}
std::string KeyLayout::docs_key(std::string_view id) const {
  return env_prefix_ + "docs/" + std::string(id) + ".tar.zst";
}
std::string KeyLayout::manifest_key(std::string_view id) const {
  return manifest_prefix() + std::string(id) + ".json";
}
std::string KeyLayout::manifest_prefix() const {
  return env_prefix_ + "manifests/";
}
std::string KeyLayout::last_success_key() const {
  return env_prefix_ + "last-success.json";
}

std::string KeyLayout::lock_canary_key() const {
  return env_prefix_ + ".lock-canary";
}

std::string KeyLayout::lease_prefix() const {
  return env_prefix_ + "leases/";
}
std::string KeyLayout::lease_prefix(std::string_view id) const {
  return lease_prefix() + std::string(id) + "/";
}
std::string KeyLayout::lease_key(std::string_view id, std::string_view token) const {
  return lease_prefix(id) + std::string(token) + ".json";
}

std::string KeyLayout::doctor_prefix() const {
  return env_prefix_ + ".doctor/";
}
std::string KeyLayout::doctor_run_prefix(std::string_view token) const {
  return doctor_prefix() + std::string(token) + "/";
}

std::string KeyLayout::drill_prefix() const {
  return env_prefix_ + "drills/";
}
std::string KeyLayout::drill_evidence_key(std::string_view id, std::string_view drill_id) const {
  return drill_prefix() + std::string(id) + "-" + std::string(drill_id) + ".json";
}

std::optional<ParsedKey> KeyLayout::parse(std::string_view key) const {
  if (!key.starts_with(env_prefix_)) return std::nullopt;
  const std::string_view rest = key.substr(env_prefix_.size());
  if (rest == "last-success.json") return ParsedKey{ObjectKind::last_success, ""};
  if (rest == ".lock-canary") return ParsedKey{ObjectKind::lock_canary, ""};
  if (rest.starts_with("leases/")) return parse_lease(rest.substr(7));
  if (rest.starts_with(".doctor/")) return parse_doctor_probe(rest.substr(8));
  if (rest.starts_with("drills/")) return parse_drill_evidence_key(rest.substr(7));
  for (const KindSpelling& spelling : kSpellings) {
    if (!rest.starts_with(spelling.folder) || !rest.ends_with(spelling.suffix)) continue;
    const std::string_view id = rest.substr(
        spelling.folder.size(), rest.size() - spelling.folder.size() - spelling.suffix.size());
    // Strict: the ID must round-trip, so "db/x/20261126T020000Z.dump" or a lower-case
    // "t" never passes for one of ours.
    if (!parse_backup_id(id)) return std::nullopt;
    return ParsedKey{spelling.kind, std::string(id)};
  }
  return std::nullopt;
}

}  // namespace erp::catalog
