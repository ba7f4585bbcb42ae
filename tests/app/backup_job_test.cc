// The pure phases of `backup` (app/backup/backup_job.h) and the bucket pre-flight
// (app/backup/preflight.h).
#include "app/backup/backup_job.h"

#include <doctest/doctest.h>

#include <chrono>

#include "app/backup/preflight.h"
#include "app/commands/backup_command.h"
#include "app/commands/command_table.h"
#include "catalog/key_layout.h"
#include "fakes/fake_object_store.h"

namespace erp::app {
namespace {

using namespace std::chrono_literals;
using testing::FakeObjectStore;

StreamOutcome committed(std::string key, std::uint64_t bytes) {
  StreamOutcome outcome;
  outcome.record.key = std::move(key);
  outcome.record.status = catalog::StreamStatus::committed;
  outcome.record.bytes = bytes;
  outcome.record.sha256 = std::string(64, 'a');
  outcome.record.parts = 1;
  outcome.record.compression = "none";
  return outcome;
}

StreamOutcome failed(std::string key, std::string why) {
  StreamOutcome outcome;
  outcome.record.key = std::move(key);
  outcome.record.status = catalog::StreamStatus::failed;
  outcome.record.error = why;
  outcome.error = Error{ErrorKind::permanent, why};
  return outcome;
}

BackupFacts facts() {
  BackupFacts f;
  f.id = "20261130T020000Z";
  f.env = "prod";
  f.started = std::chrono::sys_days{std::chrono::year{2026} / 11 / 30} + 2h;
  f.finished = f.started + 3min + 10s + 900ms;
  f.tool_version = "0.1.0";
  f.host = "erp-backup-abc";
  f.database = pg::DatabaseInfo{.server_version_num = 150018,
                                .server_version = "15.18",
                                .database = "dolibarr",
                                .user = "backup",
                                .table_count = 343,
                                .llx_table_count = 340,
                                .database_bytes = 1 << 30};
  f.pg_dump_version = "15.18";
  return f;
}

}  // namespace

namespace {

// `backup`'s words through the command table's parser, then into a selection.
Result<BackupSelection> parse_backup_args(const std::vector<std::string>& words) {
  auto args = find_command("backup")->parse(words);
  if (!args) return std::unexpected(args.error());
  return backup_selection(*args);
}

}  // namespace

TEST_CASE("backup arguments: --only selects one stream, once") {
  const auto both = parse_backup_args({});
  REQUIRE(both.has_value());
  CHECK((both->db && both->docs));
  const auto db = parse_backup_args({"--only", "db"});
  REQUIRE(db.has_value());
  CHECK((db->db && !db->docs));
  const auto docs = parse_backup_args({"--only", "docs"});
  REQUIRE(docs.has_value());
  CHECK((!docs->db && docs->docs));
  // Twice would select nothing: a usage error, not a run that does nothing and fails.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--only", "db", "--only", "docs"},
        std::vector<std::string>{"--only", "db", "--only", "db"},
        std::vector<std::string>{"--only", "all"}, std::vector<std::string>{"--only"},
        std::vector<std::string>{"--dry-run"}}) {
    const auto parsed = parse_backup_args(args);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().kind == ErrorKind::config);
  }
}

TEST_CASE("the manifest is assembled from the facts and each selected stream's record") {
  catalog::DocumentsRecord documents{"/var/www/documents", 10, 4, 2, 1, 555, {{"s", "socket"}}};
  BackupFacts f = facts();
  f.documents = documents;
  const auto manifest = assemble_manifest(f, committed("erp/prod/db/20261130T020000Z.dump", 42),
                                          committed("erp/prod/docs/20261130T020000Z.tar.zst", 7));
  CHECK(manifest.id == "20261130T020000Z");
  CHECK(manifest.env == "prod");
  CHECK(manifest.started_at == "2026-11-30T02:00:00Z");
  CHECK(manifest.finished_at == "2026-11-30T02:03:10Z");
  CHECK(manifest.host == "erp-backup-abc");
  REQUIRE(manifest.database.has_value());
  CHECK(manifest.database->tables == 343);
  CHECK(manifest.database->llx_tables == 340);
  CHECK(manifest.database->pg_dump_version == "15.18");
  REQUIRE(manifest.db.has_value());
  CHECK(manifest.db->bytes == 42);
  REQUIRE(manifest.docs.has_value());
  CHECK(manifest.docs->bytes == 7);
  REQUIRE(manifest.documents.has_value());
  CHECK(manifest.documents->files == 10);
  CHECK(manifest.complete());
}

TEST_CASE("a docs-only manifest holds no database and no db stream") {
  BackupFacts f = facts();
  f.database.reset();
  f.pg_dump_version.clear();
  f.documents = catalog::DocumentsRecord{};
  const auto manifest =
      assemble_manifest(f, std::nullopt, committed("erp/prod/docs/20261130T020000Z.tar.zst", 7));
  CHECK_FALSE(manifest.database.has_value());
  CHECK_FALSE(manifest.db.has_value());
  CHECK(manifest.docs.has_value());
  CHECK(manifest.complete());
}

TEST_CASE("what the streams amount to: complete, partial or nothing") {
  const auto ok = committed("k", 1);
  const auto bad = failed("k", "pg_dump exited with 1");
  CHECK(outcome_of(ok, ok) == SetOutcome::complete);
  CHECK(outcome_of(ok, std::nullopt) == SetOutcome::complete);
  CHECK(outcome_of(std::nullopt, ok) == SetOutcome::complete);
  CHECK(outcome_of(ok, bad) == SetOutcome::partial);
  CHECK(outcome_of(bad, ok) == SetOutcome::partial);
  CHECK(outcome_of(bad, bad) == SetOutcome::nothing);
  CHECK(outcome_of(bad, std::nullopt) == SetOutcome::nothing);
  CHECK(outcome_of(std::nullopt, std::nullopt) == SetOutcome::nothing);
  // A partial set's manifest says which stream failed, so the set is incomplete.
  const auto manifest = assemble_manifest(facts(), ok, bad);
  CHECK_FALSE(manifest.complete());
  CHECK(manifest.docs->error == "pg_dump exited with 1");
}

TEST_CASE("a database larger than the settings can carry is refused before the dump") {
  using upload::kMiB;
  pg::DatabaseInfo database = facts().database.value();
  // 64 MiB budget: parts stop at 64 MiB, so one stream holds 1750 parts then 8250 x 64 MiB.
  const upload::PartSchedule small(8 * kMiB, 64 * kMiB);
  database.database_bytes = static_cast<std::int64_t>(small.max_stream_bytes());
  CHECK(check_database_fits(database, small).has_value());
  database.database_bytes += 1;
  const auto refused = check_database_fits(database, small);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == ErrorKind::config);
  CHECK(refused.error().message.find("S3_BUFFER_BUDGET") != std::string::npos);
  CHECK(refused.error().message.find(std::to_string(small.max_stream_bytes())) !=
        std::string::npos);
  // The same database fits at the defaults (1.04 TiB).
  CHECK(check_database_fits(database, upload::PartSchedule(8 * kMiB, 128 * kMiB)).has_value());
}

TEST_CASE("the bucket pre-flight turns misconfiguration into a configuration error") {
  const catalog::KeyLayout layout("erp", "prod");
  for (const char* code : {"NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                           "AuthorizationHeaderMalformed", "PermanentRedirect",
                           "RequestTimeTooSkewed", "AccessDenied", "TlsCertificate"}) {
    CAPTURE(code);
    FakeObjectStore store;
    store.inject_failure({.op = FakeObjectStore::Op::list_objects_v2,
                          .error = {ErrorKind::permanent, std::string("refused: ") + code, code}});
    const auto checked = check_bucket(store, layout);
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().kind == ErrorKind::config);
    CHECK(checked.error().message.find(code) != std::string::npos);
    CHECK(checked.error().message.find("bucket pre-flight") != std::string::npos);
  }
}

TEST_CASE("the bucket pre-flight lists the env prefix once and passes other errors through") {
  const catalog::KeyLayout layout("erp", "prod");
  FakeObjectStore store;
  REQUIRE(check_bucket(store, layout).has_value());
  const auto calls = store.calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].op == FakeObjectStore::Op::list_objects_v2);
  CHECK(calls[0].key == "erp/prod/");

  FakeObjectStore flaky;
  flaky.inject_failure({.op = FakeObjectStore::Op::list_objects_v2,
                        .error = {ErrorKind::transient, "gave up after 7 attempts", "SlowDown"}});
  const auto checked = check_bucket(flaky, layout);
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().kind == ErrorKind::transient);  // exit 1: not the operator's settings
}

TEST_CASE("before the commit, a committed object must still be the one its stream wrote") {
  FakeObjectStore store;
  const std::string key = "erp/prod/db/20261130T020000Z.dump";
  store.seed(key, "the dump this run wrote");
  catalog::StreamRecord record = committed(key, 23).record;
  record.etag = *store.etag(key);
  CHECK(recheck_committed_object(store, record).has_value());
  SUBCASE("replaced by another writer: same size, another ETag") {
    store.seed(key, "another run's dump ~~~~");
    const auto checked = recheck_committed_object(store, record);
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().kind == ErrorKind::corrupt);
    CHECK(checked.error().message.find(key + " is no longer the object this run wrote") !=
          std::string::npos);
    CHECK(checked.error().message.find(record.etag) != std::string::npos);
  }
  SUBCASE("replaced by an object of another size") {
    store.seed(key, "short");
    CHECK_FALSE(recheck_committed_object(store, record).has_value());
  }
  SUBCASE("gone") {
    REQUIRE(store.delete_object(key).has_value());
    const auto checked = recheck_committed_object(store, record);
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().kind == ErrorKind::not_found);
  }
  CHECK(store.count(FakeObjectStore::Op::delete_object) <= 1);  // the check itself deletes nothing
}

}  // namespace erp::app
