#include "config/backup_config.h"

#include "config/settings.h"
#include "fakes/temp_dir.h"

#include <doctest/doctest.h>

using erp::config::BackupConfig;
using erp::config::DocsOnError;
using erp::config::MapEnvironment;

namespace {

erp::Result<BackupConfig> load(std::map<std::string, std::string, std::less<>> values) {
  return erp::config::load_backup_config(MapEnvironment(std::move(values)));
}

// What `backup` loads: the layout (S3_PREFIX, BACKUP_ENV) and its own settings.
erp::Result<erp::config::Settings> load_layout_and_backup(
    std::map<std::string, std::string, std::less<>> values) {
  return erp::config::load_settings(MapEnvironment(std::move(values)),
                                    {.layout = true, .backup = true});
}

}  // namespace

TEST_CASE("backup settings default as SPEC §3 says") {
  const auto settings = load_layout_and_backup({{"BACKUP_ENV", "prod"}});
  REQUIRE(settings.has_value());
  CHECK(settings->layout->prefix == "erp");
  CHECK(settings->layout->env == "prod");
  const auto config = load({});
  REQUIRE(config.has_value());
  CHECK(config->documents_dir == "/var/www/documents");
  CHECK(config->docs_on_error == DocsOnError::fail);
  CHECK(config->zstd_level == 3);
  CHECK(config->zstd_threads == 0);
  CHECK(config->db_compression == erp::catalog::DbCompression::pg_dump);
  CHECK(config->db_zstd_level == 3);
  CHECK(config->pg_dump == "pg_dump");
  CHECK(config->prune_after_backup);
  CHECK(config->pg.params.empty());
  CHECK(config->pg.password.empty());
}

TEST_CASE("PG* variables become libpq keywords and the password a Secret") {
  const auto config = load({{"BACKUP_ENV", "prod"},
                            {"PGHOST", "db.internal"},
                            {"PGPORT", "6432"},
                            {"PGDATABASE", "dolibarr"},
                            {"PGUSER", "backup"},
                            {"PGSSLMODE", "verify-full"},
                            {"PGOPTIONS", "-c statement_timeout=0"},
                            {"PGPASSWORD", "erpTEST-pg-secret"},
                            {"PATH", "/usr/bin"},
                            {"AWS_SECRET_ACCESS_KEY", "must-not-reach-children"}});
  REQUIRE(config.has_value());
  CHECK(config->pg.params.at("host") == "db.internal");
  CHECK(config->pg.params.at("port") == "6432");
  CHECK(config->pg.params.at("dbname") == "dolibarr");
  CHECK(config->pg.params.at("user") == "backup");
  CHECK(config->pg.params.at("sslmode") == "verify-full");
  CHECK(config->pg.params.at("options") == "-c statement_timeout=0");
  CHECK_FALSE(config->pg.params.contains("password"));
  CHECK(config->pg.password.reveal() == "erpTEST-pg-secret");
  CHECK(config->child_environment.at("PATH") == "/usr/bin");
  CHECK_FALSE(config->child_environment.contains("AWS_SECRET_ACCESS_KEY"));
}

TEST_CASE("every malformed backup setting is named with a hint, at once") {
  const auto config = load_layout_and_backup({{"BACKUP_ENV", "Prod_1"},
                                              {"S3_PREFIX", "/erp/"},
                                              {"DOCS_ON_ERROR", "ignore"},
                                              {"DOCS_ZSTD_LEVEL", "30"},
                                              {"DOCS_ZSTD_THREADS", "-1"},
                                              {"PRUNE_AFTER_BACKUP", "yes"},
                                              {"PGPASSWORD", "erpTEST-pg-secret"}});
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().kind == erp::ErrorKind::config);
  const std::string& message = config.error().message;
  for (const char* name : {"BACKUP_ENV", "S3_PREFIX", "DOCS_ON_ERROR", "DOCS_ZSTD_LEVEL",
                           "DOCS_ZSTD_THREADS", "PRUNE_AFTER_BACKUP"}) {
    CAPTURE(name);
    CHECK(message.find(name) != std::string::npos);
  }
  CHECK(message.find("(hint:") != std::string::npos);
  CHECK(message.find("erpTEST-pg-secret") == std::string::npos);
}

TEST_CASE("DB_COMPRESSION is pg_dump or zstd, with DB_ZSTD_LEVEL 1 to 19; anything else is named") {
  const auto zstd = load({{"DB_COMPRESSION", "zstd"}, {"DB_ZSTD_LEVEL", "7"}});
  REQUIRE(zstd.has_value());
  CHECK(zstd->db_compression == erp::catalog::DbCompression::zstd);
  CHECK(zstd->db_zstd_level == 7);
  CHECK(load({{"DB_COMPRESSION", "pg_dump"}})->db_compression ==
        erp::catalog::DbCompression::pg_dump);
  for (const char* value : {"gzip", "ZSTD", "none"}) {
    CAPTURE(value);
    const auto refused =
        load_layout_and_backup({{"BACKUP_ENV", "prod"}, {"DB_COMPRESSION", value}});
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == erp::ErrorKind::config);
    CHECK(refused.error().message.find("malformed DB_COMPRESSION '" + std::string(value) +
                                       "' (hint: pg_dump") != std::string::npos);
    CHECK(refused.error().message.find("zstd") != std::string::npos);
  }
  for (const char* value : {"0", "20", "fast"}) {
    CAPTURE(value);
    const auto refused = load({{"DB_COMPRESSION", "zstd"}, {"DB_ZSTD_LEVEL", value}});
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message.find("malformed DB_ZSTD_LEVEL") != std::string::npos);
  }
}

TEST_CASE("BACKUP_ENV is required") {
  const auto config = load_layout_and_backup({});
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().message.find("missing BACKUP_ENV (hint:") != std::string::npos);
}

TEST_CASE("BACKUP_REQUIRE_READONLY_ROLE is off by default, true or false, else named") {
  CHECK_FALSE(load({})->require_readonly_role);
  CHECK(load({{"BACKUP_REQUIRE_READONLY_ROLE", "true"}})->require_readonly_role);
  CHECK_FALSE(load({{"BACKUP_REQUIRE_READONLY_ROLE", "false"}})->require_readonly_role);
  const auto malformed = load({{"BACKUP_REQUIRE_READONLY_ROLE", "yes"}});
  REQUIRE_FALSE(malformed.has_value());
  CHECK(malformed.error().kind == erp::ErrorKind::config);
  CHECK(malformed.error().message.find("malformed BACKUP_REQUIRE_READONLY_ROLE 'yes' (hint:") !=
        std::string::npos);
}

TEST_CASE("PGPASSWORD_FILE is read when the settings are loaded, i.e. at the start of each run") {
  // A Vault agent renders new credentials into the file between runs: each load sees the
  // file's content of that moment, one trailing newline dropped.
  erp::testing::TempDir dir;
  const std::string path = dir.write_file("pgpass", "erpTEST-rotated-1\n");
  const auto first = load({{"PGPASSWORD_FILE", path}});
  REQUIRE(first.has_value());
  CHECK(first->pg.password.reveal() == "erpTEST-rotated-1");
  dir.write_file("pgpass", "erpTEST-rotated-2\n");
  const auto second = load({{"PGPASSWORD_FILE", path}});
  REQUIRE(second.has_value());
  CHECK(second->pg.password.reveal() == "erpTEST-rotated-2");
}

TEST_CASE("libpq settings libpq would refuse at connect time are named now (issue 17)") {
  const auto config = load({{"PGPORT", "abc"},
                            {"PGSSLMODE", "verify_full"},
                            {"PGCONNECT_TIMEOUT", "10s"},
                            {"PGHOST", "db.example.com"}});
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().kind == erp::ErrorKind::config);
  const std::string& message = config.error().message;
  CHECK(message.find("malformed PGPORT 'abc' (hint: a port number from 1 to 65535") !=
        std::string::npos);
  CHECK(message.find("malformed PGSSLMODE 'verify_full' (hint: one of disable allow prefer "
                     "require verify-ca verify-full)") != std::string::npos);
  CHECK(message.find("malformed PGCONNECT_TIMEOUT '10s'") != std::string::npos);
  CHECK(message.find("PGHOST") == std::string::npos);
  // Valid values pass, a port per host included.
  CHECK(load({{"PGPORT", "5432,6432"}, {"PGSSLMODE", "verify-full"}}).has_value());
}

TEST_CASE("DOCUMENTS_DIR must name a directory this process can open") {
  const erp::testing::TempDir directory;
  const std::string file = directory.write_file("file", "x");
  BackupConfig config;
  config.documents_dir = directory.path().string();
  CHECK(erp::config::check_documents_dir(config).has_value());

  for (const auto& [path, reason] : {std::pair<std::string, std::string>{
                                         "/nonexistent/erp-documents", "No such file or directory"},
                                     {file, "Not a directory"}}) {
    CAPTURE(path);
    config.documents_dir = path;
    const auto checked = erp::config::check_documents_dir(config);
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().kind == erp::ErrorKind::config);
    CHECK(checked.error().message.starts_with("DOCUMENTS_DIR '" + path + "': " + reason));
    CHECK(checked.error().message.find("backup --only db") != std::string::npos);
  }
}

TEST_CASE("BACKUP_ROW_COUNTS is exact by default, estimate or off; anything else is named") {
  const auto defaults = load({});
  REQUIRE(defaults.has_value());
  CHECK(defaults->row_counts == erp::pg::RowCountMethod::exact);
  CHECK(load({{"BACKUP_ROW_COUNTS", "estimate"}})->row_counts == erp::pg::RowCountMethod::estimate);
  CHECK(load({{"BACKUP_ROW_COUNTS", "off"}})->row_counts == erp::pg::RowCountMethod::off);
  const auto wrong = load({{"BACKUP_ROW_COUNTS", "Exact"}});
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().message.find(
            "malformed BACKUP_ROW_COUNTS 'Exact' (hint: exact (the default), estimate or off)") !=
        std::string::npos);
}
