#include "config/restore_target_config.h"

#include <charconv>

#include "config/choice_setting.h"
#include "config/libpq_values.h"
#include "config/s3_config.h"

namespace erp::config {
namespace {

struct TargetVariable {
  const char* variable;
  const char* keyword;
  bool required;
  const char* hint;
};

constexpr TargetVariable kTargetVariables[] = {
    {"RESTORE_PGHOST", "host", true, "the restore target's host, never production's"},
    {"RESTORE_PGPORT", "port", true, "e.g. 5432"},
    {"RESTORE_PGDATABASE", "dbname", true, "the database to restore into"},
    {"RESTORE_PGUSER", "user", true, "a role that owns the target database"},
    {"RESTORE_PGSSLMODE", "sslmode", false, ""},
    {"RESTORE_PGSSLROOTCERT", "sslrootcert", false, ""},
    {"RESTORE_PGSSLCERT", "sslcert", false, ""},
    {"RESTORE_PGSSLKEY", "sslkey", false, ""},
};

bool parse_bool(const Environment& env, const char* name, bool& value, Problems& problems) {
  return read_switch(env, name, "true or false", value, problems);
}

}  // namespace

std::filesystem::path load_restore_scratch_dir(const Environment& env, Problems& problems) {
  const auto scratch = env.get("RESTORE_SCRATCH_DIR");
  if (!scratch) return {};
  if (scratch->empty() || scratch->front() != '/') {
    problems.add("malformed RESTORE_SCRATCH_DIR '" + *scratch +
                 "' (hint: an absolute path to a directory with room for the dump, used by "
                 "restore db --jobs N)");
    return {};
  }
  return *scratch;
}

RestoreTargetConfig load_restore_target_config(const Environment& env, Problems& problems) {
  RestoreTargetConfig config;
  for (const TargetVariable& variable : kTargetVariables) {
    if (auto value = env.get(variable.variable)) {
      if (auto hint = libpq_value_hint(variable.keyword, *value)) {
        problems.add("malformed " + std::string(variable.variable) + " '" + *value +
                     "' (hint: " + *hint + ")");
      }
      config.target.params[variable.keyword] = *value;
    } else if (variable.required) {
      problems.add("missing " + std::string(variable.variable) + " (hint: " + variable.hint +
                   "; a restore never falls back to the source's PG* settings)");
    }
  }
  if (auto password = read_value_or_file(env, "RESTORE_PGPASSWORD"); !password) {
    problems.add(password.error().message);
  } else if (*password) {
    config.target.password = Secret(std::move(**password));
  }
  if (auto role = env.get("RESTORE_ROLE")) config.role = *role;
  config.scratch_dir = load_restore_scratch_dir(env, problems);
  if (auto text = env.get("RESTORE_MIN_TABLES")) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || value < 0) {
      problems.add("malformed RESTORE_MIN_TABLES '" + *text +
                   "' (hint: the fewest llx_ tables a good restore holds, default 250)");
    } else {
      config.min_tables = value;
    }
  }
  parse_bool(env, "RESTORE_DROP_OWNED", config.drop_owned, problems);
  parse_bool(env, "RESTORE_REQUIRE_EXCLUSIVE", config.require_exclusive, problems);
  if (auto text = env.get("RESTORE_EXCLUDE")) {
    std::string item;
    auto flush = [&] {
      const auto first = item.find_first_not_of(' ');
      const auto last = item.find_last_not_of(' ');
      if (first != std::string::npos) {
        std::string entry = item.substr(first, last - first + 1);
        // "DESCRIPTION SCHEMA NAME": an item of fewer words matches no TOC entry, so nothing
        // would be excluded and the restore would fail on it after dropping the target's objects.
        const auto second_space = entry.find(' ', entry.find(' ') + 1);
        if (entry.find(' ') == std::string::npos || second_space == std::string::npos) {
          problems.add("malformed RESTORE_EXCLUDE item '" + entry +
                       "' (hint: each comma-separated item is DESCRIPTION SCHEMA NAME as "
                       "pg_restore --list prints it, e.g. FUNCTION pgbouncer user_lookup)");
        }
        config.exclude.push_back(std::move(entry));
      }
      item.clear();
    };
    for (char c : *text) {
      if (c == ',') {
        flush();
      } else {
        item += c;
      }
    }
    flush();
  }
  return config;
}

}  // namespace erp::config
