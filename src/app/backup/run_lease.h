// The lease a backup run holds on its set (issue 17, case 3): one set, one run.
//
// A set's ID is its start second, so two runs of one env that start in the same second (a manual
// `kubectl create job --from=cronjob` beside the scheduled one; concurrencyPolicy: Forbid does
// not cover it) would write the same keys. Conditional writes (s3::WriteCondition::if_absent)
// stop the second writer where the store honours them; the lease makes a shared set impossible
// where it does not (moto on versioned buckets, s3rver, Ceph RGW 16 on CompleteMultipartUpload).
// The protocol, before any stream starts:
//
//   1. PUT  <prefix>/<env>/leases/<ID>/<TOKEN>.json   TOKEN: 128 random bits, this run's own
//   2. LIST <prefix>/<env>/leases/<ID>/               go on only when this run's lease is the
//                                                     only one listed
//   3. HEAD the set's keys (the backup job)           a run of this second that already ended
//                                                     left its objects: refuse
//
// A run that lists any other lease, fresh or stale, steps back: it deletes its own lease and
// writes nothing. It then tries once more after a random pause (0.1 to 1 s), since the other run
// may have seen it too and stepped back as well; a second round that again lists another lease
// refuses the run: exit 1, nothing written. Two runs that see each other in both rounds both
// refuse, which is correct. A tie-break (say, by token) is not, because one run may have listed
// before the other wrote its lease, and the other would then win the tie-break too: both would
// run. Each round is the whole protocol again, so the argument below holds for the last round of
// every run that goes on.
//
// Why it holds: of two runs that go on, take the last round of each; the one that lists second
// listed after the other had written its lease (each writes before it lists). So it sees that
// lease, unless the other run deleted it in between, which a run does only when it steps back
// (then that round was not its last) or when it has ended (after its last write to the set,
// which step 3 then finds). This needs a store whose listings
// show every write that completed before them (read-after-write consistency: AWS S3 since 2020,
// GCS, MinIO, Ceph RGW, moto, s3rver). A run refuses when the listing does not show its own lease,
// which catches a lagging listing most of the time, but not always: a store whose listings lag
// behind its writes is not supported (README, `backup`).
//
// While the streams run, a heartbeat re-PUTs the lease every `heartbeat` (2 min), so a live
// run's lease is never older than that by the store's clock. A lease not renewed for
// kLeaseStaleAfter (10 min: five missed beats) is stale: its run is dead (SIGKILL, OOM, a lost
// node) or cut off from the store. `prune` never aborts an open upload of a set whose lease is
// fresh (app/backup/stale_uploads.h), and removes leases older than STALE_UPLOAD_AGE (at least
// kLeaseStaleAfter) as the leftovers of killed runs.
//
// release() (and the destructor) stops the heartbeat and deletes the lease: every path the
// process survives releases it, after the run's last write to the set.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "catalog/key_layout.h"
#include "core/clock.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::app {

// Rounds of steps 1 and 2 before a run that keeps seeing another lease refuses.
inline constexpr int kClaimRounds = 2;
// How often a running backup renews its lease.
inline constexpr std::chrono::minutes kLeaseHeartbeat{2};
// A lease whose LastModified is older than this is stale: its run no longer renews it.
inline constexpr std::chrono::minutes kLeaseStaleAfter{10};

// Whether a lease last written at `last_modified` (the store's LastModified) is fresh at `now`:
// younger than kLeaseStaleAfter. A LastModified in the future (clock skew) counts as fresh.
bool lease_is_fresh(std::chrono::system_clock::time_point last_modified,
                    std::chrono::system_clock::time_point now);

// 32 lowercase hex digits from 128 bits of OpenSSL's CSPRNG. Errors: permanent when the
// generator fails (it never should).
Result<std::string> new_run_token();

// Who holds a lease, recorded in its body (JSON) for an operator who finds it.
struct LeaseHolder {
  std::string env;
  std::string host;  // the pod's name
  long pid = 0;
  std::chrono::system_clock::time_point started;
};

struct RunLeaseOptions {
  // The heartbeat's period. Cost: one small PUT per period (on a versioned bucket one version
  // each, ~400 bytes; the lease is deleted at the end, its versions stay until the bucket's
  // lifecycle rules remove noncurrent versions). Must stay well under kLeaseStaleAfter.
  std::chrono::milliseconds heartbeat = kLeaseHeartbeat;
  // Told of every renewal's outcome, on the heartbeat's thread (the job logs a failure: a lease
  // left unrenewed goes stale, and prune may then abort this run's uploads, failing the run).
  std::function<void(const Result<void>&)> on_renewed;
  // The random pause before the second round, between these bounds (tests: 0). Cost: a run
  // that met another one waits this long before it goes on or refuses.
  std::chrono::milliseconds retry_pause_min{100};
  std::chrono::milliseconds retry_pause_max{1000};
  // How the pause is waited (tests record it instead).
  std::function<void(std::chrono::milliseconds)> pause = [](std::chrono::milliseconds delay) {
    std::this_thread::sleep_for(delay);
  };
};

class RunLease {
 public:
  // Steps 1 and 2 above, for set `id` with run token `token` (new_run_token()), in up to
  // kClaimRounds rounds. `store`, `clock` are borrowed for the lease's lifetime. Errors: the
  // PUT's and the listing's (the lease is then deleted again, best effort); permanent, the own
  // lease deleted, with "backup set ID is claimed by another run: KEY (written TIME) ...
  // (hint: ...)" (code LeaseTaken) when both rounds list another lease, and "... does not show
  // this run's lease KEY, which was just written ..." (code LeaseNotListed) when a listing
  // misses the own one. Costs: per round one PUT and one LIST (a page per 1000 leases), and a
  // DELETE when it steps back; the pause between rounds.
  static Result<std::unique_ptr<RunLease>> acquire(s3::ObjectStore& store,
                                                   const catalog::KeyLayout& layout, std::string id,
                                                   std::string token, LeaseHolder holder,
                                                   const Clock& clock,
                                                   RunLeaseOptions options = {});

  // Releases the lease (release()), ignoring its error.
  ~RunLease();
  RunLease(const RunLease&) = delete;
  RunLease& operator=(const RunLease&) = delete;

  // Renews the lease every options.heartbeat on a thread of its own until release(). Once.
  void start_heartbeat();
  // One renewal now: re-PUTs the lease with renewed_at = now. Errors: the PUT's.
  Result<void> renew();
  // Stops the heartbeat (waiting for a renewal in flight), then deletes the lease. Idempotent:
  // later calls do nothing and succeed. Errors: the DELETE's (the lease then lingers until it
  // goes stale and prune removes it; it refuses only runs of its own second).
  Result<void> release();

  const std::string& key() const { return key_; }
  // Renewals sent so far (successful or not).
  int renewals() const;

 private:
  RunLease(s3::ObjectStore& store, std::string key, std::string id, std::string token,
           LeaseHolder holder, const Clock& clock, RunLeaseOptions options);
  std::string body(std::optional<std::chrono::system_clock::time_point> renewed) const;
  // One round of steps 1 and 2: the other leases listed ("" when none: the run may go on).
  // Unless it returns "", the own lease has been deleted again.
  Result<std::string> claim_round(const std::string& prefix);
  void pause_before_retry() const;
  void beat(std::stop_token stop);

  s3::ObjectStore& store_;
  const std::string key_;
  const std::string id_;
  const std::string token_;
  const LeaseHolder holder_;
  const Clock& clock_;
  const RunLeaseOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable_any wake_;  // the heartbeat waits here for its period or its stop
  int renewals_ = 0;
  bool released_ = false;
  std::jthread heartbeat_;  // last: joined before the rest goes
};

}  // namespace erp::app
