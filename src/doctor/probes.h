// The probes of `erp-backup doctor` (doctor/check.h lists the checks): each writes only under the
// run prefix of the Ledger, notes every key before writing it, and fills in its Check. They run
// one after another on the calling thread; the command then detects the store and cleans up
// (doctor/cleanup.h).
//
// The order, and what each one sends:
//   first contact   the credential provider is asked for keys; then ListObjectsV2 of the run
//                   prefix (max-keys 1, read only) → endpoint, credentials, region_clock, bucket.
//                   If any of these fails, nothing is written and every later check is skipped.
//   put_object      PUT probe (1 KiB)
//   list_pagination PUT list-1, list-2, list-3; ListObjectsV2 max-keys 1, every page
//   get_range       GET probe with Range bytes=100-199, compared byte for byte
//   multipart       CreateMultipartUpload multipart; parts of 5 MiB and 1 KiB; Complete; an
//                   answer without an ETag (or otherwise ambiguous) settled by HEAD exactly as a
//                   backup settles it (upload/confirm_write.h); then HEAD: the size
//   conditional_put PUT conditional twice, both under WriteCondition::if_absent
//   uploads         CreateMultipartUpload abandoned; ListMultipartUploads of the run prefix;
//                   Abort; ListMultipartUploads again
//   versioning, object_lock   GetBucketVersioning, GetObjectLockConfiguration
//   delete_objects  DeleteObjects of list-1..3 (the client falls back to one DELETE per key on
//                   NotImplemented; the ReplyLog shows whether it did); ListObjectsV2: gone
//   delete_permission  DeleteObject of probe; HEAD: gone
// A stop (SIGTERM/SIGINT) ends the run between two requests or during one: the check under way
// and all later ones stay skipped.
#pragma once

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "config/s3_config.h"
#include "core/clock.h"
#include "doctor/check.h"
#include "doctor/cleanup.h"
#include "doctor/probe_client.h"
#include "doctor/reply_log.h"
#include "s3/s3_client.h"

namespace erp::doctor {

// Sizes of the multipart probe: S3's minimum for every part but the last, and a small last one.
inline constexpr std::size_t kFirstPartBytes = 5u << 20;
inline constexpr std::size_t kLastPartBytes = 1024;

// What the probes use; all borrowed for the duration of run_probes().
struct ProbeEnvironment {
  s3::S3Client& store;  // a ProbeClient's, bound to the job's stop
  const ReplyLog& replies;
  const Corrections& corrections;
  const config::S3Config& config;  // the endpoint, region and CA bundle, for the details
  const Clock& clock;
  Ledger& ledger;
  std::stop_token stop;  // the job's
};

// Runs every probe above and returns the checks in report order, `store` and `cleanup` still
// skipped (the command fills them in after its cleanup).
std::vector<Check> run_probes(ProbeEnvironment& environment);

// -- The pure judgements, for the unit tests -----------------------------------------------

// region_clock from what the run saw: the configured region, the client's own corrections, and
// the replies' Date and x-amz-bucket-region headers, judged at `now`. ok when the store named no
// other region and its clock is within kClockTolerance of `now`; degraded when the client had to
// correct itself or the clocks differ by more (the tool compares the store's LastModified times
// with this host's clock: leases, upload ages).
inline constexpr std::chrono::seconds kClockTolerance{60};
Check judge_region_clock(const std::string& region,
                         std::optional<std::chrono::seconds> clock_corrected,
                         std::optional<std::string> region_corrected,
                         const std::vector<Reply>& replies,
                         std::chrono::system_clock::time_point now);

// The store's clock minus `now`, from the first reply with a readable Date header.
std::optional<std::chrono::seconds> clock_skew(const std::vector<Reply>& replies,
                                               std::chrono::system_clock::time_point now);

// Whether any of `replies` is a DeleteObjects (POST ?delete) the store refused as unsupported
// (501, NotImplemented, 405, MethodNotAllowed): the client then deleted key by key.
bool batch_delete_refused(const std::vector<Reply>& replies);

}  // namespace erp::doctor
