// The shared test server with a small Dolibarr-like schema in PgTestServer::kDatabase, owned
// by kRole: 3 tables named llx_*, 1 other table ("llxaudit": the underscore in llx_ is literal),
// and a view (not a table). Seeded once per test binary.
#pragma once

#include "fakes/pg_test_server.h"

namespace erp::testing {

inline constexpr int kSeededTables = 4;
inline constexpr int kSeededLlxTables = 3;

inline PgTestServer& seeded_server() {
  PgTestServer& server = PgTestServer::shared();
  static const bool seeded = [&server] {
    server.execute(
        "CREATE TABLE llx_societe (rowid serial PRIMARY KEY, nom text NOT NULL);"
        "CREATE TABLE llx_facture (rowid serial PRIMARY KEY,"
        "  fk_soc integer REFERENCES llx_societe, total numeric(24,8));"
        "CREATE TABLE llx_user (rowid serial PRIMARY KEY, login text UNIQUE);"
        "CREATE TABLE llxaudit (id bigint);"
        "CREATE VIEW llx_societe_names AS SELECT nom FROM llx_societe;"
        "INSERT INTO llx_societe (nom) SELECT 'Société ' || g FROM generate_series(1, 100) g;",
        PgTestServer::kDatabase, PgTestServer::kRole);
    return true;
  }();
  (void)seeded;
  return server;
}

}  // namespace erp::testing
