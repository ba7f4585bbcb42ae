// `restore docs` loads RESTORE_DOCUMENTS_DIR and nothing of the database settings.
#include "config/restore_docs_config.h"

#include <doctest/doctest.h>

#include "config/settings.h"

namespace erp::config {

TEST_CASE("restore docs reads RESTORE_DOCUMENTS_DIR and no database setting") {
  const Needs docs{.s3 = true, .layout = true, .restore_docs = true};
  std::map<std::string, std::string, std::less<>> env = {
      {"S3_BUCKET", "backups"},
      {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
      {"AWS_SECRET_ACCESS_KEY", "erpTEST-secret"},
      {"BACKUP_ENV", "prod"},
      {"RESTORE_DOCUMENTS_DIR", "/var/www/documents"},
      // Broken database settings must not stop a documents restore.
      {"PGPASSWORD_FILE", "/no/such/file"},
      {"RESTORE_PGPORT", "not-a-port"}};
  auto settings = load_settings(MapEnvironment(env), docs);
  REQUIRE_MESSAGE(settings.has_value(), settings.error().message);
  REQUIRE(settings->restore_docs.has_value());
  CHECK(settings->restore_docs->documents_dir == "/var/www/documents");
  CHECK_FALSE(settings->backup.has_value());
  CHECK_FALSE(settings->restore_target.has_value());

  env.erase("RESTORE_DOCUMENTS_DIR");
  auto without = load_settings(MapEnvironment(env), docs);
  REQUIRE(without.has_value());  // --target-dir may name it: the command reports a missing one
  CHECK_FALSE(without->restore_docs->documents_dir.has_value());
}

using Values = std::map<std::string, std::string, std::less<>>;

TEST_CASE("REFRESH_DOCS_SUBTREE defaults to mycompany and must stay inside the tree") {
  Problems problems;
  CHECK(load_restore_docs_config(MapEnvironment(Values{}), problems).refresh_subtree ==
        "mycompany");
  CHECK(load_restore_docs_config(
            MapEnvironment(Values{{"REFRESH_DOCS_SUBTREE", "mycompany/logos/"}}), problems)
            .refresh_subtree == "mycompany/logos");
  CHECK(problems.empty());
  for (const char* bad : {"/etc", "../outside", "a/../../b", "."}) {
    CAPTURE(bad);
    Problems refused;
    load_restore_docs_config(MapEnvironment(Values{{"REFRESH_DOCS_SUBTREE", bad}}), refused);
    REQUIRE(refused.size() == 1);
    CHECK(refused.error().message.find("REFRESH_DOCS_SUBTREE") != std::string::npos);
  }
}

TEST_CASE("refresh-sandbox needs S3_PREFIX but not BACKUP_ENV, and no source PG* setting") {
  const Needs refresh{
      .s3 = true, .prefix = true, .tools = true, .restore_target = true, .restore_docs = true};
  const auto settings =
      load_settings(MapEnvironment(Values{{"S3_BUCKET", "backups"},
                                          {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                          {"AWS_SECRET_ACCESS_KEY", "erpTEST-secret"},
                                          {"S3_PREFIX", "backups/erp"},
                                          {"RESTORE_PGHOST", "sandbox-db"},
                                          {"RESTORE_PGPORT", "5432"},
                                          {"RESTORE_PGDATABASE", "dolibarr"},
                                          {"RESTORE_PGUSER", "sandbox"},
                                          {"PGPASSWORD_FILE", "/no/such/file"}}),
                    refresh);
  REQUIRE_MESSAGE(settings.has_value(), settings.error().message);
  CHECK(settings->layout->prefix == "backups/erp");
  CHECK(settings->layout->env.empty());
  CHECK_FALSE(settings->backup.has_value());
}

TEST_CASE("restore allows absolute links into DOCUMENTS_DIR, which must be absolute") {
  Problems problems;
  CHECK(load_restore_docs_config(MapEnvironment(Values{}), problems).link_root ==
        "/var/www/documents");
  CHECK(load_restore_docs_config(MapEnvironment(Values{{"DOCUMENTS_DIR", "/srv/docs/"}}), problems)
            .link_root == "/srv/docs/");
  CHECK(problems.empty());
  for (const char* bad : {"relative/docs", "/srv/../etc"}) {
    CAPTURE(bad);
    Problems refused;
    load_restore_docs_config(MapEnvironment(Values{{"DOCUMENTS_DIR", bad}}), refused);
    REQUIRE(refused.size() == 1);
    CHECK(refused.error().message.find("DOCUMENTS_DIR") != std::string::npos);
  }
}

}  // namespace erp::config
