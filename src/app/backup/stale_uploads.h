// Stale multipart uploads (SPEC §5 rule 6, issue 7). A run that is SIGKILLed or OOM-killed
// leaves its multipart upload open, and the store keeps (and bills) its parts forever. `prune`
// (and so every successful backup) aborts this env's uploads initiated more than
// STALE_UPLOAD_AGE ago; `list` shows the open ones.
//
// What is touched, and why:
//   - only uploads under layout.env_prefix() ("<prefix>/<env>/", trailing slash: env "prod"
//     never matches "prod2"), checked again here in case a store ignores the prefix;
//   - only keys the tool itself writes (KeyLayout::parse); another tool's upload under the
//     env prefix is "foreign", reported and never aborted;
//   - only uploads initiated more than the age ago; a younger one may belong to a run still
//     in progress. An upload without an Initiated time is never aborted (its age is unknown),
//     nor one initiated in the future (clock skew). An upload is no older than its set (the ID
//     is its run's start): an Initiated before that (moto's fixed 2010-11-10) counts as the
//     set's start;
//   - never an upload of a set whose run provably still lives: a fresh lease on its set ID
//     (app/backup/run_lease.h: renewed within kLeaseStaleAfter) makes it "in progress" at any age,
//     so even a STALE_UPLOAD_AGE far too short (below kShortStaleUploadAge the commands warn)
//     cannot cut a running backup. A listing of the leases that fails aborts nothing.
//
// Leases are the other leftover of a killed run: the abort pass deletes those not renewed for
// longer than STALE_UPLOAD_AGE (and at least kLeaseStaleAfter). Their run is long dead; the lease
// would only refuse a run of its own second, and that second is past.
//
// Doctor's probe objects are the third: `erp-backup doctor` removes what it writes under
// <prefix>/<env>/.doctor/<TOKEN>/ before it exits, but a run killed first (SIGKILL, OOM), or
// whose credentials may not delete, leaves them. They are the tool's own keys (KeyLayout::parse:
// doctor_probe), so they are neither foreign nor part of a set; the abort pass deletes those
// written more than STALE_UPLOAD_AGE ago (and at least kDoctorProbeStaleAfter: a doctor run lasts
// seconds). An open upload under .doctor/ is the tool's too, and stale like any other.
//
// Stores without ListMultipartUploads (s3rver answers 501 NotImplemented; GCS may too):
// nothing can be listed, so nothing is aborted; the report says so (`listable` false) and
// the commands warn, with a hint to configure the bucket's lifecycle rule
// (AbortIncompleteMultipartUpload) instead. That is not an error: prune goes on.
//
// Flow: survey_uploads (list + classify_leases + classify_doctor_probes + classify_uploads, the
// pure decisions) →
// abort_stale_uploads.
// Only commands log: log_stale_uploads gives them one wording.
#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/key_layout.h"
#include "config/stale_upload_config.h"
#include "core/error.h"
#include "core/logger.h"
#include "s3/object_store.h"

namespace erp::app {

enum class UploadState {
  in_progress,  // the tool's key, younger than the age (or initiated in the future): left alone
  stale,        // the tool's key, initiated more than the age ago: prune aborts it
  unknown_age,  // the tool's key, but the store sent no Initiated time: left alone
  foreign,      // under the env prefix, but not a key the tool writes: never touched
};

// "in progress", "stale", "unknown age", "foreign".
std::string_view to_string(UploadState state);

struct StaleUploadOptions {
  // STALE_UPLOAD_AGE (config::load_stale_upload_age). Strictly older is stale.
  std::chrono::milliseconds max_age = config::kDefaultStaleUploadAge;
  // The time ages are measured from (the caller's clock; ages are real time, not --as-of).
  std::chrono::system_clock::time_point now;
};

// A run's lease found under <prefix>/<env>/leases/ (app/backup/run_lease.h).
struct LeaseEntry {
  std::string key;
  std::string id;  // the set it claims
  // When the store last wrote it (LastModified); nullopt when unreadable: then it counts as
  // fresh and is never removed.
  std::optional<std::chrono::system_clock::time_point> written;
  bool fresh = true;      // renewed within kLeaseStaleAfter: its run is alive
  bool leftover = false;  // older than STALE_UPLOAD_AGE and kLeaseStaleAfter: the abort pass
                          // deletes it
  // Filled by abort_stale_uploads for leftovers:
  bool removed = false;
  std::optional<Error> remove_error;
};

// Pure: the leases among `objects` (a listing of layout.lease_prefix(); other keys dropped),
// judged at options.now against options.max_age.
std::vector<LeaseEntry> classify_leases(const std::vector<s3::ObjectInfo>& objects,
                                        const catalog::KeyLayout& layout,
                                        const StaleUploadOptions& options);

// No doctor run writes for longer than this: its probe objects are leftovers once older, however
// short STALE_UPLOAD_AGE is.
inline constexpr std::chrono::minutes kDoctorProbeStaleAfter{10};

// An object found under <prefix>/<env>/.doctor/ (a doctor run's probe object).
struct DoctorProbe {
  std::string key;
  // When the store wrote it (LastModified); nullopt when unreadable: never removed.
  std::optional<std::chrono::system_clock::time_point> written;
  std::optional<std::chrono::milliseconds> age;  // now - written, when written is known
  bool leftover = false;  // older than STALE_UPLOAD_AGE and kDoctorProbeStaleAfter: the abort
                          // pass deletes it
  // Filled by abort_stale_uploads for leftovers:
  bool removed = false;
  std::optional<Error> remove_error;
};

// Pure: the doctor probe objects among `objects` (a listing of layout.doctor_prefix(); keys that
// are not one, such as another tool's file there, are dropped: foreign, never touched), judged at
// options.now against options.max_age.
std::vector<DoctorProbe> classify_doctor_probes(const std::vector<s3::ObjectInfo>& objects,
                                                const catalog::KeyLayout& layout,
                                                const StaleUploadOptions& options);

struct OpenUpload {
  s3::MultipartUpload upload;
  UploadState state = UploadState::in_progress;
  bool held = false;  // in progress because its set's run holds a fresh lease
  std::optional<std::chrono::milliseconds>
      age;  // now - initiated (at most now - the set's start); nullopt when unknown
  // Filled by abort_stale_uploads for stale uploads:
  bool aborted = false;              // aborted now (or already gone when we tried)
  std::optional<Error> abort_error;  // the abort failed; the upload is still open
};

// Pure: the uploads under layout.env_prefix() (others dropped), each with its state and age,
// in the order given (S3 lists by key, then initiation). An upload of the tool's keys whose set
// has a fresh lease in `leases` is in progress (held) whatever its age.
std::vector<OpenUpload> classify_uploads(const std::vector<s3::MultipartUpload>& uploads,
                                         const catalog::KeyLayout& layout,
                                         const StaleUploadOptions& options,
                                         const std::vector<LeaseEntry>& leases = {});

// What a report's pass did: only looked (`list`), planned (`prune --dry-run`) or aborted.
enum class UploadPass { survey, dry_run, abort };

// A failed abort, for the backup summary and the log: key and upload id, and why.
struct AbortFailure {
  std::string key;
  std::string upload_id;
  Error error;
};

// What prune did (or would do) about this env's open uploads. ok() is false when the listing
// failed or an abort failed; a store that cannot list uploads is ok() (listable == false).
struct StaleUploadReport {
  std::chrono::milliseconds max_age{};
  bool listable = true;                // false: the store does not implement ListMultipartUploads
  std::string unlistable_reason;       // the store's answer, when !listable
  std::optional<Error> listing_error;  // any other listing failure: nothing was aborted
  std::vector<OpenUpload> uploads;     // classify_uploads of the listing
  std::vector<LeaseEntry> leases;      // classify_leases of the env's leases
  std::vector<DoctorProbe> doctor_probes;  // classify_doctor_probes of the env's .doctor/
  UploadPass pass = UploadPass::survey;
  std::size_t aborted = 0;
  std::size_t leases_removed = 0;
  std::size_t doctor_probes_removed = 0;

  std::size_t count(UploadState state) const;
  // The stale uploads whose abort failed.
  std::vector<AbortFailure> failures() const;
  // A leftover lease or doctor probe that could not be deleted is logged, not a failure: a
  // lease refuses only runs of its own (past) second, a probe object is in nobody's way, and
  // the next prune tries again.
  bool ok() const { return !listing_error && failures().empty(); }
};

// Lists the env's leases, doctor probe objects and open uploads and classifies them; aborts
// nothing. Never fails: a
// store without ListMultipartUploads (s3::is_unsupported_operation_code) gives listable == false
// (its leases are still listed, so that leftovers are removed), any other listing error, of the
// uploads or of the leases, lands in listing_error.
StaleUploadReport survey_uploads(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                 const StaleUploadOptions& options);

// Aborts every stale upload of the report, one at a time, going on past failures (each one
// recorded in its OpenUpload::abort_error). An upload already gone (not_found: completed or
// aborted meanwhile) counts as aborted. Then deletes every leftover lease (LeaseEntry::removed
// or remove_error) and every leftover doctor probe object (DoctorProbe::removed or
// remove_error). Sets pass = abort.
void abort_stale_uploads(s3::ObjectStore& store, StaleUploadReport& report);

// survey_uploads, then abort_stale_uploads, or on a dry run pass = dry_run. What `prune` calls.
StaleUploadReport prune_stale_uploads(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                      const StaleUploadOptions& options, bool dry_run);

// Logs the report in the commands' shared wording: a warning when STALE_UPLOAD_AGE is below
// config::kShortStaleUploadAge (naming the risk: a running backup's upload), a warning when the
// store cannot list uploads (with the lifecycle-rule hint), an error for a failed listing and
// for each failed abort (key, upload_id, error), a warning per foreign upload, one line per
// aborted upload, per upload kept only by its run's lease and per removed (or not removable)
// leftover lease or doctor probe object, and nothing else when there was nothing to do.
void log_stale_uploads(Logger& log, const StaleUploadReport& report);

// Text for the commands' stdout: one line per open upload,
// "KEY<TAB>upload UPLOAD_ID<TAB>ACTION<TAB>initiated TIME, age AGE", where ACTION is what
// prune did ("aborted", "abort failed: ..."), would do ("would abort" on a dry run), or, on a
// survey, the state ("stale (the next prune aborts it)", "in progress", "unknown age",
// "foreign (never aborted)"); then one line per doctor probe object,
// "KEY<TAB>doctor probe<TAB>ACTION<TAB>written TIME, age AGE" (ACTION: "removed", "remove failed:
// ...", "would remove", or "left by a stopped doctor run (the next prune removes it)" /
// "a doctor run's, younger than STALE_UPLOAD_AGE"). Nothing when there are neither.
void print_uploads_text(std::ostream& out, const StaleUploadReport& report);

// The report as JSON: {"listable", "unlistable_reason", "error", "max_age_seconds",
// "pass" ("survey" | "dry_run" | "abort"), "stale", "aborted", "failed", "uploads": [{"key",
// "upload_id", "initiated", "age_seconds", "state", "held_by_lease", "action", "error"}],
// "leases": [{"key", "id", "written", "fresh", "leftover", "removed", "error"}],
// "leases_removed", "doctor_probes": [{"key", "written", "leftover", "removed", "error"}],
// "doctor_probes_removed"}.
nlohmann::ordered_json uploads_json(const StaleUploadReport& report);

// "42s", "12m5s", "5h12m", "3d4h"; negative ages (initiated in the future) get a '-'.
std::string format_age(std::chrono::milliseconds age);

}  // namespace erp::app
