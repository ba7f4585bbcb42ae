// The pure decisions of `restore db` (app/restore_db.h).
#include "app/restore_db.h"

#include <doctest/doctest.h>

namespace erp::app {
namespace {

constexpr std::string_view kListing =
    ";\n; Archive created at 2026-11-30 02:00:00 UTC\n;\n"
    "215; 1259 16385 TABLE public llx_societe erp\n"
    "905; 1255 23711 FUNCTION pgbouncer user_lookup(text) erp_admin\n"
    "906; 0 0 ACL pgbouncer FUNCTION user_lookup(text) erp_admin\n"
    "907; 1255 23712 FUNCTION pgbouncer user_lookup_extra(text) erp_admin\n"
    "3400; 0 16385 TABLE DATA public llx_societe erp\n";

}  // namespace

TEST_CASE("the use list comments out exactly the excluded entries, whatever their arguments") {
  const UseList list = build_use_list(kListing, {"FUNCTION pgbouncer user_lookup", "TABLE x y"});
  REQUIRE(list.excluded.size() == 1);
  CHECK(list.excluded[0] == "905; 1255 23711 FUNCTION pgbouncer user_lookup(text) erp_admin");
  CHECK(list.text.find(";905; 1255 23711 FUNCTION pgbouncer user_lookup(text)") !=
        std::string::npos);
  // A longer name with the same beginning is another function; the table stays.
  CHECK(list.text.find("\n907; 1255 23712 FUNCTION pgbouncer user_lookup_extra") !=
        std::string::npos);
  CHECK(list.text.find("\n215; 1259 16385 TABLE public llx_societe erp\n") != std::string::npos);
  CHECK(list.unmatched == std::vector<std::string>{"TABLE x y"});
  // Nothing excluded: the listing unchanged.
  CHECK(build_use_list(kListing, {}).text == std::string(kListing));
}

TEST_CASE("the target is the source when cluster and database agree, or else the address") {
  catalog::SourceRecord source{"db.internal", "5432", "dolibarr", "7301"};
  pg::DatabaseInfo target;
  target.database = "dolibarr";
  target.system_identifier = "7301";
  pg::PgSettings settings;
  settings.params = {{"host", "10.0.0.5"}, {"port", "6432"}};
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

TEST_CASE("restore db picks the newest complete set holding a dump, and refuses the others") {
  catalog::Catalog catalog;
  auto set = [](std::string id, bool complete, std::optional<catalog::StreamStatus> db) {
    catalog::CatalogSet s;
    s.id = std::move(id);
    s.complete = complete;
    if (!complete) s.problem = "manifest says a stream failed";
    catalog::Manifest manifest;
    manifest.id = s.id;
    if (db) manifest.db = catalog::StreamRecord{.key = "k", .status = *db};
    manifest.docs = catalog::StreamRecord{.key = "d", .status = catalog::StreamStatus::committed};
    s.manifest = manifest;
    return s;
  };
  catalog.sets.push_back(set("20261101T000000Z", true, catalog::StreamStatus::committed));
  catalog.sets.push_back(set("20261102T000000Z", false, catalog::StreamStatus::failed));
  catalog.sets.push_back(set("20261103T000000Z", true, std::nullopt));  // --only docs
  catalog::CatalogSet no_manifest;
  no_manifest.id = "20261104T000000Z";
  no_manifest.problem = "no manifest";
  catalog.sets.push_back(no_manifest);

  const auto latest = select_db_set(catalog, "latest");
  REQUIRE(latest.has_value());
  CHECK((*latest)->id == "20261101T000000Z");
  for (const char* refused : {"20261102T000000Z", "20261103T000000Z", "20261104T000000Z"}) {
    CAPTURE(refused);
    const auto chosen = select_db_set(catalog, refused);
    REQUIRE_FALSE(chosen.has_value());
    CHECK(chosen.error().kind == ErrorKind::permanent);
  }
  CHECK(select_db_set(catalog, "20991231T000000Z").error().kind == ErrorKind::not_found);
}

}  // namespace erp::app
