// The object keys of the tool (SPEC §4): the only place that spells them, in both
// directions. Pure.
//
//   <prefix>/<env>/db/<ID>.dump          pg_dump custom format (pg_dump's own compression)
//   <prefix>/<env>/db/<ID>.dump.zst      pg_dump custom format with -Z0, zstd in-process
//                                        (DB_COMPRESSION=zstd)
//   <prefix>/<env>/docs/<ID>.tar.zst     pax tar, zstd-compressed
//   <prefix>/<env>/manifests/<ID>.json   the commit point of the set
//   <prefix>/<env>/last-success.json     per stream: id and time of its last success
//                                        (catalog/last_success.h)
//   <prefix>/<env>/leases/<ID>/<TOKEN>.json  a running backup's claim on set ID (TOKEN: 32
//                                        lowercase hex digits, random per run;
//                                        app/backup/run_lease.h). Not part of any set: never listed
//                                        as one, never foreign.
//   <prefix>/<env>/.doctor/<TOKEN>/<NAME>  a probe object of one `erp-backup doctor` run (TOKEN: 32
//                                        lowercase hex digits, random per run; NAME: anything
//                                        non-empty). Doctor removes them before it exits; what a
//                                        killed run left is not part of any set, never foreign,
//                                        and removed by prune's stale-upload pass once older than
//                                        STALE_UPLOAD_AGE (app/backup/stale_uploads.h).
//   <prefix>/<env>/.lock-canary          the Object Lock canary (app/backup/lock_canary.h): one
//                                        small locked object each backup with OBJECT_LOCK_MODE
//                                        on tries to delete. Not part of any set, never foreign,
//                                        never deleted by prune.
//   <prefix>/<env>/drills/<ID>-<DRILLTIME>.json  a drill's evidence (catalog/drill_evidence.h; both
//                                        YYYYMMDDTHHMMSSZ): an audit record written once by
//                                        `erp-backup drill`. Not part of any set (it outlives the
//                                        set it drilled), never foreign, never locked, never
//                                        deleted by prune: a few hundred in ten years; a bucket
//                                        lifecycle rule can expire them if wanted.
//
// A key under the env's prefix that does not parse back exactly (a foreign object, a
// typo, another tool's file) is reported and never deleted.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace erp::catalog {

// Both db spellings are ObjectKind::db_dump: which one a set holds is the manifest's to say
// (its db record names the key and the compression), never guessed from the key.
enum class ObjectKind {
  db_dump,
  docs_archive,
  manifest,
  last_success,
  lease,
  doctor_probe,
  lock_canary,
  drill_evidence,
};

// How the db stream is compressed (DB_COMPRESSION): by pg_dump itself inside the custom
// format, or with pg_dump -Z0 wrapped in one zstd frame by this tool.
enum class DbCompression { pg_dump, zstd };

struct ParsedKey {
  ObjectKind kind;
  std::string id;     // empty for last_success, doctor_probe and lock_canary; the drilled set's
                      // ID for drill_evidence
  std::string token;  // a lease's or doctor probe's run token, a drill evidence's DRILLTIME;
                      // empty for every other kind
};

class KeyLayout {
 public:
  // `prefix` (S3_PREFIX, may contain '/', no leading/trailing '/') and `env` (BACKUP_ENV,
  // [a-z0-9-]+) are validated by the config module.
  KeyLayout(std::string prefix, std::string env);

  // "<prefix>/<env>/": every key of this env starts with it (the trailing '/' keeps
  // env "prod" from matching "prod-old").
  const std::string& env_prefix() const { return env_prefix_; }
  // "db/<ID>.dump", or "db/<ID>.dump.zst" for DbCompression::zstd.
  std::string db_key(std::string_view id, DbCompression compression = DbCompression::pg_dump) const;
  std::string docs_key(std::string_view id) const;
  std::string manifest_key(std::string_view id) const;
  // "<prefix>/<env>/manifests/": every manifest of this env.
  std::string manifest_prefix() const;
  std::string last_success_key() const;
  // "<prefix>/<env>/.lock-canary".
  std::string lock_canary_key() const;
  // "<prefix>/<env>/leases/": every lease of this env.
  std::string lease_prefix() const;
  // "<prefix>/<env>/leases/<ID>/": the leases on set ID.
  std::string lease_prefix(std::string_view id) const;
  // "<prefix>/<env>/leases/<ID>/<token>.json".
  std::string lease_key(std::string_view id, std::string_view token) const;

  // "<prefix>/<env>/.doctor/": every doctor probe object of this env.
  std::string doctor_prefix() const;
  // "<prefix>/<env>/.doctor/<token>/": one doctor run's probe objects.
  std::string doctor_run_prefix(std::string_view token) const;

  // "<prefix>/<env>/drills/": every drill evidence of this env.
  std::string drill_prefix() const;
  // "<prefix>/<env>/drills/<ID>-<drill_id>.json": the evidence of the drill that started at
  // drill_id (YYYYMMDDTHHMMSSZ, like a set ID) on set ID.
  std::string drill_evidence_key(std::string_view id, std::string_view drill_id) const;

  // The kind and ID of one of the tool's keys; nullopt for anything else, including keys
  // of other envs and IDs that are not exactly YYYYMMDDTHHMMSSZ.
  std::optional<ParsedKey> parse(std::string_view key) const;

 private:
  std::string env_prefix_;
};

}  // namespace erp::catalog
