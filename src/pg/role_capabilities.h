// What the connecting role could do to the database it backs up, beyond reading it (issue 12):
// the backup itself only reads (pg_dump's READ ONLY transaction, the read-only pre-flight),
// but a role that *could* write is one leaked credential away from a damaged production
// database. The pre-flight reads these facts; BACKUP_REQUIRE_READONLY_ROLE=true refuses a role
// for which write_capabilities() is not empty.
//
// What counts as "could write": superuser; CREATEROLE (it can grant itself pg_write_all_data);
// CREATE on the database (new schemas) or on a user schema (new objects, e.g. a trigger
// function's table); membership in pg_write_all_data (PostgreSQL 14+; membership, not
// inheritance: SET ROLE is enough); owning any relation in a user schema (an owner may
// ALTER, TRUNCATE or DROP it whatever the grants say), directly or through a role it is a
// member of; INSERT, UPDATE, DELETE or TRUNCATE granted on any table, view or foreign table.
//
// What it does not count, because PostgreSQL gives it to every role and it touches no
// production data: TEMP (session-private temporary tables), creating large objects (no
// privilege governs it), EXECUTE of functions (a SECURITY DEFINER function that writes is out
// of sight here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "pg/pg_session.h"

namespace erp::pg {

struct RoleCapabilities {
  bool superuser = false;                        // rolsuper
  bool createrole = false;                       // rolcreaterole
  bool create_on_database = false;               // CREATE on current_database()
  std::vector<std::string> schemas_with_create;  // user schemas where it may CREATE
  bool write_all_data = false;                   // member of pg_write_all_data (14+)
  bool read_all_data = false;                    // member of pg_read_all_data (14+): reported only
  std::int64_t owned_relations = 0;              // relations in user schemas it (or a role it
                                                 // belongs to) owns
  std::vector<std::string> owned_examples;       // up to 3 of them, "schema.name"
  std::int64_t writable_tables = 0;              // tables/views with a write grant, not owned
  std::vector<std::string> writable_examples;    // up to 3 of them
};

// Reads the capabilities of current_user in the session's database (catalog queries only;
// run it inside the caller's read-only transaction). `server_version_num` decides whether the
// predefined roles of 14+ exist. Errors: a failing query (permanent).
Result<RoleCapabilities> read_role_capabilities(PgSession& session, int server_version_num);

// Every way `capabilities` lets the role write, one short phrase each ("is a superuser",
// "owns 342 relations (public.llx_a, ...)"), in a fixed order; empty when it cannot write.
// Pure.
std::vector<std::string> write_capabilities(const RoleCapabilities& capabilities);

// BACKUP_REQUIRE_READONLY_ROLE's decision: nothing when the role cannot write, else a config
// error (exit 2) naming `user`, every capability, and the hint (a dedicated dump role, see the
// README, or BACKUP_REQUIRE_READONLY_ROLE=false). Pure.
Result<void> require_read_only_role(const std::string& user, const RoleCapabilities& capabilities);

}  // namespace erp::pg
