// `erp-backup doctor [--json]` (SPEC §2, issue 18): a conformance probe of the configured store
// and credentials, for installation day ("run doctor first on a new bucket") and a weekly
// CronJob (the chart's doctor.enabled). The checks, what each sends and how it is judged:
// doctor/check.h and doctor/probes.h.
//
// What it touches: only keys under `<S3_PREFIX>/<BACKUP_ENV>/.doctor/<TOKEN>/` (TOKEN: 128 random
// bits, this run's own; catalog/key_layout.h), and every one of them, objects and multipart
// uploads, is removed before it exits, on every path (doctor/cleanup.h): after a failed check,
// and after SIGTERM/SIGINT, when the cleanup runs on a client the stop does not end, bounded by
// S3_STALL_TIMEOUT. Nothing else in the bucket is read but the listing of that prefix and the
// bucket's versioning and Object Lock settings.
//
// Output: a table on stdout (doctor/report.h), or one JSON document with --json; a summary line
// in the log. Metrics: erp_backup_doctor_check{command,check,result} 1 per check (run_metrics.h).
//
// Exit codes: 0 a backup can run (degraded checks named: it runs through the fallback each
// names); 1 it cannot (a check a backup needs failed or could not be made: doctor/verdict.h);
// 2 usage or configuration (nothing was contacted); 130/143 stopped by SIGINT/SIGTERM, after the
// cleanup.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app/commands/context.h"

namespace erp::app {

// `erp-backup doctor --help`: printed by main.cc before any setting is read.
// What `doctor --help` says beyond its summary and flags (app/commands/command_table.cc).
extern const std::string_view kDoctorDetails;

ExitCode run_doctor(Context& context, const Arguments& args);

}  // namespace erp::app
