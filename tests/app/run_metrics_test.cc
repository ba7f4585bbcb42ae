// The metrics every command publishes (app/report/run_metrics.h): the families a run produces, and
// where they go, including the rule that a failed run never drops the last success.
#include "app/report/run_metrics.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fakes/scripted_transport.h"
#include "fakes/temp_dir.h"

namespace erp::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Reply;
using testing::ScriptedTransport;
using testing::TempDir;

std::chrono::system_clock::time_point at(std::int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

RunFacts backup_facts(int exit_code) {
  RunFacts facts{.command = "backup",
                 .exit_code = static_cast<ExitCode>(exit_code),
                 .started = at(1796000000),
                 .finished = at(1796000090)};
  facts.report.streams = {StreamRun{.stream = catalog::Stream::db,
                                    .committed = true,
                                    .bytes = 15318737,
                                    .parts = 2,
                                    .duration = 61.5s},
                          StreamRun{.stream = catalog::Stream::docs,
                                    .committed = false,
                                    .bytes = 99,
                                    .parts = 1,
                                    .duration = 3s}};
  facts.report.prune = PruneRun{
      .sets_deleted = 1, .objects_deleted = 3, .bytes_deleted = 4096, .stale_uploads_aborted = 2};
  return facts;
}

// db last succeeded at 2026-11-29T02:14:09Z = 1795918449 (date -u -d ... +%s); docs never.
catalog::LastSuccess db_only_success() {
  catalog::LastSuccess last;
  last.db = catalog::StreamSuccess{"20261129T020000Z", "2026-11-29T02:14:09Z",
                                   "erp/prod/manifests/20261129T020000Z.json"};
  return last;
}

std::string slurp(const fs::path& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST_CASE(
    "a backup run's families: run outcome, streams (bytes and parts only when committed), prune") {
  CHECK(
      run_registry(backup_facts(3)).render() ==
      "# HELP erp_backup_last_run_duration_seconds Wall time of the last run of the command.\n"
      "# TYPE erp_backup_last_run_duration_seconds gauge\n"
      "erp_backup_last_run_duration_seconds{command=\"backup\"} 90\n"
      "# HELP erp_backup_last_run_exit_code Exit code of the last run: 0 ok, 1 failed, 2 "
      "configuration, 3 partial, 130/143 stopped by a signal.\n"
      "# TYPE erp_backup_last_run_exit_code gauge\n"
      "erp_backup_last_run_exit_code{command=\"backup\"} 3\n"
      "# HELP erp_backup_last_run_success 1 when the last run exited 0, else 0.\n"
      "# TYPE erp_backup_last_run_success gauge\n"
      "erp_backup_last_run_success{command=\"backup\"} 0\n"
      "# HELP erp_backup_last_run_timestamp_seconds Unix time the last run of the command ended.\n"
      "# TYPE erp_backup_last_run_timestamp_seconds gauge\n"
      "erp_backup_last_run_timestamp_seconds{command=\"backup\"} 1796000090\n"
      "# HELP erp_backup_object_lock_expiring_keepers Kept backup sets whose Object Lock ends "
      "within 7 days although their retention tier keeps them longer (a promotion failed or was "
      "not allowed).\n"
      "# TYPE erp_backup_object_lock_expiring_keepers gauge\n"
      "erp_backup_object_lock_expiring_keepers{command=\"backup\"} 0\n"
      "# HELP erp_backup_object_lock_promoted_objects Objects whose Object Lock the last run's "
      "prune extended to their tier's horizon.\n"
      "# TYPE erp_backup_object_lock_promoted_objects gauge\n"
      "erp_backup_object_lock_promoted_objects{command=\"backup\"} 0\n"
      "# HELP erp_backup_prune_skipped_by_permission 1 when the last run's prune stopped because "
      "the credentials may not delete, else 0.\n"
      "# TYPE erp_backup_prune_skipped_by_permission gauge\n"
      "erp_backup_prune_skipped_by_permission{command=\"backup\"} 0\n"
      "# HELP erp_backup_pruned_bytes Bytes of the objects deleted by the last run's prune.\n"
      "# TYPE erp_backup_pruned_bytes gauge\n"
      "erp_backup_pruned_bytes{command=\"backup\"} 4096\n"
      "# HELP erp_backup_pruned_objects Objects deleted by the last run's prune.\n"
      "# TYPE erp_backup_pruned_objects gauge\n"
      "erp_backup_pruned_objects{command=\"backup\"} 3\n"
      "# HELP erp_backup_pruned_sets Backup sets deleted by the last run's prune.\n"
      "# TYPE erp_backup_pruned_sets gauge\n"
      "erp_backup_pruned_sets{command=\"backup\"} 1\n"
      "# HELP erp_backup_stale_uploads_aborted Stale multipart uploads aborted by the last "
      "run's prune.\n"
      "# TYPE erp_backup_stale_uploads_aborted gauge\n"
      "erp_backup_stale_uploads_aborted{command=\"backup\"} 2\n"
      "# HELP erp_backup_stream_bytes Stored bytes (the object's size) of the stream "
      "committed by the last backup run.\n"
      "# TYPE erp_backup_stream_bytes gauge\n"
      "erp_backup_stream_bytes{command=\"backup\",stream=\"db\"} 15318737\n"
      "# HELP erp_backup_stream_duration_seconds Wall time of the stream in the last backup "
      "run.\n"
      "# TYPE erp_backup_stream_duration_seconds gauge\n"
      "erp_backup_stream_duration_seconds{command=\"backup\",stream=\"db\"} 61.5\n"
      "erp_backup_stream_duration_seconds{command=\"backup\",stream=\"docs\"} 3\n"
      "# HELP erp_backup_stream_parts Multipart upload parts of the stream committed by the "
      "last backup run.\n"
      "# TYPE erp_backup_stream_parts gauge\n"
      "erp_backup_stream_parts{command=\"backup\",stream=\"db\"} 2\n"
      "# HELP erp_backup_stream_success 1 when the stream committed in the last backup run, 0 "
      "when it failed.\n"
      "# TYPE erp_backup_stream_success gauge\n"
      "erp_backup_stream_success{command=\"backup\",stream=\"db\"} 1\n"
      "erp_backup_stream_success{command=\"backup\",stream=\"docs\"} 0\n");
}

TEST_CASE("Object Lock: the canary's verdict as 1 or 0, no sample when it could not tell") {
  RunFacts facts = backup_facts(0);
  for (const auto& [enforced, sample] :
       {std::pair{std::optional<bool>(true),
                  "erp_backup_object_lock_enforced{command=\"backup\"} 1\n"},
        std::pair{std::optional<bool>(false),
                  "erp_backup_object_lock_enforced{command=\"backup\"} 0\n"}}) {
    facts.report.object_lock_enforced = enforced;
    CHECK(run_registry(facts).render().find(sample) != std::string::npos);
  }
  facts.report.object_lock_enforced.reset();
  CHECK(run_registry(facts).render().find("erp_backup_object_lock_enforced") == std::string::npos);
}

TEST_CASE("a prune's Object Lock numbers and its permission skip") {
  RunFacts facts = backup_facts(0);
  facts.report.prune->expiring_keepers = 2;
  facts.report.prune->promoted_objects = 7;
  facts.report.prune->skipped_by_permission = true;
  const std::string text = run_registry(facts).render();
  CHECK(text.find("erp_backup_object_lock_expiring_keepers{command=\"backup\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("erp_backup_object_lock_promoted_objects{command=\"backup\"} 7\n") !=
        std::string::npos);
  CHECK(text.find("erp_backup_prune_skipped_by_permission{command=\"backup\"} 1\n") !=
        std::string::npos);
  facts.report.prune.reset();  // no prune ran: none of them
  CHECK(run_registry(facts).render().find("skipped_by_permission") == std::string::npos);
}

TEST_CASE("a drill run: its verdict, duration, time per GiB and the last passing drill") {
  RunFacts facts{
      .command = "drill", .exit_code = ExitCode::ok, .started = at(100), .finished = at(400)};
  facts.report.drill = DrillRun{.set_id = "20261129T020000Z",
                                .passed = true,
                                .duration = 300s,
                                .last_success = at(1796000400),
                                .stored_bytes = 2ULL * 1024 * 1024 * 1024};
  std::string text = run_registry(facts).render();
  CHECK(text.find("erp_backup_drill_success{command=\"drill\"} 1\n") != std::string::npos);
  CHECK(text.find("erp_backup_drill_duration_seconds{command=\"drill\"} 300\n") !=
        std::string::npos);
  CHECK(text.find("erp_backup_drill_rto_seconds_per_gib{command=\"drill\"} 150\n") !=
        std::string::npos);
  CHECK(text.find("erp_backup_last_drill_success_timestamp_seconds{command=\"drill\"} "
                  "1796000400\n") != std::string::npos);

  // A failed drill: 0, no time per GiB, and the last good drill's time still published.
  facts.report.drill->passed = false;
  facts.report.drill->last_success = at(1795400000);
  text = run_registry(facts).render();
  CHECK(text.find("erp_backup_drill_success{command=\"drill\"} 0\n") != std::string::npos);
  CHECK(text.find("erp_backup_drill_rto_seconds_per_gib{") == std::string::npos);
  CHECK(text.find("erp_backup_last_drill_success_timestamp_seconds{command=\"drill\"} "
                  "1795400000\n") != std::string::npos);
  // No drill ever passed: no timestamp sample (0 would read as "1970", not "never").
  facts.report.drill->last_success.reset();
  CHECK(run_registry(facts).render().find("erp_backup_last_drill_success_timestamp_seconds{") ==
        std::string::npos);
}

TEST_CASE("status publishes the last passing drill from the bucket, and no drill verdict") {
  RunFacts facts{
      .command = "status", .exit_code = ExitCode::failed, .started = at(10), .finished = at(12)};
  CHECK(run_registry(facts).render().find("erp_backup_last_drill_success_timestamp_seconds{") ==
        std::string::npos);
  facts.report.last_drill_success = at(1796000400);
  const std::string text = run_registry(facts).render();
  CHECK(text.find("erp_backup_last_drill_success_timestamp_seconds{command=\"status\"} "
                  "1796000400\n") != std::string::npos);
  CHECK(text.find("erp_backup_drill_success{") == std::string::npos);
  CHECK(text.find("erp_backup_drill_duration_seconds{") == std::string::npos);
}

TEST_CASE("a doctor run: one erp_backup_doctor_check sample per check, its result a label") {
  RunFacts facts{
      .command = "doctor", .exit_code = ExitCode::ok, .started = at(10), .finished = at(12)};
  facts.report.checks = {{"endpoint", "ok"},
                         {"delete_objects", "degraded"},
                         {"object_lock", "failed"},
                         {"cleanup", "skipped"}};
  const std::string text = run_registry(facts).render();
  CHECK(text.find("# TYPE erp_backup_doctor_check gauge\n") != std::string::npos);
  for (const auto& [check, result] : facts.report.checks) {
    CAPTURE(check);
    CHECK(text.find("erp_backup_doctor_check{check=\"" + check + "\",command=\"doctor\",result=\"" +
                    result + "\"} 1\n") != std::string::npos);
  }
  // Nothing of another command's.
  RunFacts other{
      .command = "list", .exit_code = ExitCode::ok, .started = at(10), .finished = at(12)};
  CHECK(run_registry(other).render().find("erp_backup_doctor_check") == std::string::npos);
}

TEST_CASE(
    "a command without streams or prune reports only its run; a dry-run prune deleted nothing") {
  RunFacts facts{
      .command = "restore db", .exit_code = ExitCode::ok, .started = at(10), .finished = at(12)};
  const std::string text = run_registry(facts).render();
  CHECK(text.find("erp_backup_last_run_success{command=\"restore db\"} 1\n") != std::string::npos);
  CHECK(text.find("erp_backup_stream") == std::string::npos);
  CHECK(text.find("erp_backup_pruned") == std::string::npos);

  facts.command = "prune";
  facts.report.prune = PruneRun{.dry_run = true, .sets_deleted = 5};
  const std::string dry = run_registry(facts).render();
  CHECK(dry.find("erp_backup_pruned_sets{command=\"prune\"} 0\n") != std::string::npos);
}

TEST_CASE(
    "the last success is each stream's finished_at, and 0 for a stream that never succeeded") {
  metrics::Registry registry;
  add_last_success(registry, db_only_success(), at(1796000090));
  CHECK(registry.render() ==
        "# HELP erp_backup_last_success_timestamp_seconds Unix time of the stream's last "
        "successful backup, from last-success.json (0: never).\n"
        "# TYPE erp_backup_last_success_timestamp_seconds gauge\n"
        "erp_backup_last_success_timestamp_seconds{stream=\"db\"} 1795918449\n"
        "erp_backup_last_success_timestamp_seconds{stream=\"docs\"} 0\n");
}

TEST_CASE("a last success in the future is published as 0 (never), not as a future time") {
  // Issue 17: finished_at 2099-... would silence `time() - metric > 26*3600` until 2099. More
  // than 10 minutes ahead of the run's end it is refused (0 makes the alert fire); less, it
  // is a clock's skew and published as the run's end time, never later.
  catalog::LastSuccess last = db_only_success();
  last.docs = catalog::StreamSuccess{"20261129T020000Z", "2099-01-01T00:00:00Z",
                                     "erp/prod/manifests/20261129T020000Z.json"};
  const auto now = at(1795918449 - 300);  // 5 minutes before the db's finished_at
  metrics::Registry registry;
  add_last_success(registry, last, now);
  const std::string text = registry.render();
  CHECK(text.find("erp_backup_last_success_timestamp_seconds{stream=\"db\"} 1795918149\n") !=
        std::string::npos);
  CHECK(text.find("erp_backup_last_success_timestamp_seconds{stream=\"docs\"} 0\n") !=
        std::string::npos);
  metrics::Registry later;
  add_last_success(later, last, at(1795918449 - 601));  // 10 min 1 s before: refused
  CHECK(later.render().find("{stream=\"db\"} 0\n") != std::string::npos);
}

TEST_CASE("the textfile holds the run and the last success; the exit code stays the run's") {
  TempDir dir("erp-run-metrics-test-");
  Logger log(LogFormat::text, LogLevel::error);
  const config::MetricsConfig config{.textfile = (dir.path() / "erp.prom").string()};
  CHECK(to_int(publish_metrics(config, backup_facts(0), db_only_success(), log, nullptr)) == 0);
  const std::string text = slurp(config.textfile);
  CHECK(text.starts_with("# HELP erp_backup_last_run_duration_seconds"));
  CHECK(text.find("erp_backup_last_success_timestamp_seconds{stream=\"db\"} 1795918449\n") !=
        std::string::npos);
}

TEST_CASE("a run that cannot read last-success.json carries the previous file's last success") {
  TempDir dir("erp-run-metrics-test-");
  Logger log(LogFormat::text, LogLevel::error);
  const config::MetricsConfig config{.textfile = (dir.path() / "erp.prom").string()};
  REQUIRE(to_int(publish_metrics(config, backup_facts(0), db_only_success(), log, nullptr)) == 0);
  CHECK(to_int(publish_metrics(config, backup_facts(1), std::nullopt, log, nullptr)) == 1);
  const std::string text = slurp(config.textfile);
  CHECK(text.find("erp_backup_last_run_exit_code{command=\"backup\"} 1\n") != std::string::npos);
  CHECK(text.find("erp_backup_last_success_timestamp_seconds{stream=\"db\"} 1795918449\n") !=
        std::string::npos);
  CHECK(text.find("erp_backup_last_success_timestamp_seconds{stream=\"docs\"} 0\n") !=
        std::string::npos);
  const auto samples = metrics::parse_samples(text, kLastSuccessMetric);
  REQUIRE(samples.has_value());
  CHECK(samples->size() == 2);
}

TEST_CASE(
    "a textfile that cannot be written makes a successful run exit 1, a failed one keeps its "
    "code") {
  Logger log(LogFormat::text, LogLevel::error);
  const config::MetricsConfig config{.textfile = "/nonexistent-dir/erp.prom"};
  CHECK(to_int(publish_metrics(config, backup_facts(0), db_only_success(), log, nullptr)) == 1);
  CHECK(to_int(publish_metrics(config, backup_facts(3), db_only_success(), log, nullptr)) == 3);
  CHECK(to_int(publish_metrics(config, backup_facts(143), db_only_success(), log, nullptr)) == 143);
}

TEST_CASE("the push puts the run's group and, when known, the last success group apart") {
  Logger log(LogFormat::text, LogLevel::error);
  const config::MetricsConfig config{
      .pushgateway_url = "http://pg:9091", .job = "erp-backup", .instance = "prod"};
  ScriptedTransport transport;
  transport.set_responder([](const auto&) { return Reply::with_status(200); });
  CHECK(to_int(publish_metrics(config, backup_facts(0), db_only_success(), log, &transport)) == 0);
  REQUIRE(transport.request_count() == 2);
  CHECK(transport.request(0).url ==
        "http://pg:9091/metrics/job/erp-backup/instance/prod/command/backup");
  CHECK(transport.request(0).body == run_registry(backup_facts(0)).render());
  CHECK(transport.request(0).body.find(kLastSuccessMetric) == std::string::npos);
  CHECK(transport.request(1).url == "http://pg:9091/metrics/job/erp-backup/instance/prod");
  CHECK(transport.request(1).body.find("erp_backup_last_success_timestamp_seconds{stream=\"db\"} "
                                       "1795918449\n") != std::string::npos);

  // Unknown last success: that group is not touched, so the Pushgateway keeps its value.
  ScriptedTransport second;
  second.set_responder([](const auto&) { return Reply::with_status(200); });
  CHECK(to_int(publish_metrics(config, backup_facts(1), std::nullopt, log, &second)) == 1);
  REQUIRE(second.request_count() == 1);
  CHECK(second.request(0).url.ends_with("/command/backup"));
}

TEST_CASE("after a stop signal each push gets one attempt of at most 5 s") {
  Logger log(LogFormat::text, LogLevel::error);
  const config::MetricsConfig config{.pushgateway_url = "http://pg:9091", .instance = "prod"};
  ScriptedTransport transport;
  transport.set_responder([](const auto&) { return Reply::with_status(503); });
  RunFacts facts = backup_facts(143);
  facts.stopped = true;
  CHECK(to_int(publish_metrics(config, facts, std::nullopt, log, &transport)) == 143);
  REQUIRE(transport.request_count() == 1);  // no retry, and no last success group (unknown)
  CHECK(transport.request(0).timeout == std::chrono::milliseconds(5000));
}

TEST_CASE("a refused push makes a successful run exit 1") {
  Logger log(LogFormat::text, LogLevel::error);
  const config::MetricsConfig config{.pushgateway_url = "http://pg:9091", .instance = "prod"};
  ScriptedTransport transport;
  transport.set_responder([](const auto&) { return Reply::with_status(400, "bad"); });
  CHECK(to_int(publish_metrics(config, backup_facts(0), db_only_success(), log, &transport)) == 1);
}

}  // namespace
}  // namespace erp::app
