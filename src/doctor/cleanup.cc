#include "doctor/cleanup.h"

#include <algorithm>
#include <set>

#include "core/stop.h"
#include "s3/list_all_objects.h"
#include "s3/xml_replies.h"

namespace erp::doctor {
namespace {

// Every key under `prefix`, every page; the error of the first page that failed.
Result<std::vector<std::string>> list_keys(s3::ObjectStore& store, const std::string& prefix) {
  auto objects = s3::list_all_objects(store, prefix);
  if (!objects) return std::unexpected(objects.error());
  std::vector<std::string> keys;
  for (const s3::ObjectInfo& object : *objects) keys.push_back(object.key);
  return keys;
}

// The open uploads under `prefix` (a store that ignores the prefix is filtered here).
Result<std::vector<s3::MultipartUpload>> list_uploads(s3::ObjectStore& store,
                                                      const std::string& prefix) {
  auto uploads = store.list_multipart_uploads(prefix);
  if (!uploads) return std::unexpected(uploads.error());
  std::erase_if(*uploads, [&](const s3::MultipartUpload& u) { return !u.key.starts_with(prefix); });
  return uploads;
}

// A store without AbortMultipartUpload (s3rver answers 405): the upload is closed by completing
// it with one byte as its only part (a last part may be of any size), which makes it an object
// under the run prefix that step 3 deletes.
Result<void> close_by_completing(s3::ObjectStore& store, const s3::MultipartUpload& upload) {
  static constexpr char kByte[] = {'x'};
  auto etag = store.upload_part(upload.key, upload.upload_id, 1, kByte);
  if (!etag) return std::unexpected(etag.error());
  auto completed = store.complete_multipart_upload(upload.key, upload.upload_id, {{1, *etag}});
  if (!completed && completed.error().kind != ErrorKind::corrupt) {
    return std::unexpected(completed.error());
  }
  return {};  // corrupt: an answer without an ETag; step 3 deletes the key either way
}

}  // namespace

void Ledger::writing(const std::string& key) {
  if (std::ranges::find(keys_, key) == keys_.end()) keys_.push_back(key);
}

void Ledger::upload_created(std::string key, std::string upload_id) {
  uploads_.push_back({.key = std::move(key), .upload_id = std::move(upload_id)});
}

void Ledger::upload_closed(std::string_view upload_id) {
  closed_.emplace_back(upload_id);
}

std::vector<s3::MultipartUpload> Ledger::open_uploads() const {
  std::vector<s3::MultipartUpload> open;
  for (const s3::MultipartUpload& upload : uploads_) {
    if (std::ranges::find(closed_, upload.upload_id) == closed_.end()) open.push_back(upload);
  }
  return open;
}

DeadlineStop::DeadlineStop(std::chrono::milliseconds after)
    : timer_([this, after](std::stop_token destroyed) {
        // A full sleep is the deadline; a sleep cut short means the owner is done.
        if (sleep_unless_stopped(after, destroyed)) source_.request_stop();
      }) {}

CleanupReport clean_up(s3::ObjectStore& store, Ledger& ledger) {
  CleanupReport report;
  const std::string& prefix = ledger.prefix();
  const auto abort = [&](const s3::MultipartUpload& upload) {
    auto done = store.abort_multipart_upload(upload.key, upload.upload_id);
    if (!done && s3::is_unsupported_operation_code(done.error().code)) {
      done = close_by_completing(store, upload);
    }
    if (done || done.error().kind == ErrorKind::not_found) {
      ledger.upload_closed(upload.upload_id);
      ++report.aborted;
    } else {
      report.problems.push_back(done.error().message);
    }
  };
  // 1. The uploads this run knows of.
  for (const s3::MultipartUpload& upload : ledger.open_uploads()) abort(upload);
  // 2. Any other upload under the run prefix: one whose creation a stop cut off.
  if (auto listed = list_uploads(store, prefix)) {
    for (const s3::MultipartUpload& upload : *listed) abort(upload);
  } else if (s3::is_unsupported_operation_code(listed.error().code)) {
    report.uploads_listable = false;
  } else {
    report.problems.push_back(listed.error().message);
  }
  // 3. Every key written or listed.
  std::set<std::string> keys(ledger.keys().begin(), ledger.keys().end());
  if (auto listed = list_keys(store, prefix)) {
    keys.insert(listed->begin(), listed->end());
  } else {
    report.problems.push_back(listed.error().message);
  }
  for (const std::string& key : keys) {
    if (!key.starts_with(prefix)) continue;  // never anything outside this run's prefix
    if (auto deleted = store.delete_object(key); deleted) {
      ++report.deleted;
    } else {
      report.problems.push_back(deleted.error().message);
    }
  }
  // 4. What is left.
  auto left = list_keys(store, prefix);
  if (!left) {
    report.problems.push_back(left.error().message);
    return report;
  }
  report.left_keys = std::move(*left);
  if (report.uploads_listable) {
    auto open = list_uploads(store, prefix);
    if (!open) {
      report.problems.push_back(open.error().message);
      return report;
    }
    for (const s3::MultipartUpload& upload : *open) {
      report.left_uploads.push_back(upload.key + " (upload " + upload.upload_id + ")");
    }
  }
  report.verified = true;
  return report;
}

Check cleanup_check(const CleanupReport& report, const Ledger& ledger) {
  Check check{.id = CheckId::cleanup};
  if (report.verified && report.left_keys.empty() && report.left_uploads.empty() &&
      report.problems.empty()) {
    check.result = CheckResult::ok;
    check.detail = "removed " + ledger.prefix() + ": " + std::to_string(report.deleted) +
                   " deletes, " + std::to_string(report.aborted) +
                   " uploads closed; the prefix lists empty";
    if (!report.uploads_listable) {
      check.detail +=
          " (open uploads cannot be listed on this store: the ones doctor created "
          "were closed by id)";
    }
    return check;
  }
  check.result = CheckResult::failed;
  std::string what;
  for (const std::string& key : report.left_keys) what += (what.empty() ? "" : ", ") + key;
  for (const std::string& upload : report.left_uploads) {
    what += (what.empty() ? "" : ", ") + upload;
  }
  check.detail = report.verified ? "left behind: " + (what.empty() ? "nothing listed" : what)
                                 : "could not list " + ledger.prefix() + " to confirm it is empty";
  for (const std::string& problem : report.problems) check.detail += "; " + problem;
  check.fix = "remove what is left under " + ledger.prefix() +
              " (erp-backup rm KEY...); prune removes doctor leftovers older than "
              "STALE_UPLOAD_AGE with credentials that may delete";
  return check;
}

}  // namespace erp::doctor
