#include "catalog/last_success.h"

#include <doctest/doctest.h>

#include <string>

using namespace erp;
using namespace erp::catalog;

namespace {

const StreamSuccess kDb{"20261126T020000Z", "2026-11-26T02:14:09Z",
                        "erp/prod/manifests/20261126T020000Z.json"};
const StreamSuccess kDocs{"20261126T140000Z", "2026-11-26T14:03:51Z",
                          "erp/prod/manifests/20261126T140000Z.json"};

}  // namespace

TEST_CASE("last-success survives a JSON round trip, each stream on its own") {
  LastSuccess both{.db = kDb, .docs = kDocs, .legacy = std::nullopt};
  const std::string json = to_json(both);
  CHECK(json.find("\"format_version\": 2") != std::string::npos);
  CHECK(json.find("\"db\": {") != std::string::npos);
  auto parsed = parse_last_success(json);
  REQUIRE(parsed.has_value());
  CHECK(*parsed == both);

  LastSuccess db_only{.db = kDb, .docs = std::nullopt, .legacy = std::nullopt};
  auto parsed_db = parse_last_success(to_json(db_only));
  REQUIRE(parsed_db.has_value());
  CHECK(parsed_db->db == kDb);
  CHECK_FALSE(parsed_db->docs.has_value());
  CHECK(to_json(db_only).find("docs") == std::string::npos);
  CHECK(to_json(LastSuccess{}) == "{\n  \"format_version\": 2,\n  \"streams\": {}\n}\n");
}

TEST_CASE("recording a docs-only run updates docs and leaves db untouched") {
  const LastSuccess before{.db = kDb, .docs = std::nullopt, .legacy = std::nullopt};
  const LastSuccess after =
      record(before, Stream::docs, kDocs.id, kDocs.finished_at, kDocs.manifest);
  CHECK(after.db == kDb);
  CHECK(after.docs == kDocs);
  // And through the bucket's text: the db entry written back byte for byte the same.
  auto reread = parse_last_success(to_json(after));
  REQUIRE(reread.has_value());
  CHECK(reread->db == kDb);
  CHECK(reread->docs == kDocs);

  // A later full run replaces both.
  const StreamSuccess next{"20261127T020000Z", "2026-11-27T02:13:00Z",
                           "erp/prod/manifests/20261127T020000Z.json"};
  LastSuccess full = record(after, Stream::db, next.id, next.finished_at, next.manifest);
  CHECK(full.docs == kDocs);  // not yet: db first
  full = record(full, Stream::docs, next.id, next.finished_at, next.manifest);
  CHECK(full.db == next);
  CHECK(full.docs == next);
}

TEST_CASE("an old-format last-success.json tells no stream's success") {
  // Written before issue 7 after any run whose streams all committed, --only docs too.
  const std::string old =
      "{\n  \"id\": \"20261120T020000Z\",\n  \"finished_at\": \"2026-11-20T02:10:00Z\",\n"
      "  \"manifest\": \"erp/prod/manifests/20261120T020000Z.json\"\n}\n";
  auto parsed = parse_last_success(old);
  REQUIRE(parsed.has_value());
  CHECK_FALSE(parsed->db.has_value());
  CHECK_FALSE(parsed->docs.has_value());
  REQUIRE(parsed->legacy.has_value());
  CHECK(parsed->legacy->id == "20261120T020000Z");

  // A docs-only run on top of it: docs recorded, db still unknown, the old record kept.
  LastSuccess step = record(*parsed, Stream::docs, kDocs.id, kDocs.finished_at, kDocs.manifest);
  CHECK_FALSE(step.db.has_value());
  REQUIRE(step.legacy.has_value());
  auto reread = parse_last_success(to_json(step));
  REQUIRE(reread.has_value());
  CHECK(*reread == step);
  // Once both streams are known, the old record goes.
  step = record(step, Stream::db, kDb.id, kDb.finished_at, kDb.manifest);
  CHECK_FALSE(step.legacy.has_value());
  CHECK(to_json(step).find("legacy") == std::string::npos);
}

TEST_CASE("a last-success.json that is not ours is corrupt, naming what is wrong") {
  struct Row {
    const char* text;
    const char* names;
  };
  const Row rows[] = {
      {"", "not a JSON object"},
      {"[1, 2]", "not a JSON object"},
      {"{not json", "not a JSON object"},
      {R"({"format_version": 3, "streams": {}})", "format_version 3"},
      {R"({"format_version": "2", "streams": {}})", "format_version \"2\""},
      {R"({"format_version": 2})", "streams"},
      {R"({"format_version": 2, "streams": {"files": {}}})", "unknown stream \"files\""},
      {R"({"format_version": 2, "streams": {"db": 7}})", "streams.db is not an object"},
      {R"({"format_version": 2, "streams": {"db": {"id": "20261126T020000Z",
          "finished_at": "x"}}})",
       "streams.db has no string \"manifest\""},
      {R"({"format_version": 2, "streams": {"docs": {"id": "2026-11-26",
          "finished_at": "x", "manifest": "m"}}})",
       "2026-11-26"},
      {R"({"id": 5, "finished_at": "x", "manifest": "m"})",
       "old-format record has no string \"id\""},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    auto parsed = parse_last_success(row.text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().kind == ErrorKind::corrupt);
    CHECK(parsed.error().message.find(row.names) != std::string::npos);
    CHECK(parsed.error().message.find("last-success.json") != std::string::npos);
  }
}
