// Everything doctor writes lives under one run prefix, `<S3_PREFIX>/<BACKUP_ENV>/.doctor/<TOKEN>/`
// (TOKEN: 32 random hex digits, catalog/key_layout.h), and is removed before doctor exits: on
// success, on failure, and after SIGTERM/SIGINT.
//
// The Ledger notes each key *before* its write is sent and each upload as soon as it exists, so
// a write cut short by a stop is cleaned up too (deleting a key that never came into being is a
// harmless no-op). clean_up() then
//   1. aborts every upload of the ledger not yet completed or aborted; on a store without
//      AbortMultipartUpload (s3rver: 405) closes it instead by completing it with a 1-byte part,
//      so that it becomes an object under the run prefix, deleted in step 3;
//   2. lists the run prefix's open uploads (where the store can list them) and aborts those too:
//      an upload created by a request whose answer a stop cut off is in no ledger;
//   3. deletes every ledger key and every key listed under the run prefix, one DELETE each (no
//      DeleteObjects: the cleanup must not depend on the capability being probed);
//   4. lists the prefix and the uploads again: what is still there is reported, by key.
// Nothing outside the run prefix is ever touched: TOKEN is this run's own, so every key and
// upload under it is doctor's.
//
// The cleanup runs on a client of its own that the job's stop does not end (the stop is what
// it is cleaning up after), bounded instead by a deadline: DeadlineStop. What a killed run
// (SIGKILL, OOM) leaves under `.doctor/` is recognised by the catalog and removed by `prune`
// once older than STALE_UPLOAD_AGE (README, `doctor`).
#pragma once

#include <chrono>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "doctor/check.h"
#include "s3/object_store.h"

namespace erp::doctor {

// What one doctor run wrote. Not thread-safe: the probes run one at a time on one thread.
class Ledger {
 public:
  // `run_prefix` ends with '/'.
  explicit Ledger(std::string run_prefix) : prefix_(std::move(run_prefix)) {}

  const std::string& prefix() const { return prefix_; }
  // prefix() + name.
  std::string key(std::string_view name) const { return prefix_ + std::string(name); }

  // Before a write to `key` is sent (repeats are ignored).
  void writing(const std::string& key);
  // As soon as CreateMultipartUpload answered.
  void upload_created(std::string key, std::string upload_id);
  // Once the upload was completed or aborted (or found gone).
  void upload_closed(std::string_view upload_id);

  const std::vector<std::string>& keys() const { return keys_; }
  std::vector<s3::MultipartUpload> open_uploads() const;

 private:
  std::string prefix_;
  std::vector<std::string> keys_;
  std::vector<s3::MultipartUpload> uploads_;
  std::vector<std::string> closed_;
};

// A stop token requested `after` from construction, or never when the object is destroyed
// first (its timer thread then ends at once).
class DeadlineStop {
 public:
  explicit DeadlineStop(std::chrono::milliseconds after);
  DeadlineStop(const DeadlineStop&) = delete;
  DeadlineStop& operator=(const DeadlineStop&) = delete;
  std::stop_token token() const { return source_.get_token(); }

 private:
  std::stop_source source_;  // first: the timer uses it
  std::jthread timer_;
};

struct CleanupReport {
  std::vector<std::string> left_keys;     // still listed under the prefix at the end
  std::vector<std::string> left_uploads;  // "KEY (upload UPLOAD_ID)", still open at the end
  std::vector<std::string> problems;      // every request of the cleanup that failed
  bool uploads_listable = true;           // false: the store cannot list uploads (step 2, 4)
  bool verified = false;                  // the final listing (step 4) ran
  std::size_t deleted = 0;                // DELETEs the store accepted
  std::size_t aborted = 0;                // uploads aborted, closed by completing, or gone
};

// Steps 1-4 above on `store` (the cleanup's own client). Never fails: every failure is in the
// report. Cost: about 4 listings, one DELETE per key and one abort per upload.
CleanupReport clean_up(s3::ObjectStore& store, Ledger& ledger);

// The `cleanup` check from the report: ok when the final listing shows nothing left and no
// request failed; failed otherwise, naming what is left and that `prune` removes it later.
Check cleanup_check(const CleanupReport& report, const Ledger& ledger);

}  // namespace erp::doctor
