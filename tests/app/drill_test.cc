// The drill's pure parts and its documents check (app/drill/*), against the fake store.
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "app/docs_archive_support.h"
#include "app/drill/drill_docs.h"
#include "app/drill/drill_record.h"
#include "app/drill/drill_target.h"
#include "app/drill/evidence_write.h"
#include "app/drill/private_dir.h"
#include "archive/tar_test_support.h"
#include "config/restore_target_config.h"
#include "fakes/fake_object_store.h"
#include "pg/cluster_leftovers.h"
#include "pg/drill_dir_lock.h"

namespace erp::app {
namespace {

using testing::TempDir;

using testing::manifest_for;
using testing::zstd_of;
constexpr std::string_view kKey = testing::kDocsKey;

bool empty_dir(const std::filesystem::path& dir) {
  return std::filesystem::is_empty(dir);
}

}  // namespace

TEST_CASE("the drill's documents check compares counts and bytes and leaves the work dir empty") {
  const std::string stored = zstd_of(testing::hostile_archive(
      {{.path = "facture/FA1.pdf", .content = "invoice"}, {.path = "ecm/a.txt", .content = "a"}}));
  testing::FakeObjectStore store;
  store.seed(std::string(kKey), stored);
  TempDir work;
  Cancellation cancellation;

  SUBCASE("matching") {
    auto checked = check_set_docs(store, manifest_for(stored, 2, 8), work.path(), cancellation);
    REQUIRE_MESSAGE(checked.has_value(), checked.error().message);
    CHECK(checked->ok());
    CHECK(checked->stored_bytes == stored.size());
  }
  SUBCASE("a file fewer than the manifest says: a mismatch naming the count") {
    auto checked = check_set_docs(store, manifest_for(stored, 3, 8), work.path(), cancellation);
    REQUIRE(checked.has_value());
    CHECK_FALSE(checked->ok());
    REQUIRE(checked->mismatches.size() == 1);
    CHECK(checked->mismatches[0].what == "docs files");
    CHECK(checked->mismatches[0].expected == "3");
    CHECK(checked->mismatches[0].found == "2");
  }
  SUBCASE("another SHA-256 in the manifest: a problem naming the key") {
    catalog::Manifest manifest = manifest_for(stored, 2, 8);
    manifest.docs->sha256 = std::string(64, '0');
    auto checked = check_set_docs(store, manifest, work.path(), cancellation);
    REQUIRE(checked.has_value());
    REQUIRE(checked->problems.size() == 1);
    CHECK(checked->problems[0].contains(std::string(kKey)));
  }
  CHECK(empty_dir(work.path()));
}

TEST_CASE("a private dir of a missing work dir is a configuration error naming DRILL_WORK_DIR") {
  TempDir work;
  auto made = PrivateDir::make(work.path() / "missing", "docs");
  REQUIRE_FALSE(made.has_value());
  CHECK(made.error().kind == ErrorKind::config);
  CHECK(made.error().message.contains("DRILL_WORK_DIR"));
  {
    auto dir = PrivateDir::make(work.path(), "scratch");
    REQUIRE(dir.has_value());
    CHECK((*dir)->path().filename().string().starts_with("erp-drill-scratch-"));
    std::filesystem::create_directories((*dir)->path() / "a" / "b");
  }
  CHECK(empty_dir(work.path()));
}

TEST_CASE("a private dir holds its lock while it lives: a sweep leaves it, and removes it after") {
  TempDir work;
  auto dir = PrivateDir::make(work.path(), "docs");
  REQUIRE(dir.has_value());
  const std::filesystem::path path = (*dir)->path();
  CHECK(std::filesystem::exists(path / pg::kDrillLockName));
  CHECK(pg::remove_drill_leftovers(work.path()).empty());  // in use (same pid, lock held)
  CHECK(std::filesystem::exists(path));
  // What a SIGKILL leaves: the directory, its lock free (the process's descriptors closed).
  std::filesystem::copy(path, work.path() / (path.filename().string() + "k"),
                        std::filesystem::copy_options::recursive);
  std::filesystem::permissions(work.path() / (path.filename().string() + "k"),
                               std::filesystem::perms::owner_all);
  const auto removed = pg::remove_drill_leftovers(work.path());
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].directory.filename() == path.filename().string() + "k");
  dir->reset();
  CHECK(empty_dir(work.path()));
}

TEST_CASE("DRILL_TARGET=restore still removes a killed drill's extracted documents") {
  TempDir work;
  // What a SIGKILLed drill left: its documents directory, lock free (it died), mode 0700.
  const std::filesystem::path left =
      work.path() / ("erp-drill-docs-" + std::to_string(::getpid()) + "-zz9");
  std::filesystem::create_directory(left);
  std::filesystem::permissions(left, std::filesystem::perms::owner_all);
  REQUIRE(pg::DrillDirLock::create(left));  // created, then released at once
  DrillTargetRequest request;
  request.embedded = false;
  request.work_dir = work.path();
  Logger log(LogFormat::text, LogLevel::error);
  Cancellation cancellation;
  auto target = DrillTarget::open(request, catalog::Manifest{}, log, cancellation);
  REQUIRE(target.has_value());
  CHECK(empty_dir(work.path()));
}

TEST_CASE("the evidence takes the restore's mismatches, and only failing ones fail it") {
  catalog::Manifest manifest;
  manifest.id = "20261130T020000Z";
  manifest.database = catalog::DatabaseRecord{.server_version = "15.8"};
  manifest.db = catalog::StreamRecord{.bytes = 1234};
  catalog::DrillEvidence evidence;
  record_set(evidence, manifest);
  CHECK(evidence.row_count_method == "none");
  CHECK(evidence.dump_bytes == 1234);
  CHECK(evidence.source_server_version == "15.8");
  RestoreDbReport report;
  report.tables_compared = 3;
  report.mismatches = {
      {.table = "public.llx_bank", .expected = 5, .restored = 4, .failing = false}};
  record_restore(evidence, report);
  CHECK(evidence.tables_compared == 3);
  CHECK(evidence_passes(evidence));
  report.mismatches = {{.table = "(large objects)", .expected = 2, .restored = 0}};
  record_restore(evidence, report);
  REQUIRE(evidence.mismatches.size() == 2);
  CHECK(evidence.mismatches[0].what == "rows public.llx_bank");
  CHECK(evidence.mismatches[1].what == "large objects");
  CHECK(evidence.mismatches[1].expected == "2");
  CHECK_FALSE(evidence_passes(evidence));
}

TEST_CASE("a drill cannot pass a set whose manifest leaves tables' data uncompared") {
  catalog::Manifest manifest;
  manifest.id = "20261130T020000Z";
  manifest.db = catalog::StreamRecord{.bytes = 1234};
  // No database record or no row counts (BACKUP_ROW_COUNTS=off, a failed count, an older set).
  auto none = unproven_by_manifest(manifest);
  REQUIRE(none.size() == 1);
  CHECK(none[0].find("has none") != std::string::npos);
  CHECK(none[0].find("BACKUP_ROW_COUNTS") != std::string::npos);
  manifest.database = catalog::DatabaseRecord{.server_version = "15.8"};
  CHECK(unproven_by_manifest(manifest).size() == 1);
  // Counts for every table: nothing unproven.
  manifest.database->row_counts = catalog::RowCountsRecord{.method = "exact", .snapshot = "dump"};
  CHECK(unproven_by_manifest(manifest).empty());
  // Tables cut from the manifest by its size limit were never compared.
  manifest.database->row_counts->tables_omitted = 17;
  auto omitted = unproven_by_manifest(manifest);
  REQUIRE(omitted.size() == 1);
  CHECK(omitted[0].find("17 tables") != std::string::npos);
  // A documents-only set has no database to prove.
  manifest.db.reset();
  CHECK(unproven_by_manifest(manifest).empty());
  // And each is a problem: the evidence fails with it.
  catalog::DrillEvidence evidence;
  evidence.problems = none;
  CHECK_FALSE(evidence_passes(evidence));
}

TEST_CASE("a mismatch's found value says missing or unknown, never -1") {
  catalog::DrillEvidence evidence;
  RestoreDbReport report;
  report.mismatches = {{.table = "public.gone", .expected = 5, .restored = -1, .missing = true},
                       {.table = "public.unset", .expected = 5, .restored = -1}};
  record_restore(evidence, report);
  REQUIRE(evidence.mismatches.size() == 2);
  CHECK(evidence.mismatches[0].found == "missing");
  CHECK(evidence.mismatches[1].found == "unknown");
}

TEST_CASE("evidence is written once: a second write to its key fails, the first one stays") {
  testing::FakeObjectStore store;
  catalog::DrillEvidence evidence;
  evidence.set_id = "20261130T020000Z";
  const std::string key = "erp/prod/drills/20261130T020000Z-20261201T040000Z.json";
  REQUIRE(write_evidence(store, key, evidence).has_value());
  evidence.passed = true;
  auto again = write_evidence(store, key, evidence);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().message.contains("never overwritten"));
  auto stored = catalog::parse_drill_evidence(store.object(key).value_or(""));
  REQUIRE(stored.has_value());
  CHECK_FALSE(stored->passed);
}

TEST_CASE("the restore rules are read without any RESTORE_PG*") {
  config::MapEnvironment env(
      {{"RESTORE_MIN_TABLES", "3"}, {"RESTORE_EXCLUDE", "FUNCTION pgbouncer user_lookup"}});
  config::Problems problems;
  const config::RestoreTargetConfig rules = config::load_restore_rules(env, problems);
  CHECK(problems.empty());
  CHECK(rules.min_tables == 3);
  CHECK(rules.exclude == std::vector<std::string>{"FUNCTION pgbouncer user_lookup"});
  config::MapEnvironment bad({{"RESTORE_MIN_TABLES", "many"}, {"RESTORE_ROLE", "x"}});
  (void)config::load_restore_rules(bad, problems);
  CHECK(problems.size() == 1);
}

}  // namespace erp::app
