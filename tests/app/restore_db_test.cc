// The pure decisions of `restore db` (app/restore/restore_db.h): the use list, the target refusals,
// the table of contents against the manifest, the guard, and the judgement of a finished restore.
#include <doctest/doctest.h>

#include "app/restore/restore_db_dump.h"
#include "app/restore/restore_db_guard.h"
#include "app/restore/restore_db_judge.h"
#include "app/restore/restore_db_target.h"

namespace erp::app {
namespace {

constexpr std::string_view kListing =
    ";\n; Archive created at 2026-11-30 02:00:00 UTC\n;\n"
    "215; 1259 16385 TABLE public llx_societe erp\n"
    "905; 1255 23711 FUNCTION pgbouncer user_lookup(text) erp_admin\n"
    "906; 0 0 ACL pgbouncer FUNCTION user_lookup(text) erp_admin\n"
    "907; 1255 23712 FUNCTION pgbouncer user_lookup_extra(text) erp_admin\n"
    "3400; 0 16385 TABLE DATA public llx_societe erp\n";

pg::PgSettings settings_for(std::string host, std::string port) {
  pg::PgSettings settings;
  settings.params = {{"host", std::move(host)}, {"port", std::move(port)}};
  return settings;
}

}  // namespace

TEST_CASE("the use list comments out exactly the excluded entries, whatever their arguments") {
  const UseList list = build_use_list(kListing, {"FUNCTION pgbouncer user_lookup", "TABLE x y"});
  REQUIRE(list.excluded.size() == 2);  // the function and its grants
  CHECK(list.excluded[0] == "905; 1255 23711 FUNCTION pgbouncer user_lookup(text) erp_admin");
  CHECK(list.excluded[1] == "906; 0 0 ACL pgbouncer FUNCTION user_lookup(text) erp_admin");
  CHECK(list.text.find(";905; 1255 23711 FUNCTION pgbouncer user_lookup(text)") !=
        std::string::npos);
  // A longer name with the same beginning is another function; the table stays.
  CHECK(list.text.find("\n907; 1255 23712 FUNCTION pgbouncer user_lookup_extra") !=
        std::string::npos);
  CHECK(list.text.find("\n215; 1259 16385 TABLE public llx_societe erp\n") != std::string::npos);
  CHECK(list.unmatched == std::vector<std::string>{"TABLE x y"});
  // Nothing excluded: the listing unchanged.
  CHECK(build_use_list(kListing, {}).text == std::string(kListing));
  // What pg_restore restores is what the use list leaves in.
  CHECK(pg::parse_toc(build_use_list(kListing, {"TABLE public llx_societe"}).text).tables == 0);
}

TEST_CASE("an item that names only grants counts as unmatched") {
  const UseList list = build_use_list("906; 0 0 ACL pgbouncer FUNCTION user_lookup(text) x\n",
                                      {"FUNCTION pgbouncer user_lookup"});
  CHECK(list.excluded.size() == 1);
  CHECK(list.unmatched == std::vector<std::string>{"FUNCTION pgbouncer user_lookup"});
}

TEST_CASE("the target is the source when cluster and database agree, or else the address") {
  catalog::SourceRecord source{"db.internal", "5432", "dolibarr", "7301"};
  pg::DatabaseInfo target;
  target.database = "dolibarr";
  target.system_identifier = "7301";
  pg::PgSettings settings = settings_for("10.0.0.5", "6432");
  CHECK(is_backup_source(source, target, settings));  // same cluster, whatever the address
  target.system_identifier = "9999";
  CHECK_FALSE(is_backup_source(source, target, settings));  // another cluster
  target.database = "sandbox";
  target.system_identifier = "7301";
  CHECK_FALSE(is_backup_source(source, target, settings));  // another database of the cluster
  // Identity unreadable on one side: the configured address decides.
  target.database = "dolibarr";
  target.system_identifier = "";
  CHECK_FALSE(is_backup_source(source, target, settings));
  settings.params = {{"host", "db.internal"}};  // port defaults to 5432
  CHECK(is_backup_source(source, target, settings));
}

TEST_CASE("a non-empty target is refused without drop-owned, naming what it holds") {
  TargetFacts target;
  target.info.database = "sandbox";
  const pg::PgSettings settings = settings_for("127.0.0.1", "5432");
  CHECK(check_target(target, {}, settings));  // empty: fine
  target.contents.kinds = {{"schema", 1, {"sales"}},
                           {"table", 12, {"public.a", "public.b", "public.c"}}};
  const auto refused = check_target(target, {}, settings);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::config);  // exit 2: nothing touched
  const std::string& message = refused.error().message;
  CHECK(message.find("127.0.0.1:5432/sandbox is not empty") != std::string::npos);
  CHECK(message.find("1 schema (sales), 12 tables (public.a, public.b, public.c, ...)") !=
        std::string::npos);
  CHECK(message.find("RESTORE_DROP_OWNED=true") != std::string::npos);
  CHECK(check_target(target, {.drop_owned = true}, settings));
}

TEST_CASE(
    "drop-owned into the source is refused unless overridden; a source is never emptied "
    "by accident") {
  TargetFacts target;
  target.is_source = true;
  const pg::PgSettings settings = settings_for("db", "5432");
  const auto refused = check_target(target, {.drop_owned = true}, settings);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::config);
  CHECK(refused.error().message.find("--i-know-this-is-the-source") != std::string::npos);
  CHECK(check_target(target, {.drop_owned = true, .source_override = true}, settings));
  // Without drop-owned nothing is dropped; an empty source database is only restored into.
  CHECK(check_target(target, {}, settings));
}

TEST_CASE("the TOC's tables against the manifest's: partitions on neither side") {
  catalog::DatabaseRecord database;
  database.tables = 6;
  pg::TocSummary toc;
  toc.tables = 6;
  toc.partitions = 2;
  CHECK_FALSE(toc_table_problem(toc, database, "erp/prod/db/X.dump"));
  toc.tables = 5;
  const auto problem = toc_table_problem(toc, database, "erp/prod/db/X.dump");
  REQUIRE(problem);
  CHECK(*problem ==
        "erp/prod/db/X.dump: the table of contents lists 5 tables (and 2 partitions), the "
        "manifest says 6");
}

TEST_CASE("the guard: none when other sessions are allowed, else the limit where the role may") {
  pg::ConnectionLimitState owner{.database = "sandbox", .limit = -1, .may_alter = true};
  pg::ConnectionLimitState other_role{.database = "sandbox", .limit = -1, .may_alter = false};
  CHECK(choose_guard_mode(true, owner) == GuardMode::limit);
  CHECK(choose_guard_mode(true, other_role) == GuardMode::watch);
  CHECK(choose_guard_mode(false, owner) == GuardMode::unguarded);
  CHECK(choose_guard_mode(false, other_role) == GuardMode::unguarded);
}

namespace {

RestoreFacts good_restore() {
  RestoreFacts facts;
  facts.dump.key = "erp/prod/db/X.dump";
  facts.read_bytes = facts.dump.bytes = 1000;
  facts.read_sha256 = facts.dump.sha256 = std::string(64, 'a');
  facts.restorable.tables = 9;
  facts.restorable.partitions = 2;
  facts.restored.table_count = 9;
  facts.restored.partition_count = 2;
  facts.restored.llx_table_count = 8;
  facts.min_tables = 8;
  facts.guard = GuardMode::limit;
  return facts;
}

bool mentions(const RestoreVerdict& verdict, std::string_view text) {
  for (const std::string& problem : verdict.problems) {
    if (problem.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("judge: a clean restore is good, and harmless or excluded errors keep it good") {
  RestoreFacts facts = good_restore();
  CHECK(judge_restore(facts).ok());
  facts.pg_restore.exit_code = 1;  // pg_restore exits 1 after any error, harmless or not
  facts.errors = {{.verdict = pg::RestoreErrorVerdict::harmless},
                  {.verdict = pg::RestoreErrorVerdict::excluded}};
  facts.errors_seen = 2;
  const RestoreVerdict verdict = judge_restore(facts);
  CHECK(verdict.ok());
  CHECK(verdict.harmless == 1);
  CHECK(verdict.excluded == 1);
}

TEST_CASE("judge: one failing error line fails the restore, whatever the table counts say") {
  RestoreFacts facts = good_restore();
  facts.pg_restore.exit_code = 1;
  facts.errors = {{.verdict = pg::RestoreErrorVerdict::harmless},
                  {.verdict = pg::RestoreErrorVerdict::failing}};
  facts.errors_seen = 2;
  RestoreVerdict verdict = judge_restore(facts);
  CHECK(verdict.failing == 1);
  CHECK(mentions(verdict, "1 error(s) that are neither excluded"));
  // Lines beyond the reader's cap were not judged: failing.
  facts.errors = {{.verdict = pg::RestoreErrorVerdict::harmless}};
  facts.errors_seen = 3;
  verdict = judge_restore(facts);
  CHECK(verdict.failing == 2);
  // A failing status without any error line.
  facts.errors.clear();
  facts.errors_seen = 0;
  verdict = judge_restore(facts);
  CHECK(mentions(verdict, "pg_restore exited with status 1 without an error line"));
  facts.pg_restore = {.exit_code = 0, .signal = 9};
  CHECK(mentions(judge_restore(facts), "pg_restore was killed by signal 9"));
}

TEST_CASE("judge: the hash, the counts, RESTORE_MIN_TABLES and the watch each fail it") {
  RestoreFacts facts = good_restore();
  facts.read_sha256 = std::string(64, 'b');
  CHECK(mentions(judge_restore(facts),
                 "erp/prod/db/X.dump read during the restore does not "
                 "match the manifest"));
  facts = good_restore();
  facts.read_bytes = 999;
  CHECK_FALSE(judge_restore(facts).ok());

  facts = good_restore();
  facts.restored.partition_count = 1;
  CHECK(mentions(judge_restore(facts),
                 "the target holds 9 tables and 1 partitions, the dump's "
                 "restored entries 9 and 2"));
  // A dump of pg_dump before 14 lists partitions as tables: the totals agree.
  facts = good_restore();
  facts.restorable.tables = 11;
  facts.restorable.partitions = 0;
  CHECK(judge_restore(facts).ok());

  facts = good_restore();
  facts.min_tables = 9;
  CHECK(mentions(judge_restore(facts), "8 llx_ tables, fewer than RESTORE_MIN_TABLES=9"));

  facts = good_restore();
  facts.watch.intruders = {{"4242", "sandbox", "dolibarr-web", "10.0.0.7"}};
  CHECK(mentions(judge_restore(facts),
                 "(pid 4242, user sandbox, application_name "
                 "dolibarr-web)"));
  facts = good_restore();
  facts.watch.error = "server closed the connection unexpectedly";
  CHECK(mentions(judge_restore(facts), "the watch on the target's sessions failed"));
}

}  // namespace erp::app
