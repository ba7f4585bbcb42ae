// `backup` with OBJECT_LOCK_MODE on, end to end on the fake store (`--only docs`, so no
// database is needed): every object of the set written locked and read back, the canary's verdict
// in the manifest and the report, the lock pre-flight, and `status --json`'s object_lock.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/commands/command_harness.h"
#include "app/retention_seed.h"
#include "catalog/manifest.h"
#include "fakes/forwarding_object_store.h"
#include "fakes/random_bytes.h"
#include "fakes/temp_dir.h"

namespace erp::app {
namespace {

using namespace std::chrono;
using s3::LockMode;
using s3::ObjectLock;
using testing::FakeObjectStore;
using testing_support::Harness;
using testing_support::Ran;
using Op = FakeObjectStore::Op;

const catalog::KeyLayout kLayout("erp", "prod");
// The harness clock: 2026-01-10T12:00:00Z, so the set's ID and its lock (30 daily days + 2d).
constexpr const char* kId = "20260110T120000Z";
const sys_seconds kNow = sys_days{2026y / January / 10} + 12h;
const ObjectLock kSetLock{LockMode::governance, kNow + days{32}};

struct LockHarness : Harness {
  erp::testing::TempDir documents;

  explicit LockHarness(std::string_view mode = "governance", bool bucket_lock = true) {
    documents.write_file("invoice.txt", "facture 2026-001\n");
    settings.backup = config::BackupConfig{.documents_dir = documents.path().string(),
                                           .prune_after_backup = false};
    settings.retention = retention::RetentionPolicy{};  // 30 daily days
    settings.object_lock = config::ObjectLockConfig{};
    if (mode == "governance") settings.object_lock->mode = LockMode::governance;
    if (mode == "compliance") settings.object_lock->mode = LockMode::compliance;
    if (bucket_lock) store.enable_object_lock();
    store.set_now(kNow);  // the store judges retain-until dates at the same time
  }
  Ran backup() { return run("backup", {"--only", "docs"}); }
  catalog::Manifest manifest() {
    const auto text = store.object(kLayout.manifest_key(kId));
    REQUIRE(text.has_value());
    auto parsed = catalog::parse_manifest(*text);
    REQUIRE_MESSAGE(parsed.has_value(), parsed.error().message);
    return *parsed;
  }
};

bool any_lock(const std::vector<FakeObjectStore::StoredVersion>& versions) {
  for (const auto& version : versions) {
    if (version.lock) return true;
  }
  return false;
}

std::vector<std::string> lease_keys(const FakeObjectStore& store) {
  std::vector<std::string> keys;
  for (const std::string& key : store.versioned_keys()) {
    if (key.starts_with(kLayout.lease_prefix())) keys.push_back(key);
  }
  return keys;
}

}  // namespace

TEST_CASE(
    "with Object Lock on, every object of the set is locked; last-success and the lease never") {
  LockHarness h;
  const Ran ran = h.backup();
  REQUIRE(ran.code == ExitCode::ok);
  for (const std::string& key : {kLayout.docs_key(kId), kLayout.manifest_key(kId)}) {
    CAPTURE(key);
    const auto versions = h.store.versions(key);
    REQUIRE(versions.size() == 1);
    CHECK(versions[0].lock == kSetLock);  // 2026-02-11T12:00:00Z, GOVERNANCE
  }
  CHECK(s3::format_retain_until(kSetLock.retain_until) == "2026-02-11T12:00:00Z");
  // The writes asked for the lock themselves (a single PUT each: the archive is small).
  for (const auto& call : h.store.calls()) {
    if (call.op != Op::put_object) continue;
    CAPTURE(call.key);
    const bool of_set = call.key == kLayout.docs_key(kId) || call.key == kLayout.manifest_key(kId);
    if (of_set) CHECK(call.lock == kSetLock);
    if (call.key == kLayout.last_success_key()) CHECK_FALSE(call.lock.has_value());
  }
  REQUIRE_FALSE(h.store.versions(kLayout.last_success_key()).empty());
  CHECK_FALSE(any_lock(h.store.versions(kLayout.last_success_key())));
  const auto leases = lease_keys(h.store);
  REQUIRE(leases.size() == 1);
  CHECK_FALSE(any_lock(h.store.versions(leases[0])));
  CHECK(h.store.versions(leases[0]).back().delete_marker);  // released at the end
  // The pre-flight read the bucket's lock configuration and versioning before any write.
  const auto calls = h.store.calls();
  std::size_t lock_config = calls.size(), first_write = calls.size();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].op == Op::get_object_lock_configuration) lock_config = std::min(lock_config, i);
    if (calls[i].op == Op::put_object) first_write = std::min(first_write, i);
  }
  CHECK(lock_config < first_write);
  CHECK(h.store.count(Op::get_bucket_versioning) == 1);
}

TEST_CASE("the canary: enforced when these credentials are refused the delete of its version") {
  LockHarness h;
  REQUIRE(h.backup().code == ExitCode::ok);
  const std::string canary = kLayout.lock_canary_key();
  const auto versions = h.store.versions(canary);
  REQUIRE(versions.size() == 1);  // written once, locked, still there
  CHECK(versions[0].lock == (ObjectLock{LockMode::governance, kNow + hours(48)}));
  // Governance: the delete asks for the bypass, as an attacker with these credentials would.
  REQUIRE(h.store.count(Op::delete_object_version_bypassing_governance) == 1);
  CHECK(h.store.count(Op::delete_object_version) == 0);
  const catalog::Manifest manifest = h.manifest();
  REQUIRE(manifest.object_lock.has_value());
  CHECK(manifest.object_lock->mode == "governance");
  CHECK(manifest.object_lock->retain_until == "2026-02-11T12:00:00Z");
  CHECK(manifest.object_lock->enforced == true);
  CHECK(manifest.object_lock->checked_at == "2026-01-10T12:00:00Z");
  CHECK(h.report.object_lock_enforced == true);
  // The catalog leaves the canary out: it is neither a set nor foreign.
  const Ran list = h.run("list", {"--json"});
  CHECK(list.out.find(".lock-canary") == std::string::npos);
}

TEST_CASE("the canary's version serves the next run as long as its lock lasts a day more") {
  LockHarness h;
  REQUIRE(h.backup().code == ExitCode::ok);
  h.clock.set(kNow + hours(12));  // the lock (first run + 2d) has 36 h left: enough
  h.store.set_now(kNow + hours(12));
  REQUIRE(h.run("backup", {"--only", "docs"}).code == ExitCode::ok);
  const auto versions = h.store.versions(kLayout.lock_canary_key());
  REQUIRE(versions.size() == 1);
  CHECK(h.store.count(Op::put_object_retention) == 0);
  // With less than a day left, the same version is extended, not rewritten.
  h.clock.set(kNow + hours(36));
  h.store.set_now(kNow + hours(36));
  REQUIRE(h.run("backup", {"--only", "docs"}).code == ExitCode::ok);
  const auto extended = h.store.versions(kLayout.lock_canary_key());
  REQUIRE(extended.size() == 1);
  CHECK(extended[0].lock == (ObjectLock{LockMode::governance, kNow + hours(36 + 48)}));
}

TEST_CASE("the canary: NOT enforced when the locked version could be deleted, and rewritten") {
  LockHarness h;
  // A store that does not enforce the lock: its clock is past every retain-until.
  h.store.set_now(sys_seconds(sys_days{2030y / January / 1}));
  const Ran ran = h.backup();
  CHECK(ran.code == ExitCode::ok);  // the backup itself is fine; the metric and the log alert
  CHECK(h.report.object_lock_enforced == false);
  const catalog::Manifest manifest = h.manifest();
  REQUIRE(manifest.object_lock.has_value());
  CHECK(manifest.object_lock->enforced == false);
  CHECK(manifest.object_lock->checked_at == "2026-01-10T12:00:00Z");
  // The deleted version is gone and a new locked one is in place for the next run's check.
  const auto versions = h.store.versions(kLayout.lock_canary_key());
  REQUIRE(versions.size() == 1);
  CHECK(versions[0].lock.has_value());
  CHECK(h.store.count(Op::delete_object_version_bypassing_governance) == 1);
}

TEST_CASE("the canary: NOT enforced when these credentials may bypass governance retention") {
  LockHarness h;
  h.store.grant_governance_bypass();  // s3:BypassGovernanceRetention: the lock holds, for others
  CHECK(h.backup().code == ExitCode::ok);
  CHECK(h.report.object_lock_enforced == false);
  REQUIRE(h.manifest().object_lock.has_value());
  CHECK(h.manifest().object_lock->enforced == false);
}

TEST_CASE("the canary: undecided when the delete fails otherwise; the backup goes on") {
  LockHarness h;
  h.store.inject_failure({.op = Op::delete_object_version_bypassing_governance,
                          .error = {ErrorKind::transient, "gave up after 7 attempts", "SlowDown"}});
  CHECK(h.backup().code == ExitCode::ok);
  CHECK_FALSE(h.report.object_lock_enforced.has_value());
  const catalog::Manifest manifest = h.manifest();
  REQUIRE(manifest.object_lock.has_value());
  CHECK_FALSE(manifest.object_lock->enforced.has_value());
  CHECK_FALSE(manifest.object_lock->checked_at.has_value());
  // In the manifest as null, not left out: a reader tells "undecided" from "not checked".
  const auto json = nlohmann::json::parse(*h.store.object(kLayout.manifest_key(kId)));
  CHECK(json["object_lock"]["enforced"].is_null());
  CHECK(json["object_lock"]["checked_at"].is_null());
}

TEST_CASE(
    "the lock pre-flight: a bucket without Object Lock is exit 2 before anything is written") {
  LockHarness h("governance", /*bucket_lock=*/false);
  CHECK(h.backup().code == ExitCode::usage);
  CHECK(h.store.versioned_keys().empty());
  CHECK(h.store.count(Op::put_object) == 0);
  CHECK(h.store.count(Op::get_object_lock_configuration) == 1);
  // The same bucket with the mode off is backed up as before: no lock asked, none read.
  h.settings.object_lock->mode.reset();
  REQUIRE(h.backup().code == ExitCode::ok);
  CHECK(h.store.count(Op::get_object_lock_configuration) == 1);
  for (const auto& call : h.store.calls()) CHECK_FALSE(call.lock.has_value());
  CHECK(h.store.count(Op::delete_object_version_bypassing_governance) == 0);  // no canary
}

TEST_CASE("the lock pre-flight: a store that cannot say is exit 2 before anything is written") {
  LockHarness h;
  h.store.deny(Op::get_object_lock_configuration);
  CHECK(h.backup().code == ExitCode::usage);
  CHECK(h.store.count(Op::put_object) == 0);
}

TEST_CASE("a store that refuses the retention fails the stream whose lock it dropped") {
  LockHarness h;
  h.s3_config.part_size = 1024;            // the archive becomes a multipart upload...
  h.store.drop_lock_on_multipart();        // ...which the store completes unlocked...
  h.store.deny(Op::put_object_retention);  // ...and whose lock it refuses afterwards
  h.documents.write_file("scan.pdf", erp::testing::random_bytes(64 * 1024, 3));
  const Ran ran = h.backup();
  CHECK(ran.code == ExitCode::failed);  // nothing committed
  CHECK_FALSE(h.store.object(kLayout.manifest_key(kId)).has_value());
  CHECK(h.store.count(Op::put_object_retention) == 1);
  // Nothing is deleted (the unlocked archive stays, named by no manifest), but the lease.
  for (const auto& call : h.store.calls()) {
    if (call.op == Op::delete_object) CHECK(call.key.starts_with(kLayout.lease_prefix()));
  }
  // No canary: no manifest to record it.
  CHECK(h.store.count(Op::delete_object_version_bypassing_governance) == 0);
}

namespace {

// A store that writes manifests without the lock they ask for, and refuses to lock them after.
class DropsManifestLocks final : public erp::testing::ForwardingObjectStore {
 public:
  using ForwardingObjectStore::ForwardingObjectStore;
  Result<std::string> put_object(std::string_view key, std::span<const char> body,
                                 s3::WriteCondition condition, const ObjectLock& lock) override {
    if (key.find("/manifests/") != std::string_view::npos) {
      return ForwardingObjectStore::put_object(key, body, condition);
    }
    return ForwardingObjectStore::put_object(key, body, condition, lock);
  }
  Result<void> put_object_retention(std::string_view key, std::string_view,
                                    const ObjectLock&) override {
    return make_error(ErrorKind::permanent, std::string(key) + ": refused", "AccessDenied");
  }
};

}  // namespace

TEST_CASE("a manifest that cannot be locked fails the run; last-success.json is not updated") {
  LockHarness h;
  DropsManifestLocks store(h.store);
  h.through = &store;
  CHECK(h.backup().code == ExitCode::failed);
  // The set is committed (its manifest is there) but not protected: status keeps alerting.
  CHECK(h.store.object(kLayout.manifest_key(kId)).has_value());
  CHECK_FALSE(h.store.object(kLayout.last_success_key()).has_value());
  CHECK(h.store.versions(kLayout.docs_key(kId)).back().lock == kSetLock);
}

TEST_CASE("a multipart archive whose lock the store dropped is locked afterwards and committed") {
  LockHarness h;
  h.s3_config.part_size = 1024;
  h.store.drop_lock_on_multipart();
  h.documents.write_file("scan.pdf", erp::testing::random_bytes(64 * 1024, 4));
  REQUIRE(h.backup().code == ExitCode::ok);
  CHECK(h.store.count(Op::create_multipart_upload) == 1);
  const auto versions = h.store.versions(kLayout.docs_key(kId));
  REQUIRE(versions.size() == 1);
  CHECK(versions[0].lock == kSetLock);
  CHECK(h.store.count(Op::put_object_retention) == 1);
}

TEST_CASE("credentials that cannot delete: the backup succeeds and its prune is skipped") {
  for (const char* mode : {"governance", "off"}) {
    CAPTURE(mode);
    LockHarness h(mode);
    h.settings.backup->prune_after_backup = true;
    h.settings.retention = retention::RetentionPolicy{.min_keep = 1};
    h.settings.stale_upload_age = hours(24);
    // Three sets of one old month: the plan lets at least two of them go.
    for (const char* id : {"20251001T020000Z", "20251002T020000Z", "20251003T020000Z"})
      erp::testing::seed_set(h.store, kLayout, id);
    const auto before = h.store.versioned_keys();
    // A backup job under least privilege: no s3:DeleteObject, no s3:DeleteObjectVersion.
    h.store.deny(Op::delete_object);
    h.store.deny(Op::delete_objects);
    h.store.deny(Op::delete_object_version);
    const Ran ran = h.backup();
    CHECK(ran.code == ExitCode::ok);
    REQUIRE(h.report.prune.has_value());
    CHECK(h.report.prune->skipped_by_permission);
    CHECK(h.report.prune->objects_deleted == 0);
    for (const std::string& key : before) {
      CAPTURE(key);
      CHECK_FALSE(h.store.versions(key).back().delete_marker);  // nothing was deleted
    }
    // The lease's delete was refused too: it stays (a later prune removes it once stale).
    const auto leases = lease_keys(h.store);
    REQUIRE(leases.size() == 1);
    CHECK_FALSE(h.store.versions(leases[0]).back().delete_marker);
    if (std::string_view(mode) == "governance") CHECK(h.report.object_lock_enforced == true);
  }
}

TEST_CASE("status --json: object_lock from the newest complete set's manifest; off when off") {
  LockHarness h;
  REQUIRE(h.backup().code == ExitCode::ok);
  const Ran status = h.run("status", {"--json", "--only", "docs"});
  const auto doc = nlohmann::json::parse(status.out);
  CHECK(doc["object_lock"] == nlohmann::json{{"mode", "governance"},
                                             {"enforced", true},
                                             {"checked_at", "2026-01-10T12:00:00Z"}});
  const Ran text = h.run("status", {"--only", "docs"});
  CHECK(text.out.find("object_lock\tgovernance\tenforced\t2026-01-10T12:00:00Z\t" +
                      std::string(kId) + "\n") != std::string::npos);

  h.settings.object_lock->mode.reset();
  const auto off = nlohmann::json::parse(h.run("status", {"--json", "--only", "docs"}).out);
  CHECK(off["object_lock"] == nlohmann::json{{"mode", "off"}});
  CHECK(h.run("status", {"--only", "docs"}).out.find("object_lock") == std::string::npos);

  // No manifest records a check yet (sets written before the mode was on): nulls.
  LockHarness fresh;
  const auto none = nlohmann::json::parse(fresh.run("status", {"--json"}).out);
  CHECK(none["object_lock"] ==
        nlohmann::json{{"mode", "governance"}, {"enforced", nullptr}, {"checked_at", nullptr}});
}

}  // namespace erp::app
