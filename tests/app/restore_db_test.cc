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

}  // namespace erp::app
