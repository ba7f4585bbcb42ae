#include "app/backup/run_lease.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "core/time_format.h"
#include "s3/list_all_objects.h"
#include "upload/confirm_write.h"

namespace erp::app {
namespace {

// Every key under `prefix` (all pages). Errors: the store's, naming the prefix.
Result<std::vector<s3::ObjectInfo>> list_all(s3::ObjectStore& store, const std::string& prefix) {
  auto objects = s3::list_all_objects(store, prefix);
  if (!objects) return std::unexpected(objects.error().with_context("listing " + prefix));
  return objects;
}

}  // namespace

bool lease_is_fresh(std::chrono::system_clock::time_point last_modified,
                    std::chrono::system_clock::time_point now) {
  return now - last_modified <= kLeaseStaleAfter;
}

Result<std::string> new_run_token() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return make_error(ErrorKind::permanent, "cannot draw a random run token (OpenSSL RAND_bytes)");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token.push_back(kDigits[b >> 4]);
    token.push_back(kDigits[b & 0x0f]);
  }
  return token;
}

RunLease::RunLease(s3::ObjectStore& store, std::string key, std::string id, std::string token,
                   LeaseHolder holder, const Clock& clock, RunLeaseOptions options)
    : store_(store),
      key_(std::move(key)),
      id_(std::move(id)),
      token_(std::move(token)),
      holder_(std::move(holder)),
      clock_(clock),
      options_(std::move(options)) {}

Result<std::unique_ptr<RunLease>> RunLease::acquire(s3::ObjectStore& store,
                                                    const catalog::KeyLayout& layout,
                                                    std::string id, std::string token,
                                                    LeaseHolder holder, const Clock& clock,
                                                    RunLeaseOptions options) {
  const std::string prefix = layout.lease_prefix(id);
  // Spelled before `id` and `token` are moved into the lease.
  std::string key = layout.lease_key(id, token);
  std::unique_ptr<RunLease> lease(new RunLease(store, std::move(key), std::move(id),
                                               std::move(token), std::move(holder), clock,
                                               std::move(options)));
  for (int round = 1;; ++round) {
    auto others = lease->claim_round(prefix);
    if (!others) {
      lease->released_ = true;  // claim_round() left no lease behind
      return std::unexpected(others.error());
    }
    if (others->empty()) return lease;
    if (round == kClaimRounds) {
      lease->released_ = true;
      return make_error(ErrorKind::permanent,
                        "backup set " + lease->id_ + " is claimed by another run: " + *others +
                            "; nothing was written (hint: two backups of this env started in "
                            "the same second, e.g. a manual `kubectl create job --from=cronjob` "
                            "beside the scheduled one; run it again a second later)",
                        "LeaseTaken");
    }
    // The other run may have seen this one too and stepped back as well: a random pause makes
    // one of the two list first in the next round, so that one of them goes on.
    lease->pause_before_retry();
  }
}

Result<std::string> RunLease::claim_round(const std::string& prefix) {
  const std::string text = body(std::nullopt);
  // The token is this run's own, so the key is free: the condition only guards against a
  // store that answers twice (a lost answer is resolved by reading, as for every object).
  if (auto put = upload::put_new_object(store_, key_, text); !put) {
    return std::unexpected(put.error().with_context("writing the lease " + key_));
  }
  auto listed = list_all(store_, prefix);
  if (!listed) {
    (void)store_.delete_object_after_stop(key_);
    return std::unexpected(listed.error().with_context("checking the leases of set " + id_));
  }
  bool own_listed = false;
  std::string others;
  for (const s3::ObjectInfo& info : *listed) {
    if (info.key == key_) {
      own_listed = true;
    } else {
      others += (others.empty() ? "" : ", ") + info.key + " (written " + info.last_modified + ")";
    }
  }
  if (!others.empty()) {
    // Stepping back: a run that sees another lease writes nothing under it.
    if (auto deleted = store_.delete_object_after_stop(key_); !deleted) {
      return std::unexpected(deleted.error().with_context(
          "backup set " + id_ + " is claimed by another run: " + others +
          "; deleting this run's own lease failed"));
    }
    return others;
  }
  if (!own_listed) {
    (void)store_.delete_object_after_stop(key_);
    return make_error(ErrorKind::permanent,
                      "the listing of " + prefix + " does not show this run's lease " + key_ +
                          ", which was just written: this store's listings lag behind its "
                          "writes, so another backup of the same second could not be ruled out; "
                          "nothing was written (hint: the store must list what it just stored; "
                          "see the README, `backup`)",
                      "LeaseNotListed");
  }
  return std::string();
}

void RunLease::pause_before_retry() const {
  std::chrono::milliseconds delay = options_.retry_pause_min;
  if (options_.retry_pause_max > options_.retry_pause_min) {
    std::random_device device;
    std::uniform_int_distribution<std::int64_t> pick(options_.retry_pause_min.count(),
                                                     options_.retry_pause_max.count());
    delay = std::chrono::milliseconds{pick(device)};
  }
  options_.pause(delay);
}

RunLease::~RunLease() {
  (void)release();
}

std::string RunLease::body(std::optional<std::chrono::system_clock::time_point> renewed) const {
  nlohmann::ordered_json doc;
  doc["format_version"] = 1;
  doc["kind"] = "erp-backup run lease";
  doc["id"] = id_;
  doc["env"] = holder_.env;
  doc["token"] = token_;
  doc["host"] = holder_.host;
  doc["pid"] = holder_.pid;
  doc["started_at"] = format_iso8601_utc(holder_.started);
  doc["renewed_at"] = renewed ? nlohmann::ordered_json(format_iso8601_utc(*renewed))
                              : nlohmann::ordered_json(nullptr);
  doc["heartbeat_seconds"] =
      std::chrono::duration_cast<std::chrono::seconds>(options_.heartbeat).count();
  doc["stale_after_seconds"] = std::chrono::seconds(kLeaseStaleAfter).count();
  return doc.dump() + "\n";
}

void RunLease::start_heartbeat() {
  std::lock_guard lock(mutex_);
  if (released_ || heartbeat_.joinable()) return;
  heartbeat_ = std::jthread([this](std::stop_token stop) { beat(std::move(stop)); });
}

void RunLease::beat(std::stop_token stop) {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      // The period is the wait itself (a timer, not synchronisation); the stop ends it at once.
      wake_.wait_for(lock, stop, options_.heartbeat, [] { return false; });
      if (stop.stop_requested()) return;
    }
    const Result<void> renewed = renew();
    if (options_.on_renewed) options_.on_renewed(renewed);
  }
}

Result<void> RunLease::renew() {
  {
    std::lock_guard lock(mutex_);
    if (released_) return {};
    ++renewals_;
  }
  const std::string text = body(clock_.now());
  auto put = store_.put_object(key_, text, s3::WriteCondition::none);
  if (!put) return std::unexpected(put.error().with_context("renewing the lease " + key_));
  return {};
}

Result<void> RunLease::release() {
  {
    std::lock_guard lock(mutex_);
    if (released_) return {};
  }
  // Joined before the delete: a renewal in flight must not write the lease again after it.
  if (heartbeat_.joinable()) {
    heartbeat_.request_stop();
    wake_.notify_all();
    heartbeat_.join();
  }
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  // A stopped job (SIGTERM) still releases its lease: cleanup, like aborting its uploads.
  if (auto deleted = store_.delete_object_after_stop(key_); !deleted) {
    return std::unexpected(deleted.error().with_context("deleting the lease " + key_));
  }
  return {};
}

int RunLease::renewals() const {
  std::lock_guard lock(mutex_);
  return renewals_;
}

}  // namespace erp::app
