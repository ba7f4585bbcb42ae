// `restore db|docs` loads only the settings of the kind of restore asked for.
#include "app/restore_command.h"

#include <doctest/doctest.h>

#include "config/settings.h"

namespace erp::app {

TEST_CASE("restore docs reads RESTORE_DOCUMENTS_DIR and nothing of the backup job's") {
  const config::Needs docs = restore_needs({"docs", "latest"});
  CHECK(docs.s3);
  CHECK(docs.layout);
  CHECK(docs.restore_docs);
  CHECK_FALSE(docs.backup);
  CHECK_FALSE(restore_needs({"db"}).restore_docs);
  CHECK_FALSE(restore_needs({}).restore_docs);

  auto settings =
      config::load_settings(config::MapEnvironment({{"S3_BUCKET", "backups"},
                                                    {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                                    {"AWS_SECRET_ACCESS_KEY", "erpTEST-secret"},
                                                    {"BACKUP_ENV", "prod"},
                                                    {"RESTORE_DOCUMENTS_DIR", "/var/www/documents"},
                                                    {"PGPASSWORD_FILE", "/no/such/file"}}),
                            docs);
  REQUIRE_MESSAGE(settings.has_value(), settings.error().message);
  REQUIRE(settings->restore_docs.has_value());
  CHECK(settings->restore_docs->documents_dir == "/var/www/documents");
  CHECK_FALSE(settings->backup.has_value());
}

}  // namespace erp::app
