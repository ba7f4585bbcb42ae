// What `drill` reads (config/drill_config.h) and that its Settings group reads the restore
// target only when it restores there.
#include "config/drill_config.h"

#include <doctest/doctest.h>

#include "config/settings.h"

namespace erp::config {
namespace {

using Values = std::map<std::string, std::string, std::less<>>;

DrillConfig load(const Values& values, Problems& problems) {
  return load_drill_config(MapEnvironment(values), problems);
}

std::string problem_text(const Problems& problems) {
  return problems.empty() ? std::string() : problems.error().message;
}

Values valid_s3() {
  return {{"S3_BUCKET", "backups"},
          {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
          {"AWS_SECRET_ACCESS_KEY", "erpTEST-secret"},
          {"BACKUP_ENV", "prod"}};
}

}  // namespace

TEST_CASE("drill: embedded in $TMPDIR, else /tmp, programs looked up, by default") {
  Problems problems;
  DrillConfig config = load({}, problems);
  CHECK(problems.empty());
  CHECK(config.target == DrillTarget::embedded);
  CHECK(config.work_dir == "/tmp");
  CHECK(config.bin_dir.empty());

  config = load({{"TMPDIR", "/var/tmp/"}}, problems);
  CHECK(problems.empty());
  CHECK(config.work_dir == "/var/tmp/");  // lexically normal keeps the trailing separator
}

TEST_CASE("drill: DRILL_WORK_DIR wins over TMPDIR; DRILL_TARGET and DRILL_PG_BINDIR are read") {
  Problems problems;
  const DrillConfig config = load({{"TMPDIR", "/var/tmp"},
                                   {"DRILL_WORK_DIR", "/scratch//drill"},
                                   {"DRILL_TARGET", "restore"},
                                   {"DRILL_PG_BINDIR", "/usr/lib/postgresql/15/bin"}},
                                  problems);
  CHECK(problems.empty());
  CHECK(config.work_dir == "/scratch/drill");
  CHECK(config.target == DrillTarget::restore);
  CHECK(config.bin_dir == "/usr/lib/postgresql/15/bin");
}

TEST_CASE("drill: malformed settings are each named, with a hint") {
  Problems problems;
  load({{"DRILL_TARGET", "Embedded"}, {"DRILL_WORK_DIR", "work"}, {"DRILL_PG_BINDIR", "/a/../b"}},
       problems);
  const std::string text = problem_text(problems);
  CHECK(text.find("malformed DRILL_TARGET 'Embedded' (hint: embedded") != std::string::npos);
  CHECK(text.find("malformed DRILL_WORK_DIR 'work'") != std::string::npos);
  CHECK(text.find("malformed DRILL_PG_BINDIR '/a/../b'") != std::string::npos);

  Problems relative_tmp;
  load({{"TMPDIR", "tmp"}}, relative_tmp);
  CHECK(problem_text(relative_tmp).find("malformed TMPDIR 'tmp' (the default of DRILL_WORK_DIR") !=
        std::string::npos);
}

TEST_CASE("drill's settings group reads the whole restore target only for DRILL_TARGET=restore") {
  const Needs drill{.s3 = true, .layout = true, .tools = true, .drill = true, .writes = true};
  Values values = valid_s3();
  values["RESTORE_PGPORT"] = "not-a-port";  // unused by the embedded target: must not stop it
  auto embedded = load_settings(MapEnvironment(values), drill);
  REQUIRE_MESSAGE(embedded.has_value(), embedded.error().message);
  REQUIRE(embedded->drill.has_value());
  CHECK(embedded->drill->target == DrillTarget::embedded);
  REQUIRE(embedded->restore_target.has_value());  // the rules only: no RESTORE_PG* read
  CHECK(embedded->restore_target->target.params.empty());
  CHECK(embedded->restore_target->min_tables == 250);
  values["RESTORE_MIN_TABLES"] = "3";
  embedded = load_settings(MapEnvironment(values), drill);
  REQUIRE_MESSAGE(embedded.has_value(), embedded.error().message);
  CHECK(embedded->restore_target->min_tables == 3);

  values["DRILL_TARGET"] = "restore";
  auto restore = load_settings(MapEnvironment(values), drill);
  REQUIRE_FALSE(restore.has_value());
  CHECK(restore.error().message.find("RESTORE_PGPORT") != std::string::npos);
  CHECK(restore.error().message.find("missing RESTORE_PGHOST") != std::string::npos);

  values.erase("RESTORE_PGPORT");
  values.merge(Values{{"RESTORE_PGHOST", "db"},
                      {"RESTORE_PGPORT", "5432"},
                      {"RESTORE_PGDATABASE", "drill"},
                      {"RESTORE_PGUSER", "drill"}});
  restore = load_settings(MapEnvironment(values), drill);
  REQUIRE_MESSAGE(restore.has_value(), restore.error().message);
  CHECK(restore->restore_target.has_value());

  auto list = load_settings(MapEnvironment(values), Needs{.s3 = true});
  REQUIRE(list.has_value());
  CHECK_FALSE(list->drill.has_value());
}

}  // namespace erp::config
