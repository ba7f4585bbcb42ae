// pg_restore --verbose stderr read into error lines with their TOC entries, and each judged
// (pg/pg_restore_errors.h). The samples are PostgreSQL 15's own output.
#include "pg/pg_restore_errors.h"

#include <doctest/doctest.h>

#include <sstream>

#include "pg/pg_restore_list.h"

namespace erp::pg {
namespace {

// A restore into a database that held the objects already (issue 17, 1a), and a COMMENT ON
// SCHEMA public by a role that does not own the database, as pg_restore 15 -v prints them.
constexpr std::string_view kStderr =
    "pg_restore: connecting to database for restore\n"
    "pg_restore: creating SCHEMA \"sales\"\n"
    "pg_restore: while PROCESSING TOC:\n"
    "pg_restore: from TOC entry 6; 2615 16493 SCHEMA sales erp_admin\n"
    "pg_restore: error: could not execute query: ERROR:  schema \"sales\" already exists\n"
    "Command was: CREATE SCHEMA sales;\n"
    "\n"
    "\n"
    "pg_restore: creating COMMENT \"SCHEMA public\"\n"
    "pg_restore: from TOC entry 3347; 0 0 COMMENT SCHEMA public erp_admin\n"
    "pg_restore: error: could not execute query: ERROR:  must be owner of schema public\n"
    "Command was: COMMENT ON SCHEMA public IS 'mine';\n"
    "pg_restore: creating TABLE \"public.llx_event\"\n"
    "pg_restore: from TOC entry 222; 1259 16453 TABLE llx_event erp_admin\n"
    "pg_restore: error: could not execute query: ERROR:  relation \"llx_event\" already exists\n"
    "Command was: CREATE TABLE public.llx_event (\n"
    "    rowid integer NOT NULL\n"
    ");\n"
    "pg_restore: error: could not execute query: ERROR:  second error of the same entry\n"
    "pg_restore: creating ACL \"SCHEMA public\"\n"
    "pg_restore: WARNING:  no privileges could be revoked for \"public\"\n"
    "pg_restore: processing data for table \"public.llx_event\"\n"
    "pg_restore: error: unexpected end of file\n"
    "pg_restore: warning: errors ignored on restore: 5\n";

constexpr std::string_view kListing =
    "6; 2615 16493 SCHEMA - sales erp_admin\n"
    "3347; 0 0 COMMENT - SCHEMA public pg_database_owner\n"
    "222; 1259 16453 TABLE public llx_event erp_admin\n"
    "905; 1255 23711 FUNCTION pgbouncer user_lookup(text) erp_admin\n"
    "906; 0 0 ACL pgbouncer FUNCTION user_lookup(text) erp_admin\n";

std::vector<RestoreLogReader::Line> read_all(RestoreLogReader& reader, std::string_view text) {
  std::vector<RestoreLogReader::Line> kinds;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) kinds.push_back(reader.feed(line));
  return kinds;
}

}  // namespace

TEST_CASE("every error line is kept with the TOC entry pg_restore named before it") {
  RestoreLogReader reader;
  const auto kinds = read_all(reader, kStderr);
  CHECK(kinds[0] == RestoreLogReader::Line::progress);
  CHECK(kinds[2] == RestoreLogReader::Line::context);
  CHECK(kinds[4] == RestoreLogReader::Line::error);
  CHECK(kinds[5] == RestoreLogReader::Line::other);
  CHECK(kinds.back() == RestoreLogReader::Line::warning);
  CHECK(reader.errors_seen() == 5);
  CHECK(reader.warnings() == 1);
  const auto& errors = reader.errors();
  REQUIRE(errors.size() == 5);
  CHECK(errors[0].toc_id == 6);
  CHECK(errors[0].toc_entry == "6; 2615 16493 SCHEMA sales erp_admin");
  CHECK(errors[0].message == "could not execute query: ERROR:  schema \"sales\" already exists");
  CHECK(errors[1].toc_id == 3347);
  CHECK(errors[2].toc_id == 222);
  // pg_restore names an entry only before its first error.
  CHECK(errors[3].toc_id == 222);
  CHECK(errors[3].message == "could not execute query: ERROR:  second error of the same entry");
  // After a new step that names no entry: none (a server WARNING between does not count).
  CHECK(errors[4].toc_id == 0);
  CHECK(errors[4].toc_entry.empty());
  CHECK(errors[4].message == "unexpected end of file");
}

TEST_CASE("detail and hint lines belong to the error before them") {
  RestoreLogReader reader;
  read_all(reader,
           "pg_restore: from TOC entry 222; 1259 16453 TABLE llx_event erp_admin\n"
           "pg_restore: error: could not execute query: ERROR:  x\n"
           "pg_restore: detail: something\n"
           "pg_restore: hint: something else\n"
           "pg_restore: error: could not execute query: ERROR:  y\n");
  REQUIRE(reader.errors().size() == 2);
  CHECK(reader.errors()[1].toc_id == 222);
}

TEST_CASE("an error fails the restore unless its entry is excluded or it is on the harmless list") {
  RestoreLogReader reader;
  read_all(reader, kStderr);
  const auto toc = toc_entries_by_id(kListing);
  const std::vector<std::string> exclude = {"FUNCTION pgbouncer user_lookup"};
  const auto& errors = reader.errors();

  const JudgedRestoreError schema = judge_restore_error(errors[0], toc, exclude);
  CHECK(schema.verdict == RestoreErrorVerdict::failing);
  CHECK(schema.entry == "6; SCHEMA - sales erp_admin");  // the listing's name, with the schema

  const JudgedRestoreError comment = judge_restore_error(errors[1], toc, exclude);
  CHECK(comment.verdict == RestoreErrorVerdict::harmless);
  CHECK(comment.entry == "3347; COMMENT - SCHEMA public pg_database_owner");
  CHECK(comment.why.find("comment") != std::string_view::npos);

  CHECK(judge_restore_error(errors[2], toc, exclude).verdict == RestoreErrorVerdict::failing);
  const JudgedRestoreError outside = judge_restore_error(errors[4], toc, exclude);
  CHECK(outside.verdict == RestoreErrorVerdict::failing);
  CHECK(outside.entry == "no TOC entry");

  // The harmless error text on another entry, and another error on a harmless entry, fail.
  CHECK(judge_restore_error({222, "222; x",
                             "could not execute query: ERROR:  must be owner of "
                             "schema public"},
                            toc, exclude)
            .verdict == RestoreErrorVerdict::failing);
  CHECK(judge_restore_error({3347, "3347; x", "could not execute query: ERROR:  out of memory"},
                            toc, exclude)
            .verdict == RestoreErrorVerdict::failing);
  CHECK(judge_restore_error({3347, "3347; x",
                             "could not execute query: ERROR:  must be owner of "
                             "schema public_x"},
                            toc, exclude)
            .verdict == RestoreErrorVerdict::failing);

  // An entry RESTORE_EXCLUDE names (or its grants) is not the restore's business.
  const JudgedRestoreError acl = judge_restore_error(
      {906, "906; 0 0 ACL user_lookup(text) erp_admin", "anything"}, toc, exclude);
  CHECK(acl.verdict == RestoreErrorVerdict::excluded);
  CHECK(judge_restore_error({906, "", "anything"}, toc, {}).verdict ==
        RestoreErrorVerdict::failing);
  // An ID the listing does not hold keeps pg_restore's own name, and fails.
  const JudgedRestoreError unknown = judge_restore_error({77, "77; 0 0 TABLE x erp", "e"}, toc, {});
  CHECK(unknown.verdict == RestoreErrorVerdict::failing);
  CHECK(unknown.entry == "77; 0 0 TABLE x erp");
}

TEST_CASE("the harmless list: each entry is a listing name, each error the server's words") {
  for (const HarmlessRestoreError& harmless : kHarmlessRestoreErrors) {
    CHECK(harmless.error.starts_with("ERROR:  "));
    CHECK(harmless.entry.find(' ') != std::string_view::npos);
    CHECK_FALSE(harmless.why.empty());
  }
  RestoreLogReader reader;
  read_all(
      reader,
      "pg_restore: from TOC entry 5; 2615 2200 SCHEMA public postgres\n"
      "pg_restore: error: could not execute query: ERROR:  schema \"public\" already exists\n");
  const auto judged =
      judge_restore_error(reader.errors()[0], {{5, "SCHEMA - public postgres"}}, {});
  CHECK(judged.verdict == RestoreErrorVerdict::harmless);
}

TEST_CASE("default privileges of another role are harmless only with the membership error") {
  // As test_pg_security's source gives them, restored by a non-superuser.
  const std::map<int, std::string> toc = {
      {3761, "DEFAULT ACL public DEFAULT PRIVILEGES FOR SEQUENCES erp_app erp_app"},
      {3762, "ACL public TABLE llx_societe erp_app"}};
  const std::string member = "could not execute query: ERROR:  must be member of role \"erp_app\"";
  const auto judged = judge_restore_error({3761, "3761; x", member}, toc, {});
  CHECK(judged.verdict == RestoreErrorVerdict::harmless);
  CHECK(judged.why.find("--no-owner") != std::string_view::npos);
  // Another error of the same entry, or the same error of a grant on a table, fail.
  CHECK(judge_restore_error({3761, "3761; x",
                             "could not execute query: ERROR:  role \"x\" does "
                             "not exist"},
                            toc, {})
            .verdict == RestoreErrorVerdict::failing);
  CHECK(judge_restore_error({3762, "3762; x", member}, toc, {}).verdict ==
        RestoreErrorVerdict::failing);
  // No server error at all.
  CHECK(judge_restore_error({3761, "3761; x", "must be member of role \"erp_app\""}, toc, {})
            .verdict == RestoreErrorVerdict::failing);
}

}  // namespace erp::pg
