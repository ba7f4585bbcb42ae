// What `erp-backup doctor` reports (issue 18): one Check per capability of the configured store
// and credentials, each ok, degraded (works, through the fallback the detail names) or failed
// (the detail names the setting or bucket policy to change); `skipped` when it could not be
// tried (an earlier check it depends on failed, or the run was stopped). Plain data.
//
// The checks, in report order (their names are the JSON `check` and the metric's label):
//   endpoint           the endpoint answers HTTP; TLS verified (plain HTTP: degraded)
//   credentials        which provider gave the keys, and the store accepted their signature
//   region_clock       the signing region and this host's clock agree with the store's
//   bucket             the bucket exists and these credentials may list it
//   put_object         a single PUT
//   list_pagination    ListObjectsV2 with max-keys 1 over 3 objects, every page followed
//   get_range          a GET with Range returns exactly those bytes
//   multipart          a 2-part multipart upload (5 MiB first part) and the Complete answer's ETag
//   conditional_put    `If-None-Match: *` (GCS: `x-goog-if-generation-match: 0`) honoured
//   uploads            ListMultipartUploads shows an open upload, and Abort removes it
//   delete_objects     DeleteObjects (GCS: NotImplemented, one DELETE per key instead)
//   delete_permission  whether these credentials can delete an object (issue 20's question)
//   versioning         GetBucketVersioning (read only)
//   object_lock        GetObjectLockConfiguration (read only)
//   store              which implementation answered, by its reply headers (always ok)
//   cleanup            nothing doctor wrote is left in the bucket
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace erp::doctor {

enum class CheckResult { ok, degraded, failed, skipped };

// "ok", "degraded", "failed", "skipped".
std::string_view to_string(CheckResult result);

enum class CheckId {
  endpoint,
  credentials,
  region_clock,
  bucket,
  put_object,
  list_pagination,
  get_range,
  multipart,
  conditional_put,
  uploads,
  delete_objects,
  delete_permission,
  versioning,
  object_lock,
  store,
  cleanup,
};

struct CheckSpec {
  CheckId id;
  std::string_view name;   // "list_pagination"
  std::string_view title;  // "ListObjectsV2 pagination", for the table
  // A backup cannot run when this check failed (or could not be tried): doctor then exits 1.
  // The others (deleting, listing uploads, the bucket's settings, the cleanup) are reported
  // with the same weight but leave the exit code to the checks a backup needs.
  bool needed_for_backup;
};

// Every check, in report order.
const std::vector<CheckSpec>& check_specs();
const CheckSpec& spec_of(CheckId id);

struct Check {
  CheckId id = CheckId::endpoint;
  CheckResult result = CheckResult::skipped;
  std::string detail;  // what was seen: "412 PreconditionFailed on the second write"
  // For degraded and failed: what to change ("set AWS_REGION=eu-west-3"), or the fallback in
  // use for degraded ones. Empty for ok.
  std::string fix;
};

// One Check per spec, all skipped, in report order: the probes fill them in.
std::vector<Check> all_skipped();

}  // namespace erp::doctor
