#include "catalog/catalog.h"

#include <doctest/doctest.h>

#include "app/retention_seed.h"
#include "catalog/backup_id.h"
#include "retention/backup_sets.h"

using namespace erp;
using erp::catalog::KeyLayout;
using erp::catalog::ObjectKind;
using erp::testing::FakeObjectStore;
using erp::testing::seed_set;
using erp::testing::SeedManifest;

TEST_CASE("the catalog groups objects by set id, oldest first, across pages") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  // Enough sets for several ListObjectsV2 pages (the fake pages at 1000 keys).
  for (int day = 1; day <= 28; ++day) {
    for (int hour = 0; hour < 13; ++hour) {
      char id[32];
      std::snprintf(id, sizeof id, "202602%02dT%02d0000Z", day, hour);
      seed_set(store, layout, id);
    }
  }
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  REQUIRE(catalog->sets.size() == 28 * 13);
  CHECK(store.count(FakeObjectStore::Op::list_objects_v2) >= 2);
  CHECK(catalog->sets.front().id == "20260201T000000Z");
  CHECK(catalog->sets.back().id == "20260228T120000Z");
  const auto& set = catalog->sets.front();
  CHECK(set.complete);
  CHECK(set.problem.empty());
  CHECK(set.objects.size() == 3);
  CHECK(set.bytes(ObjectKind::db_dump) == std::string("dump-20260201T000000Z").size());
  CHECK(set.total_bytes() > set.bytes(ObjectKind::docs_archive));
  REQUIRE(set.manifest.has_value());
  CHECK(set.manifest->id == set.id);
  CHECK(catalog->foreign.empty());
  const auto sets = retention::backup_sets(*catalog);
  REQUIRE(sets.size() == catalog->sets.size());
  CHECK(sets[0].start_time == catalog::parse_backup_id("20260201T000000Z").value());
}

TEST_CASE("foreign keys, last-success and other envs are kept apart") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261126T020000Z");
  seed_set(store, KeyLayout("erp", "prod-old"), "20261126T020000Z");
  store.seed("erp/prod/last-success.json", "{}");
  store.seed("erp/prod/notes.txt", "hello");
  store.seed("erp/prod/db/20261126T020000Z.dump.bak", "x");
  store.seed("erp/prod/db/2026-11-26.dump", "x");
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  REQUIRE(catalog->sets.size() == 1);
  CHECK(catalog->sets[0].complete);
  CHECK(catalog->foreign.size() == 3);
  REQUIRE(catalog->last_success.has_value());
  CHECK(catalog->last_success->key == "erp/prod/last-success.json");
}

TEST_CASE("a doctor run's leftover probe objects are neither a set nor foreign") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261126T020000Z");
  const std::string run = layout.doctor_run_prefix("0123456789abcdef0123456789abcdef");
  store.seed(run + "probe", "x");
  store.seed(run + "multipart", "y");
  // Not a run token: another tool's key under the env, still foreign.
  store.seed(layout.doctor_prefix() + "notes.txt", "z");
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  REQUIRE(catalog->sets.size() == 1);
  CHECK(catalog->sets[0].complete);
  CHECK(catalog->sets[0].objects.size() == 3);
  REQUIRE(catalog->foreign.size() == 1);
  CHECK(catalog->foreign[0].key == "erp/prod/.doctor/notes.txt");
}

TEST_CASE("the Object Lock canary is neither a set nor foreign") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261126T020000Z");
  store.seed(layout.lock_canary_key(), "{}");
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  REQUIRE(catalog->sets.size() == 1);
  CHECK(catalog->sets[0].objects.size() == 3);
  CHECK(catalog->foreign.empty());
}

TEST_CASE("drill evidence is neither a set nor foreign, even when its set is gone") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261126T020000Z");
  store.seed(layout.drill_evidence_key("20261126T020000Z", "20261129T030000Z"), "{}");
  store.seed(layout.drill_evidence_key("20250101T020000Z", "20250102T030000Z"), "{}");
  // Not the evidence spelling: another tool's file under drills/, still foreign.
  store.seed(layout.drill_prefix() + "notes.txt", "z");
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  REQUIRE(catalog->sets.size() == 1);
  CHECK(catalog->sets[0].objects.size() == 3);
  REQUIRE(catalog->foreign.size() == 1);
  CHECK(catalog->foreign[0].key == "erp/prod/drills/notes.txt");
}

TEST_CASE("incomplete sets say why") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261101T020000Z", SeedManifest::none);
  seed_set(store, layout, "20261102T020000Z", SeedManifest::failed_stream);
  seed_set(store, layout, "20261103T020000Z", SeedManifest::garbage);
  seed_set(store, layout, "20261104T020000Z");
  seed_set(store, layout, "20261105T020000Z");
  seed_set(store, layout, "20261106T020000Z");
  // A half-deleted set: manifest present, data gone.
  REQUIRE(store.delete_object(layout.db_key("20261104T020000Z")).has_value());
  // Data that does not match the manifest's size.
  store.seed(layout.docs_key("20261105T020000Z"), "truncated");
  // A manifest copied from another set.
  store.seed(layout.manifest_key("20261106T020000Z"),
             store.object(layout.manifest_key("20261102T020000Z")).value());

  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  REQUIRE(catalog->sets.size() == 6);
  for (const auto& set : catalog->sets) {
    CHECK_MESSAGE(!set.complete, set.id);
    CHECK_MESSAGE(!set.problem.empty(), set.id);
  }
  CHECK(catalog->sets[0].problem == "no manifest");
  CHECK(catalog->sets[1].problem.find("failed") != std::string::npos);
  using catalog::SetState;
  const SetState states[] = {SetState::incomplete, SetState::partial,    SetState::unreadable,
                             SetState::partial,    SetState::unreadable, SetState::unreadable};
  for (std::size_t i = 0; i < 6; ++i) {
    CAPTURE(catalog->sets[i].id);
    CHECK(catalog->sets[i].state == states[i]);
  }
  CHECK(catalog->sets[2].problem.find("unreadable manifest") != std::string::npos);
  CHECK(catalog->sets[3].problem.find("missing") != std::string::npos);  // docs still held
  CHECK(catalog->sets[4].problem.find("bytes") != std::string::npos);
  CHECK(catalog->sets[5].problem.find("names set") != std::string::npos);
}

TEST_CASE("a listing failure is an error, not an empty catalog") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261126T020000Z");
  store.inject_failure({.op = FakeObjectStore::Op::list_objects_v2,
                        .error = {ErrorKind::permanent, "AccessDenied"}});
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE_FALSE(catalog.has_value());
  CHECK(catalog.error().kind == ErrorKind::permanent);
}

TEST_CASE("an empty prefix is an empty catalog") {
  FakeObjectStore store;
  auto catalog = catalog::load_catalog(store, KeyLayout("erp", "prod"));
  REQUIRE(catalog.has_value());
  CHECK(catalog->sets.empty());
  CHECK(catalog->foreign.empty());
}

TEST_CASE("the catalog tells which streams each set holds, from its manifest") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261101T020000Z");                               // full
  seed_set(store, layout, "20261102T020000Z", SeedManifest::docs_only);      // --only docs
  seed_set(store, layout, "20261103T020000Z", SeedManifest::db_only);        // --only db
  seed_set(store, layout, "20261104T020000Z", SeedManifest::failed_stream);  // docs failed
  seed_set(store, layout, "20261105T020000Z", SeedManifest::none);           // no manifest
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  REQUIRE(catalog->sets.size() == 5);
  using catalog::Stream;
  using catalog::StreamSet;
  CHECK(catalog->sets[0].streams() == StreamSet::both());
  CHECK(catalog->sets[1].streams() == StreamSet::only(Stream::docs));
  CHECK(catalog->sets[2].streams() == StreamSet::only(Stream::db));
  CHECK(catalog->sets[3].streams() == StreamSet::only(Stream::db));  // committed, not complete
  CHECK(catalog->sets[4].streams().empty());
  CHECK(catalog->sets[1].complete);
  CHECK(catalog->sets[2].complete);
  CHECK_FALSE(catalog->sets[3].complete);
  CHECK(catalog::to_string(catalog->sets[1].streams()) == "docs");
  CHECK(catalog::to_string(catalog->sets[0].streams()) == "db+docs");

  const auto sets = retention::backup_sets(*catalog);
  REQUIRE(sets.size() == 5);
  for (std::size_t i = 0; i < sets.size(); ++i) {
    CAPTURE(sets[i].id);
    CHECK(sets[i].streams == catalog->sets[i].streams());  // every committed object is present
    CHECK_FALSE(sets[i].unreadable);
  }
  // The partial set's failed docs upload is in the bucket: a leftover. A set without a
  // manifest is all leftovers.
  CHECK(sets[3].leftovers);
  CHECK(sets[4].leftovers);
  CHECK_FALSE(sets[0].leftovers);
  CHECK_FALSE(sets[1].leftovers);
}

TEST_CASE("a docs-only set whose manifest names a db dump that is gone is incomplete") {
  // The streams come from the manifest, and only committed ones are checked against the
  // listing: a docs-only set does not need a db object, but one that names it does.
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261101T020000Z", SeedManifest::docs_only);
  REQUIRE_FALSE(store.object(layout.db_key("20261101T020000Z")).has_value());
  seed_set(store, layout, "20261102T020000Z");
  REQUIRE(store.delete_object(layout.db_key("20261102T020000Z")).has_value());
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  CHECK(catalog->sets[0].complete);
  CHECK_FALSE(catalog->sets[1].complete);
  // Its docs archive is still a restorable, retainable stream: the set is partial.
  CHECK(catalog->sets[1].state == catalog::SetState::partial);
  CHECK(catalog->sets[1].held() == catalog::StreamSet::only(catalog::Stream::docs));
  CHECK(catalog->sets[1].leftovers().empty());
}

TEST_CASE("find_set: latest per stream, IDs checked for the stream they are read for") {
  using erp::catalog::Catalog;
  using erp::catalog::CatalogSet;
  using erp::catalog::Stream;
  using erp::catalog::StreamStatus;
  Catalog catalog;
  auto make = [](std::string id, std::optional<StreamStatus> db, std::optional<StreamStatus> docs,
                 bool db_object, bool complete) {
    CatalogSet set;
    set.id = std::move(id);
    set.complete = complete;
    erp::catalog::Manifest manifest;
    manifest.id = set.id;
    if (db) {
      manifest.db = erp::catalog::StreamRecord{
          .key = "erp/prod/db/" + set.id + ".dump", .status = *db, .bytes = 10};
      if (db_object)
        set.objects.push_back({erp::catalog::ObjectKind::db_dump, manifest.db->key, 10});
    }
    if (docs) {
      manifest.docs = erp::catalog::StreamRecord{
          .key = "erp/prod/docs/" + set.id + ".tar.zst", .status = *docs, .bytes = 20};
      set.objects.push_back({erp::catalog::ObjectKind::docs_archive, manifest.docs->key, 20});
    }
    set.manifest = manifest;
    return set;
  };
  catalog.sets.push_back(
      make("20261101T000000Z", StreamStatus::committed, StreamStatus::committed, true, true));
  catalog.sets.push_back(make("20261102T000000Z", StreamStatus::committed, StreamStatus::failed,
                              true, false));  // partial: its dump is good
  catalog.sets.push_back(make("20261103T000000Z", std::nullopt, StreamStatus::committed, false,
                              true));  // --only docs
  catalog.sets.push_back(make("20261104T000000Z", StreamStatus::committed, std::nullopt, false,
                              false));  // the dump object is missing
  CatalogSet bare;
  bare.id = "20261105T000000Z";
  bare.problem = "no manifest";
  catalog.sets.push_back(bare);

  CHECK((*find_set(catalog, "latest"))->id == "20261103T000000Z");  // newest complete
  CHECK((*find_set(catalog, "latest", Stream::db))->id == "20261102T000000Z");
  CHECK((*find_set(catalog, "latest", Stream::docs))->id == "20261103T000000Z");
  CHECK((*find_set(catalog, "20261105T000000Z"))->id == "20261105T000000Z");  // verify reports it
  const std::pair<const char*, const char*> refused[] = {{"20261102T000000Z", "docs stream failed"},
                                                         {"20261103T000000Z", "holds no db stream"},
                                                         {"20261104T000000Z", "missing"},
                                                         {"20261105T000000Z", "no manifest"}};
  for (const auto& [id, why] : refused) {
    CAPTURE(id);
    const Stream stream = std::string(why) == "docs stream failed" ? Stream::docs : Stream::db;
    const auto found = find_set(catalog, id, stream);
    REQUIRE_FALSE(found.has_value());
    CHECK(found.error().kind == erp::ErrorKind::permanent);
    CHECK(found.error().message.find(why) != std::string::npos);
  }
  CHECK(find_set(catalog, "20991231T000000Z").error().kind == erp::ErrorKind::not_found);
  CHECK(find_set(Catalog{}, "latest", Stream::db).error().kind == erp::ErrorKind::not_found);
}

TEST_CASE("a partial set holds its committed stream; its failed upload is a leftover") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  seed_set(store, layout, "20261104T020000Z", SeedManifest::failed_stream);
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  const auto& set = catalog->sets.at(0);
  CHECK(set.state == catalog::SetState::partial);
  CHECK(catalog::to_string(set.state) == "partial");
  CHECK(set.problem == "manifest says the docs stream failed");
  CHECK(set.held() == catalog::StreamSet::only(catalog::Stream::db));
  REQUIRE(set.leftovers().size() == 1);
  CHECK(set.leftovers()[0]->key == layout.docs_key("20261104T020000Z"));
  // Restore and verify of its dump still find it.
  CHECK(catalog::holds_stream(set, catalog::Stream::db));
  CHECK((*catalog::find_set(*catalog, "latest", catalog::Stream::db))->id == set.id);
  // The same set without the failed upload has no leftovers.
  REQUIRE(store.delete_object(layout.docs_key("20261104T020000Z")).has_value());
  auto again = catalog::load_catalog(store, layout);
  REQUIRE(again.has_value());
  CHECK(again->sets.at(0).state == catalog::SetState::partial);
  CHECK(again->sets.at(0).leftovers().empty());
}

namespace {

// A complete set whose manifest is then replaced by `text`.
void seed_with_manifest(FakeObjectStore& store, const KeyLayout& layout, const std::string& id,
                        const std::string& text) {
  seed_set(store, layout, id);
  store.seed(layout.manifest_key(id), text);
}

// The manifest seed_set writes for `id`, as JSON text with `from` replaced by `to` once.
std::string edited_manifest(FakeObjectStore& store, const KeyLayout& layout, const std::string& id,
                            const std::string& from, const std::string& to) {
  seed_set(store, layout, id);
  std::string text = store.object(layout.manifest_key(id)).value();
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("a manifest that cannot be trusted is its set's problem: kept, never acted on") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  const std::string big(catalog::kMaxManifestBytes + 1, ' ');
  struct Row {
    std::string id;
    std::string text;
    std::string why;  // in the problem
  };
  std::vector<Row> rows = {
      {"20261101T020000Z", big, "more than the 262144 a manifest may have"},
      {"20261102T020000Z", deep, "nested deeper than 32 levels"},
      {"20261103T020000Z", "{not json", "unreadable manifest"},
      {"20261104T020000Z",
       edited_manifest(store, layout, "20261104T020000Z", "erp/prod/db/", "erp/sandbox/db/"),
       "'erp/sandbox/db/20261104T020000Z.dump', which is not this set's"},
      {"20261105T020000Z",
       edited_manifest(store, layout, "20261105T020000Z", "db/20261105T020000Z",
                       "db/20261001T020000Z"),
       "which is not this set's"},
      {"20261106T020000Z",
       edited_manifest(store, layout, "20261106T020000Z", "\"streams\": {",
                       "\"streams\": {\"logs\": {}, "),
       "unknown stream \"logs\""},
      {"20261107T020000Z",
       edited_manifest(store, layout, "20261107T020000Z", "\"bytes\": 21", "\"bytes\": 12"),
       "has 21 bytes, the manifest says 12"},
  };
  for (const Row& row : rows) seed_with_manifest(store, layout, row.id, row.text);
  seed_set(store, layout, "20261110T020000Z");  // a good one, read as usual

  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  REQUIRE(catalog->sets.size() == rows.size() + 1);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& set = catalog->sets[i];
    CAPTURE(set.id);
    CHECK(set.state == catalog::SetState::unreadable);
    CHECK_FALSE(set.manifest.has_value());  // nothing it says is used
    CHECK(set.held().empty());
    CHECK(set.leftovers().empty());  // nothing of it is ever deleted
    CHECK(set.problem.find(rows[i].why) != std::string::npos);
    CHECK(set.problem.find("erp-backup cat " + layout.manifest_key(set.id)) != std::string::npos);
    const auto found = catalog::find_set(*catalog, set.id, catalog::Stream::db);
    REQUIRE_FALSE(found.has_value());
    CHECK(found.error().message.find(rows[i].why) != std::string::npos);
  }
  CHECK(catalog->sets.back().state == catalog::SetState::complete);
  // The oversized one was judged on the listing: never fetched.
  for (const auto& call : store.calls()) {
    if (call.op == FakeObjectStore::Op::get_object)
      CHECK(call.key != layout.manifest_key("20261101T020000Z"));
  }
  const auto sets = retention::backup_sets(*catalog);
  for (std::size_t i = 0; i < rows.size(); ++i) CHECK(sets[i].unreadable);
  CHECK_FALSE(sets.back().unreadable);
}

TEST_CASE("a manifest GET that fails is the catalog's error, not the set's problem") {
  // A misread manifest could make a kept set look expired: only what the object holds is the
  // set's problem. A read that fails (after retries) fails the catalog, so prune deletes
  // nothing. A manifest that is listed and then answers 404 is kept for this run.
  const KeyLayout layout("erp", "prod");
  const std::string key = layout.manifest_key("20261102T020000Z");
  for (const auto& [kind, code] :
       {std::pair{ErrorKind::transient, "ServiceUnavailable"},
        std::pair{ErrorKind::permanent, "AccessDenied"},
        std::pair{ErrorKind::corrupt, "short body"}, std::pair{ErrorKind::cancelled, "stopped"}}) {
    CAPTURE(code);
    FakeObjectStore store;
    for (const char* id : {"20261101T020000Z", "20261102T020000Z", "20261103T020000Z"})
      seed_set(store, layout, id);
    store.inject_failure(
        {.op = FakeObjectStore::Op::get_object, .error = {kind, code}, .key = key, .times = -1});
    auto catalog = catalog::load_catalog(store, layout);
    REQUIRE_FALSE(catalog.has_value());
    CHECK(catalog.error().kind == kind);
    CHECK(catalog.error().message.find(key) != std::string::npos);
  }
  FakeObjectStore store;
  seed_set(store, layout, "20261102T020000Z");
  store.inject_failure({.op = FakeObjectStore::Op::get_object,
                        .error = {ErrorKind::not_found, "NoSuchKey"},
                        .key = key});
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  CHECK(catalog->sets[0].state == catalog::SetState::unreadable);
  CHECK(catalog->sets[0].problem.find("vanished") != std::string::npos);
}

TEST_CASE("trust_problem: a manifest may name only the layout's keys of its own set and env") {
  const KeyLayout layout("erp", "prod");
  const std::string id = "20261126T020000Z";
  catalog::Manifest manifest;
  manifest.id = id;
  manifest.db =
      catalog::StreamRecord{.key = layout.db_key(id), .status = catalog::StreamStatus::committed};
  manifest.docs =
      catalog::StreamRecord{.key = layout.docs_key(id), .status = catalog::StreamStatus::failed};
  CHECK(catalog::trust_problem(manifest, layout, id).empty());
  manifest.db->key = layout.db_key(id, catalog::DbCompression::zstd);  // the other spelling
  CHECK(catalog::trust_problem(manifest, layout, id).empty());
  CHECK(catalog::trust_problem(manifest, layout, "20261125T020000Z") == "manifest names set " + id);
  const std::pair<std::string, bool> db_keys[] = {
      {"erp/sandbox/db/20261126T020000Z.dump", false},    // another env
      {"erp/prod-old/db/20261126T020000Z.dump", false},   // a longer env name
      {"other/prod/db/20261126T020000Z.dump", false},     // another prefix
      {"erp/prod/db/20261125T020000Z.dump", false},       // another set
      {"erp/prod/docs/20261126T020000Z.tar.zst", false},  // another stream's key
      {"erp/prod/db/20261126T020000Z.dump.bak", false},   // not a key of the layout
      {"", false},
      {"erp/prod/db/20261126T020000Z.dump", true},
  };
  for (const auto& [key, trusted] : db_keys) {
    CAPTURE(key);
    manifest.db->key = key;
    const std::string problem = catalog::trust_problem(manifest, layout, id);
    CHECK(problem.empty() == trusted);
    if (!trusted) CHECK(problem.find("'" + key + "'") != std::string::npos);
  }
  // A failed stream's record names a key too: it must be the set's own as well.
  manifest.docs->key = "erp/sandbox/docs/20261126T020000Z.tar.zst";
  CHECK_FALSE(catalog::trust_problem(manifest, layout, id).empty());
}
