#include "catalog/manifest.h"

#include <doctest/doctest.h>

using namespace erp::catalog;

namespace {

Manifest full_manifest() {
  Manifest m;
  m.id = "20261126T020000Z";
  m.env = "prod";
  m.started_at = "2026-11-26T02:00:00Z";
  m.finished_at = "2026-11-26T02:03:10Z";
  m.tool_version = "0.1.0";
  m.host = "erp-backup-29123-abcde";
  m.database = DatabaseRecord{"15.18", "15.18", "dolibarr", 312, 298};
  m.source = SourceRecord{"db.internal", "5432", "dolibarr", "7301234567890123456"};
  m.db = StreamRecord{"erp/prod/db/20261126T020000Z.dump",
                      StreamStatus::committed,
                      123456,
                      std::string(64, 'a'),
                      2,
                      "etag-2",
                      "none",
                      0,
                      ""};
  m.docs = StreamRecord{"erp/prod/docs/20261126T020000Z.tar.zst",
                        StreamStatus::committed,
                        98765,
                        std::string(64, 'b'),
                        1,
                        "etag",
                        "zstd",
                        std::nullopt,
                        ""};
  m.documents = DocumentsRecord{"/var/www/documents", 10, 4, 2, 1, 555, {{"sock", "socket"}}};
  return m;
}

}  // namespace

TEST_CASE("a manifest survives a JSON round trip field by field") {
  const Manifest original = full_manifest();
  const auto parsed = parse_manifest(to_json(original));
  REQUIRE(parsed.has_value());
  CHECK(parsed->id == original.id);
  CHECK(parsed->env == "prod");
  REQUIRE(parsed->database.has_value());
  CHECK(parsed->database->llx_tables == 298);
  REQUIRE(parsed->db.has_value());
  CHECK(parsed->db->bytes == 123456);
  CHECK(parsed->db->producer_exit_status == 0);
  REQUIRE(parsed->docs.has_value());
  CHECK_FALSE(parsed->docs->producer_exit_status.has_value());
  REQUIRE(parsed->documents.has_value());
  CHECK(parsed->documents->skipped.size() == 1);
  CHECK(parsed->documents->skipped[0].reason == "socket");
  CHECK(parsed->complete());
  REQUIRE(parsed->source.has_value());
  CHECK(parsed->source->host == "db.internal");
  CHECK(parsed->source->system_identifier == "7301234567890123456");
}

TEST_CASE("a set is complete only when every stream that ran was committed") {
  Manifest m = full_manifest();
  CHECK(m.complete());
  m.docs->status = StreamStatus::failed;
  CHECK_FALSE(m.complete());
  m.docs.reset();
  CHECK(m.complete());  // --only db
  m.db.reset();
  CHECK_FALSE(m.complete());  // nothing ran
}

TEST_CASE("a manifest that is not ours or not valid is corrupt") {
  for (const char* text : {"", "{", "[]", R"({"format_version": 2, "id": "x", "streams": {}})",
                           R"({"format_version": 1, "streams": {}})"}) {
    CAPTURE(text);
    const auto parsed = parse_manifest(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().kind == erp::ErrorKind::corrupt);
  }
}

TEST_CASE("stream statuses are spelled in one place and an unknown one is corrupt") {
  for (StreamStatus status :
       {StreamStatus::committed, StreamStatus::failed, StreamStatus::not_run}) {
    const auto parsed = parse_stream_status(to_string(status));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == status);
  }
  CHECK(to_string(StreamStatus::not_run) == "not-run");
  std::string json = to_json(full_manifest());
  const auto at = json.find("\"committed\"");
  REQUIRE(at != std::string::npos);
  json.replace(at, 11, "\"finished\"");
  const auto parsed = parse_manifest(json);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().kind == erp::ErrorKind::corrupt);
  CHECK(parsed.error().message.find("finished") != std::string::npos);
}

TEST_CASE("the db stream's compression is read from the manifest, absent meaning pg_dump's own") {
  Manifest zstd = full_manifest();
  zstd.db->key = "erp/prod/db/20261126T020000Z.dump.zst";
  zstd.db->compression = "zstd";
  const auto parsed = parse_manifest(to_json(zstd));
  REQUIRE(parsed.has_value());
  CHECK(parsed->db->key == "erp/prod/db/20261126T020000Z.dump.zst");
  CHECK(stored_compression(*parsed->db) == StoredCompression::zstd);
  CHECK(stored_compression(*parsed->docs) == StoredCompression::zstd);

  // A manifest written before DB_COMPRESSION existed: "none", or no field at all.
  CHECK(stored_compression(*full_manifest().db) == StoredCompression::none);
  const auto old = parse_manifest(R"({"format_version": 1, "id": "20261126T020000Z",
      "streams": {"db": {"key": "erp/prod/db/20261126T020000Z.dump", "status": "committed",
                         "bytes": 5, "sha256": "x"}}})");
  REQUIRE(old.has_value());
  CHECK(old->db->compression.empty());
  CHECK(stored_compression(*old->db) == StoredCompression::none);
}

TEST_CASE("a compression this version cannot decode is refused, naming the key") {
  StreamRecord record = *full_manifest().db;
  record.compression = "lz4";
  const auto refused = stored_compression(record);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == erp::ErrorKind::corrupt);
  CHECK(refused.error().message.find("erp/prod/db/20261126T020000Z.dump") != std::string::npos);
  CHECK(refused.error().message.find("'lz4'") != std::string::npos);
}

TEST_CASE("a manifest text above the size cap or nested too deep is refused before parsing") {
  // Bucket content is not trusted: issue 17 measured 1.14 GB of RSS for eight deeply nested
  // 4 MB objects at manifest keys. Both limits are checked on the text, before any parse.
  const std::string big = to_json(full_manifest()) + std::string(kMaxManifestBytes, ' ');
  const auto too_big = parse_manifest(big);
  REQUIRE_FALSE(too_big.has_value());
  CHECK(too_big.error().kind == erp::ErrorKind::corrupt);
  CHECK(too_big.error().message.find("more than the 262144") != std::string::npos);

  const auto nested = [](int depth) {
    return R"({"format_version": 1, "id": "x", "streams": {}, "extra": )" +
           std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  const auto deep = parse_manifest(nested(kMaxManifestDepth + 1));
  REQUIRE_FALSE(deep.has_value());
  CHECK(deep.error().message.find("nested deeper than 32 levels") != std::string::npos);
  CHECK(parse_manifest(nested(kMaxManifestDepth)).has_value());  // the limit itself is fine
  const std::string very_deep = std::string(100'000, '[') + std::string(100'000, ']');
  CHECK(parse_manifest(very_deep).error().message.find("nested deeper") != std::string::npos);

  // Brackets inside strings, escaped quotes included, are text, not nesting.
  Manifest m = full_manifest();
  m.host = "\"[" + std::string(100, '[') + "\\\"{";
  m.documents->skipped = {{std::string(50, '{'), "a \"quoted\" [reason"}};
  const auto parsed = parse_manifest(to_json(m));
  REQUIRE(parsed.has_value());
  CHECK(parsed->host == m.host);
}

TEST_CASE("to_json never writes a manifest that parse_manifest would refuse") {
  // A documents tree with 100,000 unreadable files under DOCS_ON_ERROR=skip, and a stream
  // error of a megabyte: the manifest keeps what fits and counts the rest.
  Manifest m = full_manifest();
  m.documents->skipped.clear();
  for (int i = 0; i < 100'000; ++i)
    m.documents->skipped.push_back(
        {"invoices/2026/" + std::string(200, 'x') + std::to_string(i) + ".pdf",
         "cannot open: Permission denied"});
  m.docs->status = StreamStatus::failed;
  m.docs->error = std::string(1 << 20, 'e');
  const std::string text = to_json(m);
  CHECK(text.size() <= kMaxManifestBytes);
  const auto parsed = parse_manifest(text);
  REQUIRE(parsed.has_value());
  const DocumentsRecord& d = *parsed->documents;
  CHECK(d.skipped.size() > 100);
  CHECK(d.skipped.size() < 1000);
  CHECK(d.skipped.size() + d.skipped_omitted == 100'000);
  CHECK(d.skipped[0].path == m.documents->skipped[0].path);  // the first ones are kept
  CHECK(parsed->docs->error.size() == kMaxErrorBytes);
  CHECK(parsed->docs->error.ends_with("..."));
  // A short list is written whole, without the count.
  CHECK(to_json(full_manifest()).find("skipped_omitted") == std::string::npos);
}

TEST_CASE(
    "a manifest naming a stream this tool does not know, or fields of the wrong type, is "
    "corrupt") {
  // Reading such a manifest as holding less than it says would make retention treat an
  // object it names as a leftover; refusing keeps the set whole (catalog: unreadable).
  for (
      const char* text : {
          R"({"format_version": 1, "id": "x", "streams": {"logs": {"key": "k", "status": "committed"}}})",
          R"({"format_version": 1, "id": "x", "streams": []})",
          R"({"format_version": 1, "id": "x", "streams": {"db": {"key": 5, "status": "committed"}}})",
          R"({"format_version": 1, "id": "x", "streams": {"db": {"key": "k", "status": "committed", "bytes": "12"}}})",
          R"({"format_version": 1, "id": 7, "streams": {}})",
      }) {
    CAPTURE(text);
    const auto parsed = parse_manifest(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().kind == erp::ErrorKind::corrupt);
  }
  CHECK(parse_manifest(R"({"format_version": 1, "id": "x", "streams": {"logs": {}}})")
            .error()
            .message.find("unknown stream \"logs\"") != std::string::npos);
}

TEST_CASE("links that leave the documents tree round-trip; a manifest from before has none") {
  Manifest with = full_manifest();
  with.documents->links_outside = {{"license.txt", "/usr/share/common-licenses/GPL"},
                                   {"mycompany/logo-rel.png", "../../common-logo.png"}};
  with.documents->links_outside_total = 3;  // one more than listed: the list is bounded
  const auto parsed = parse_manifest(to_json(with));
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->documents.has_value());
  CHECK(parsed->documents->links_outside_total == 3);
  REQUIRE(parsed->documents->links_outside.size() == 2);
  CHECK(parsed->documents->links_outside[1].path == "mycompany/logo-rel.png");
  CHECK(parsed->documents->links_outside[1].target == "../../common-logo.png");
  CHECK(parsed->documents->entries() == 10 + 4 + 2 + 1);

  // Written before the field existed (or by a backup that found none: total 0, written).
  const std::string old_json = to_json(full_manifest());
  CHECK(old_json.find("links_outside") == std::string::npos);
  const auto old = parse_manifest(old_json);
  REQUIRE(old.has_value());
  CHECK_FALSE(old->documents->links_outside_total.has_value());
  CHECK(old->documents->links_outside.empty());
  Manifest none = full_manifest();
  none.documents->links_outside_total = 0;
  CHECK(parse_manifest(to_json(none))->documents->links_outside_total == 0);
}

TEST_CASE("the object_lock record round-trips; enforced may be null; absent means not locked") {
  Manifest m = full_manifest();
  CHECK(parse_manifest(to_json(m))->object_lock == std::nullopt);  // mode off: no member
  CHECK(to_json(m).find("object_lock") == std::string::npos);
  m.object_lock = ObjectLockRecord{.mode = "governance",
                                   .retain_until = "2027-01-08T02:00:00Z",
                                   .enforced = true,
                                   .checked_at = "2026-12-07T02:00:05Z"};
  auto parsed = parse_manifest(to_json(m));
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->object_lock.has_value());
  CHECK(parsed->object_lock->mode == "governance");
  CHECK(parsed->object_lock->retain_until == "2027-01-08T02:00:00Z");
  CHECK(parsed->object_lock->enforced == true);
  CHECK(parsed->object_lock->checked_at == "2026-12-07T02:00:05Z");
  m.object_lock = ObjectLockRecord{.mode = "compliance", .retain_until = "2027-01-08T02:00:00Z"};
  const std::string undecided = to_json(m);
  CHECK(undecided.find("\"enforced\": null") != std::string::npos);
  CHECK(undecided.find("\"checked_at\": null") != std::string::npos);
  parsed = parse_manifest(undecided);
  REQUIRE(parsed.has_value());
  CHECK_FALSE(parsed->object_lock->enforced.has_value());
  CHECK_FALSE(parsed->object_lock->checked_at.has_value());
  // A record of the wrong shape is refused like any other field of the wrong type.
  for (const char* lock :
       {R"("yes")", R"({"mode": 1})", R"({"mode": "governance", "enforced": "x"})"}) {
    CAPTURE(lock);
    const std::string text = std::string(R"({"format_version": 1, "id": "x", "streams": {}, )") +
                             R"("object_lock": )" + lock + "}";
    const auto refused = parse_manifest(text);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == erp::ErrorKind::corrupt);
  }
}

TEST_CASE("row counts: written under database, read back, absent when not counted") {
  Manifest m = full_manifest();
  CHECK(to_json(m).find("row_counts") == std::string::npos);
  const auto without = parse_manifest(to_json(m));
  REQUIRE(without.has_value());
  CHECK_FALSE(without->database->row_counts.has_value());  // an older manifest, or off

  m.database->row_counts = RowCountsRecord{.method = "estimate",
                                           .snapshot = "own",
                                           .fallback_reason = "pg_export_snapshot() was refused",
                                           .tables = {{"\"Odd\".\"a.b\"", 3},
                                                      {"public.llx_societe", 12},
                                                      {"public.never_analysed", std::nullopt}},
                                           .large_objects = 2};
  const std::string text = to_json(m);
  CHECK(text.find(R"("public.never_analysed": null)") != std::string::npos);
  const auto parsed = parse_manifest(text);
  REQUIRE_MESSAGE(parsed.has_value(), parsed.error().message);
  const RowCountsRecord& counts = *parsed->database->row_counts;
  CHECK(counts.method == "estimate");
  CHECK(counts.snapshot == "own");
  CHECK(counts.fallback_reason == "pg_export_snapshot() was refused");
  CHECK(counts.large_objects == 2);
  CHECK(counts.tables_omitted == 0);
  REQUIRE(counts.tables.size() == 3);
  CHECK(counts.tables[0].table == "\"Odd\".\"a.b\"");
  CHECK(counts.tables[1].rows == 12);
  CHECK_FALSE(counts.tables[2].rows.has_value());

  // A count of the wrong type is corrupt, like any other field.
  const auto wrong = parse_manifest(
      R"({"format_version": 1, "id": "x", "streams": {}, "database": {"row_counts": )"
      R"({"method": "exact", "tables": {"public.t": "12"}}}})");
  CHECK_FALSE(wrong.has_value());
}

TEST_CASE("row counts of many thousand tables are cut to fit, the rest counted as omitted") {
  Manifest m = full_manifest();
  RowCountsRecord counts;
  for (int i = 0; i < 20'000; ++i) {
    counts.tables.push_back({"public.llx_table_with_a_long_name_" + std::to_string(100000 + i), i});
  }
  m.database->row_counts = counts;
  const std::string text = to_json(m);
  CHECK(text.size() <= kMaxManifestBytes);
  const auto parsed = parse_manifest(text);
  REQUIRE_MESSAGE(parsed.has_value(), parsed.error().message);
  const RowCountsRecord& read = *parsed->database->row_counts;
  CHECK(read.tables.size() > 1000);
  CHECK(read.tables.size() + read.tables_omitted == 20'000);
  CHECK(read.tables.front().table == counts.tables.front().table);  // the first ones are kept
  std::size_t names = 0;
  for (const auto& table : read.tables) names += table.table.size();
  CHECK(names <= kMaxRowCountBytes);

  // With the documents' lists at their full budgets the counts get what is left, and the
  // manifest still parses.
  for (int i = 0; i < 100'000; ++i) {
    m.documents->skipped.push_back({"invoices/" + std::string(200, 'x') + std::to_string(i),
                                    "cannot open: Permission denied"});
  }
  for (int i = 0; i < 1000; ++i) {
    m.documents->links_outside.push_back(
        {"l/" + std::string(30, 'p') + std::to_string(i), "/elsewhere/" + std::string(20, 't')});
  }
  m.documents->links_outside_total = 1000;
  const std::string crowded = to_json(m);
  CHECK(crowded.size() <= kMaxManifestBytes);
  const auto reread = parse_manifest(crowded);
  REQUIRE_MESSAGE(reread.has_value(), reread.error().message);
  const RowCountsRecord& fewer = *reread->database->row_counts;
  CHECK(fewer.tables.size() < read.tables.size());
  CHECK(fewer.tables.size() + fewer.tables_omitted == 20'000);
}
