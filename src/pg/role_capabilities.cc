#include "pg/role_capabilities.h"

namespace erp::pg {
namespace {

// User schemas: not pg_* (pg_catalog, pg_toast, pg_temp_N) nor information_schema, the same
// rule as the table counts in database_info.cc.
constexpr const char* kUserSchema =
    "n.nspname NOT LIKE 'pg!_%' ESCAPE '!' AND n.nspname <> 'information_schema'";

bool is_true(const std::optional<std::string>& cell) {
  return cell && *cell == "t";
}

// A text[] cell such as {public.a,"odd name"} as its elements (names here are
// format('%I.%I'), so quotes only wrap, never nest beyond \" escapes).
std::vector<std::string> text_array(const std::optional<std::string>& cell) {
  std::vector<std::string> out;
  if (!cell || cell->size() < 2) return out;
  const std::string_view body(cell->data() + 1, cell->size() - 2);
  std::string item;
  bool quoted = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\\' && quoted && i + 1 < body.size()) {
      item += body[++i];
    } else if (c == ',' && !quoted) {
      out.push_back(std::move(item));
      item.clear();
    } else {
      item += c;
    }
  }
  if (!body.empty()) out.push_back(std::move(item));
  return out;
}

std::string examples(std::int64_t count, const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  if (count > static_cast<std::int64_t>(names.size())) text += ", ...";
  return text.empty() ? text : " (" + text + ")";
}

}  // namespace

Result<RoleCapabilities> read_role_capabilities(PgSession& session, int server_version_num) {
  RoleCapabilities caps;
  // pg_read_all_data / pg_write_all_data exist from 14 on; asking an older server about them
  // would be an error.
  const bool has_data_roles = server_version_num >= 140000;
  auto role = session.query(
      std::string("SELECT r.rolsuper, r.rolcreaterole, "
                  "pg_catalog.has_database_privilege(current_database(), 'CREATE'), ") +
      (has_data_roles ? "pg_catalog.pg_has_role('pg_write_all_data', 'MEMBER'), "
                        "pg_catalog.pg_has_role('pg_read_all_data', 'MEMBER') "
                      : "false, false ") +
      "FROM pg_catalog.pg_roles r WHERE r.rolname = current_user");
  if (!role) return std::unexpected(role.error());
  if (role->size() == 1) {
    const auto& row = (*role)[0];
    caps.superuser = is_true(row[0]);
    caps.createrole = is_true(row[1]);
    caps.create_on_database = is_true(row[2]);
    caps.write_all_data = is_true(row[3]);
    caps.read_all_data = is_true(row[4]);
  }

  auto schemas = session.query(
      std::string("SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE ") + kUserSchema +
      " AND pg_catalog.has_schema_privilege(n.oid, 'CREATE') ORDER BY 1");
  if (!schemas) return std::unexpected(schemas.error());
  for (const auto& row : *schemas) caps.schemas_with_create.push_back(row[0].value_or(""));

  // Ownership through any role it belongs to counts (pg_has_role MEMBER: SET ROLE suffices).
  // Write grants are counted on relations it does not own, so each relation counts once.
  auto relations = session.query(
      std::string(
          "WITH rel AS (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name, "
          "pg_catalog.pg_has_role(c.relowner, 'MEMBER') AS owned, "
          "c.relkind IN ('r', 'p', 'v', 'f') AND pg_catalog.has_table_privilege(c.oid, "
          "'INSERT, UPDATE, DELETE, TRUNCATE') AS writable "
          "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
          "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ") +
      kUserSchema +
      ") SELECT count(*) FILTER (WHERE owned), "
      "(array_agg(name ORDER BY name) FILTER (WHERE owned))[1:3], "
      "count(*) FILTER (WHERE writable AND NOT owned), "
      "(array_agg(name ORDER BY name) FILTER (WHERE writable AND NOT owned))[1:3] FROM rel");
  if (!relations) return std::unexpected(relations.error());
  if (relations->size() == 1) {
    const auto& row = (*relations)[0];
    caps.owned_relations = to_int64(row[0]);
    caps.owned_examples = text_array(row[1]);
    caps.writable_tables = to_int64(row[2]);
    caps.writable_examples = text_array(row[3]);
  }
  return caps;
}

std::vector<std::string> write_capabilities(const RoleCapabilities& caps) {
  std::vector<std::string> found;
  if (caps.superuser) found.push_back("is a superuser");
  if (caps.createrole) found.push_back("has CREATEROLE (it can grant itself pg_write_all_data)");
  if (caps.write_all_data) found.push_back("is a member of pg_write_all_data");
  if (caps.create_on_database) found.push_back("has CREATE on the database");
  if (!caps.schemas_with_create.empty()) {
    std::string names;
    for (const std::string& name : caps.schemas_with_create) {
      names += (names.empty() ? "" : ", ") + name;
    }
    found.push_back("has CREATE on schema " + names);
  }
  if (caps.owned_relations > 0) {
    found.push_back("owns " + std::to_string(caps.owned_relations) + " relation" +
                    (caps.owned_relations == 1 ? "" : "s") +
                    examples(caps.owned_relations, caps.owned_examples));
  }
  if (caps.writable_tables > 0) {
    found.push_back("may INSERT, UPDATE, DELETE or TRUNCATE " +
                    std::to_string(caps.writable_tables) + " table" +
                    (caps.writable_tables == 1 ? "" : "s") +
                    examples(caps.writable_tables, caps.writable_examples));
  }
  return found;
}

Result<void> require_read_only_role(const std::string& user, const RoleCapabilities& caps) {
  const std::vector<std::string> found = write_capabilities(caps);
  if (found.empty()) return {};
  std::string list;
  for (const std::string& item : found) list += (list.empty() ? "" : "; ") + item;
  return make_error(ErrorKind::config,
                    "role \"" + user + "\" could write to the database it backs up: " + list +
                        " (hint: connect as a dedicated dump role, e.g. a member of "
                        "pg_read_all_data, see the README; or set "
                        "BACKUP_REQUIRE_READONLY_ROLE=false)");
}

}  // namespace erp::pg
