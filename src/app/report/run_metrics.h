// The Prometheus metrics every command publishes at its end (issue 10): what they are
// (pure builders) and where they go (publish_metrics: METRICS_TEXTFILE and/or
// PUSHGATEWAY_URL, config/metrics_config.h). README "Metrics" lists them with alert rules.
//
// ## Families (all gauges: each value describes the last run, none accumulates)
//   erp_backup_last_success_timestamp_seconds{stream}   last-success.json; 0 = never
//   erp_backup_last_run_timestamp_seconds{command}      when the run ended
//   erp_backup_last_run_duration_seconds{command}
//   erp_backup_last_run_exit_code{command}              SPEC §2 exit codes
//   erp_backup_last_run_success{command}                1 when the exit code is 0
//   erp_backup_stream_success{command,stream}           backup: 1 committed, 0 failed
//   erp_backup_stream_bytes{command,stream}             backup: stored bytes (committed)
//   erp_backup_stream_parts{command,stream}             backup: upload parts (committed)
//   erp_backup_stream_duration_seconds{command,stream}  backup: every stream that ran
//   erp_backup_pruned_sets / _objects / _bytes{command} prune (and backup's prune): deleted
//   erp_backup_stale_uploads_aborted{command}           prune: multipart uploads aborted
//   erp_backup_prune_skipped_by_permission{command}     prune: 1 when deletes were refused
//                                                       for want of permission (none made)
//   erp_backup_object_lock_expiring_keepers{command}    prune: kept sets whose lock ends
//                                                       within 7 days short of their horizon
//   erp_backup_object_lock_promoted_objects{command}    prune: objects whose lock this run
//                                                       extended
//   erp_backup_object_lock_enforced{command}            backup and prune (not a dry run) with
//                                                       OBJECT_LOCK_MODE on: 1 when the canary's
//                                                       locked version could not be deleted
//                                                       (governance: even asking for the bypass),
//                                                       0 when it could (no sample when the
//                                                       canary could not tell)
//   erp_backup_doctor_check{command,check,result}        doctor: 1 per check, labelled with its
//                                                       result (ok, degraded, failed, skipped)
//   erp_backup_drill_success{command}                   drill: 1 passed, 0 failed
//   erp_backup_drill_duration_seconds{command}          drill: end to end (the measured RTO)
//   erp_backup_drill_rto_seconds_per_gib{command}       drill, when it passed: duration per GiB
//                                                       stored of the drilled set
//   erp_backup_last_drill_success_timestamp_seconds{command}  drill and status: when the newest
//                                                       passing drill passed (no sample: never)
//
// ## Why the last success lives apart, and survives a failed run
// A Pushgateway PUT replaces its whole group, and a textfile is replaced whole. If a failed
// run's output lacked the last success timestamp, the series would vanish and the alert
// `time() - erp_backup_last_success_timestamp_seconds > 26*3600` would go silent exactly
// when backups fail. So:
//   - the value is read from last-success.json after every command that knows the env
//     (one small GET), so a failed backup still reports the previous success;
//   - on the Pushgateway it is its own group, {base}/metrics/job/J/instance/I, pushed only
//     when last-success.json was read; the run's metrics go to .../instance/I/command/C.
//     When the bucket cannot be read, that group is left alone and keeps the last value;
//   - in the textfile, when last-success.json cannot be read, the previous file's samples
//     are carried over.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "app/commands/context.h"
#include "app/report/run_report.h"
#include "catalog/last_success.h"
#include "config/metrics_config.h"
#include "core/logger.h"
#include "http/transport.h"
#include "metrics/exposition.h"
#include "metrics/textfile.h"

namespace erp::app {

inline constexpr std::string_view kLastSuccessMetric = "erp_backup_last_success_timestamp_seconds";
inline constexpr std::string_view kLastDrillSuccessMetric =
    "erp_backup_last_drill_success_timestamp_seconds";

struct RunFacts {
  std::string command;  // "backup", "restore db", ...
  ExitCode exit_code = ExitCode::ok;
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point finished;
  // Stopped by SIGTERM/SIGINT: each push then gets one attempt of at most 5 s, so a hung
  // Pushgateway cannot eat the pod's termination grace period (README "Stopping").
  bool stopped = false;
  RunReport report;
};

// The run's own families (everything but the last success). Pure.
metrics::Registry run_registry(const RunFacts& facts);

// Adds erp_backup_last_success_timestamp_seconds for db and docs to `registry` (declaring
// it): the finished_at of each stream's last success as judged at `now`
// (catalog::success_time: never later than now), 0 for a stream never recorded and for a
// finished_at that is not a time or lies more than catalog::kMaxClockSkew after `now`. A
// future time would silence the staleness alert until that date; 0 makes it fire, which is
// what a success that cannot have happened deserves.
void add_last_success(metrics::Registry& registry, const catalog::LastSuccess& last,
                      std::chrono::system_clock::time_point now);

// Adds the family from samples read back from an earlier textfile (the carry-over).
void add_carried_last_success(metrics::Registry& registry,
                              const std::vector<metrics::ParsedSample>& samples);

// last-success.json of the context's env; nullopt (a warning logged) when the command has no
// env (object commands, refresh-sandbox) or the object cannot be read or parsed. An absent
// object is "never" for both streams.
std::optional<catalog::LastSuccess> observe_last_success(Context& context);

// Writes the textfile and pushes the two groups, as configured; the last success is judged at
// facts.finished (a refused time is logged as a warning naming it). Every failure is logged as
// an error naming the destination. Returns the exit code to end with: `facts.exit_code`,
// except 1 when that was 0 and any destination failed (monitoring that silently stops is
// the incident this exists for; a run that already failed keeps its own, more specific code).
// `push_transport` is used when PUSHGATEWAY_URL is set (borrowed for the call; must then be
// non-null, or the push counts as failed).
ExitCode publish_metrics(const config::MetricsConfig& config, const RunFacts& facts,
                         const std::optional<catalog::LastSuccess>& last_success, Logger& log,
                         http::HttpTransport* push_transport);

}  // namespace erp::app
