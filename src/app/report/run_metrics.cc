#include "app/report/run_metrics.h"

#include "catalog/catalog.h"
#include "catalog/key_layout.h"
#include "metrics/push.h"

namespace erp::app {
namespace {

using metrics::Label;
using metrics::MetricType;

double unix_seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

// The builders use fixed, valid names: a failure here is a programming error that the unit
// tests of this file catch, so the results are not checked at every call.
void declare(metrics::Registry& registry, std::string_view name, std::string_view help) {
  (void)registry.declare(std::string(name), MetricType::gauge, std::string(help));
}

void declare_last_success(metrics::Registry& registry) {
  declare(registry, kLastSuccessMetric,
          "Unix time of the stream's last successful backup, from last-success.json (0: never).");
}

}  // namespace

metrics::Registry run_registry(const RunFacts& facts) {
  metrics::Registry registry;
  const Label command{"command", facts.command};
  declare(registry, "erp_backup_last_run_timestamp_seconds",
          "Unix time the last run of the command ended.");
  declare(registry, "erp_backup_last_run_duration_seconds",
          "Wall time of the last run of the command.");
  declare(registry, "erp_backup_last_run_exit_code",
          "Exit code of the last run: 0 ok, 1 failed, 2 configuration, 3 partial, 130/143 "
          "stopped by a signal.");
  declare(registry, "erp_backup_last_run_success", "1 when the last run exited 0, else 0.");
  (void)registry.set("erp_backup_last_run_timestamp_seconds", {command},
                     unix_seconds(facts.finished));
  (void)registry.set("erp_backup_last_run_duration_seconds", {command},
                     std::chrono::duration<double>(facts.finished - facts.started).count());
  (void)registry.set("erp_backup_last_run_exit_code", {command}, to_int(facts.exit_code));
  (void)registry.set("erp_backup_last_run_success", {command},
                     facts.exit_code == ExitCode::ok ? 1 : 0);

  declare(registry, "erp_backup_stream_success",
          "1 when the stream committed in the last backup run, 0 when it failed.");
  declare(registry, "erp_backup_stream_bytes",
          "Stored bytes (the object's size) of the stream committed by the last backup run.");
  declare(registry, "erp_backup_stream_parts",
          "Multipart upload parts of the stream committed by the last backup run.");
  declare(registry, "erp_backup_stream_duration_seconds",
          "Wall time of the stream in the last backup run.");
  for (const StreamRun& stream : facts.report.streams) {
    const std::vector<Label> labels = {command,
                                       {"stream", std::string(catalog::to_string(stream.stream))}};
    (void)registry.set("erp_backup_stream_success", labels, stream.committed ? 1 : 0);
    (void)registry.set("erp_backup_stream_duration_seconds", labels, stream.duration.count());
    if (!stream.committed) continue;
    (void)registry.set("erp_backup_stream_bytes", labels, static_cast<double>(stream.bytes));
    (void)registry.set("erp_backup_stream_parts", labels, static_cast<double>(stream.parts));
  }

  declare(registry, "erp_backup_pruned_sets", "Backup sets deleted by the last run's prune.");
  declare(registry, "erp_backup_pruned_objects", "Objects deleted by the last run's prune.");
  declare(registry, "erp_backup_pruned_bytes",
          "Bytes of the objects deleted by the last run's prune.");
  declare(registry, "erp_backup_stale_uploads_aborted",
          "Stale multipart uploads aborted by the last run's prune.");
  if (const auto& prune = facts.report.prune) {
    (void)registry.set("erp_backup_pruned_sets", {command},
                       prune->dry_run ? 0 : static_cast<double>(prune->sets_deleted));
    (void)registry.set("erp_backup_pruned_objects", {command},
                       static_cast<double>(prune->objects_deleted));
    (void)registry.set("erp_backup_pruned_bytes", {command},
                       static_cast<double>(prune->bytes_deleted));
    (void)registry.set("erp_backup_stale_uploads_aborted", {command},
                       static_cast<double>(prune->stale_uploads_aborted));
  }

  declare(registry, "erp_backup_prune_skipped_by_permission",
          "1 when the last run's prune stopped because the credentials may not delete, else 0.");
  declare(registry, "erp_backup_object_lock_expiring_keepers",
          "Kept backup sets whose Object Lock ends within 7 days although their retention tier "
          "keeps them longer (a promotion failed or was not allowed).");
  declare(registry, "erp_backup_object_lock_promoted_objects",
          "Objects whose Object Lock the last run's prune extended to their tier's horizon.");
  if (const auto& prune = facts.report.prune) {
    (void)registry.set("erp_backup_prune_skipped_by_permission", {command},
                       prune->skipped_by_permission ? 1 : 0);
    (void)registry.set("erp_backup_object_lock_expiring_keepers", {command},
                       static_cast<double>(prune->expiring_keepers));
    (void)registry.set("erp_backup_object_lock_promoted_objects", {command},
                       static_cast<double>(prune->promoted_objects));
  }
  declare(registry, "erp_backup_object_lock_enforced",
          "1 when the last run's credentials were refused the delete of a locked version "
          "(the canary; governance: even with the bypass header), 0 when they deleted it: Object "
          "Lock does not protect the backups from them.");
  if (const auto& enforced = facts.report.object_lock_enforced) {
    (void)registry.set("erp_backup_object_lock_enforced", {command}, *enforced ? 1 : 0);
  }

  declare(registry, "erp_backup_drill_success",
          "1 when the last restore drill passed (every count and digest matched), else 0.");
  declare(registry, "erp_backup_drill_duration_seconds",
          "End-to-end time of the last restore drill: the measured recovery time.");
  declare(registry, "erp_backup_drill_rto_seconds_per_gib",
          "Recovery seconds per GiB stored, measured by the last passing restore drill.");
  declare(registry, kLastDrillSuccessMetric,
          "Unix time the newest passing restore drill passed (drill evidence in the bucket).");
  if (const auto& drill = facts.report.drill) {
    (void)registry.set("erp_backup_drill_success", {command}, drill->passed ? 1 : 0);
    (void)registry.set("erp_backup_drill_duration_seconds", {command}, drill->duration.count());
    if (drill->passed && drill->stored_bytes > 0) {
      const double gib = static_cast<double>(drill->stored_bytes) / (1024.0 * 1024.0 * 1024.0);
      (void)registry.set("erp_backup_drill_rto_seconds_per_gib", {command},
                         drill->duration.count() / gib);
    }
  }
  // A failed drill still publishes when the last good one was (run_report.h DrillRun), and
  // status publishes it from the bucket: the alert on an old drill then never goes silent.
  const auto last_drill_success =
      facts.report.drill ? facts.report.drill->last_success : facts.report.last_drill_success;
  if (last_drill_success) {
    (void)registry.set(std::string(kLastDrillSuccessMetric), {command},
                       unix_seconds(*last_drill_success));
  }

  // One sample per check, its result a label: a Pushgateway group and a textfile are replaced
  // whole, so a check that changes result leaves no stale series behind.
  declare(registry, "erp_backup_doctor_check",
          "1 for each check of the last doctor run, labelled with its result (ok, degraded, "
          "failed, skipped).");
  for (const CheckRun& check : facts.report.checks) {
    (void)registry.set("erp_backup_doctor_check",
                       {command, {"check", check.check}, {"result", check.result}}, 1);
  }
  return registry;
}

void add_last_success(metrics::Registry& registry, const catalog::LastSuccess& last,
                      std::chrono::system_clock::time_point now) {
  declare_last_success(registry);
  for (const catalog::Stream stream : {catalog::Stream::db, catalog::Stream::docs}) {
    double value = 0;
    if (const auto& success = last.of(stream)) {
      if (auto finished = catalog::success_time(stream, *success, now))
        value = unix_seconds(*finished);
    }
    (void)registry.set(kLastSuccessMetric, {{"stream", std::string(catalog::to_string(stream))}},
                       value);
  }
}

void add_carried_last_success(metrics::Registry& registry,
                              const std::vector<metrics::ParsedSample>& samples) {
  declare_last_success(registry);
  for (const metrics::ParsedSample& sample : samples) {
    (void)registry.set(kLastSuccessMetric, sample.labels, sample.value);
  }
}

std::optional<catalog::LastSuccess> observe_last_success(Context& context) {
  const auto& layout_config = context.settings.layout;
  if (!layout_config || layout_config->env.empty()) return std::nullopt;
  const catalog::KeyLayout layout(layout_config->prefix, layout_config->env);
  const std::string key = layout.last_success_key();
  auto text = catalog::read_small_object(context.s3, key);
  if (!text) {
    if (text.error().kind == ErrorKind::not_found) return catalog::LastSuccess{};
    context.log.warn(
        "metrics: cannot read last-success.json; the last success timestamps keep "
        "their previous values",
        {{"key", key}, {"error", text.error().message}});
    return std::nullopt;
  }
  auto parsed = catalog::parse_last_success(*text);
  if (!parsed) {
    context.log.warn(
        "metrics: last-success.json does not parse; the last success timestamps "
        "keep their previous values",
        {{"key", key}, {"error", parsed.error().message}});
    return std::nullopt;
  }
  return std::move(*parsed);
}

ExitCode publish_metrics(const config::MetricsConfig& config, const RunFacts& facts,
                         const std::optional<catalog::LastSuccess>& last_success, Logger& log,
                         http::HttpTransport* push_transport) {
  bool failed = false;
  const metrics::Registry run = run_registry(facts);
  metrics::Registry last;
  if (last_success) {
    add_last_success(last, *last_success, facts.finished);
    for (const catalog::Stream stream : catalog::kStreams) {
      const auto& success = last_success->of(stream);
      if (!success) continue;
      if (auto finished = catalog::success_time(stream, *success, facts.finished); !finished) {
        log.warn("metrics: the last success time is refused and published as 0 (never)",
                 {{"stream", std::string(catalog::to_string(stream))},
                  {"error", finished.error().message}});
      }
    }
  }

  if (!config.textfile.empty()) {
    metrics::Registry carried;
    if (!last_success) {
      // Keep the previous file's last success timestamps rather than dropping the series.
      auto previous = metrics::read_textfile(config.textfile);
      auto samples = previous && *previous ? metrics::parse_samples(**previous, kLastSuccessMetric)
                                           : Result<std::vector<metrics::ParsedSample>>{};
      if (!previous || !samples) {
        log.warn("metrics: the previous textfile's last success timestamps cannot be carried",
                 {{"file", config.textfile},
                  {"error", !previous ? previous.error().message : samples.error().message}});
      } else if (!samples->empty()) {
        add_carried_last_success(carried, *samples);
      }
    }
    const std::string text = run.render() + (last_success ? last.render() : carried.render());
    if (auto written = metrics::write_textfile_atomically(config.textfile, text); !written) {
      failed = true;
      log.error("metrics: writing the textfile failed",
                {{"file", config.textfile},
                 {"error", written.error().message},
                 {"hint", "METRICS_TEXTFILE must name a file in a writable directory"}});
    } else {
      log.info("metrics: textfile written", {{"file", config.textfile}});
    }
  }

  if (!config.pushgateway_url.empty() && push_transport == nullptr) {
    failed = true;  // a composition error, but never a silent skip
    log.error("metrics: PUSHGATEWAY_URL is set but no transport was given; nothing pushed");
  } else if (!config.pushgateway_url.empty()) {
    metrics::PushOptions options;
    if (facts.stopped) {
      options.retry.max_attempts = 1;
      options.timeout = std::chrono::seconds(5);
    }
    const auto push = [&](const std::vector<Label>& grouping, const metrics::Registry& registry) {
      const std::string url = metrics::group_url(config.pushgateway_url, config.job, grouping);
      if (auto pushed = metrics::push_group(*push_transport, url, registry.render(), options);
          !pushed) {
        failed = true;
        log.error("metrics: push to the Pushgateway failed",
                  {{"url", url}, {"error", pushed.error().message}});
      } else {
        log.info("metrics: pushed", {{"url", url}});
      }
    };
    const Label instance{"instance", config.instance};
    push({instance, {"command", facts.command}}, run);
    if (last_success) push({instance}, last);
  }
  if (failed && facts.exit_code == ExitCode::ok) return ExitCode::failed;
  return facts.exit_code;
}

}  // namespace erp::app
