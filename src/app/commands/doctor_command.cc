#include "app/commands/doctor_command.h"

#include <algorithm>
#include <iostream>

#include "app/backup/run_lease.h"
#include "catalog/key_layout.h"
#include "doctor/cleanup.h"
#include "doctor/probe_client.h"
#include "doctor/probes.h"
#include "doctor/report.h"
#include "doctor/store_detection.h"
#include "doctor/verdict.h"

namespace erp::app {

const std::string_view kDoctorDetails =
    R"(Probes the configured store and credentials (S3_BUCKET, AWS_ENDPOINT_URL_S3, AWS_REGION, the
credentials) the way backup, prune and restore use them, and reports each capability as ok,
degraded (works, through the fallback it names) or failed (with the setting or bucket policy to
change): endpoint and TLS, credentials provider, region and clock skew, the bucket, PutObject,
ListObjectsV2 pagination, GET with Range, a 2-part multipart upload and its Complete ETag,
conditional PUT, ListMultipartUploads and Abort, DeleteObjects, whether the credentials can
delete, bucket versioning and Object Lock (read only), and which store answered.

It writes only under S3_PREFIX/BACKUP_ENV/.doctor/<random>/ and removes everything it wrote
(objects and uploads), also when stopped by SIGTERM/SIGINT. Run it first on a new bucket.)";

namespace {

void set(std::vector<doctor::Check>& checks, doctor::Check check) {
  *std::ranges::find(checks, check.id, &doctor::Check::id) = std::move(check);
}

// The `store` check: named by the headers of every reply of the run; skipped when nothing
// answered.
doctor::Check store_check(const std::vector<doctor::Reply>& replies, doctor::StoreGuess& guess) {
  std::vector<std::vector<http::Header>> headers;
  for (const doctor::Reply& reply : replies) {
    if (reply.status != 0) headers.push_back(reply.headers);
  }
  if (headers.empty()) return {.id = doctor::CheckId::store, .detail = "no reply to tell by"};
  guess = doctor::detect_store(headers);
  return {.id = doctor::CheckId::store,
          .result = doctor::CheckResult::ok,
          .detail = std::string(doctor::display_name(guess.kind)) + " (" + guess.evidence + ")"};
}

}  // namespace

ExitCode run_doctor(Context& context, const Arguments& args) {
  const bool json = args.has("--json");
  const config::LayoutConfig& layout_config = *context.settings.layout;
  const catalog::KeyLayout layout(layout_config.prefix, layout_config.env);
  auto token = new_run_token();
  if (!token) {
    context.log.error("doctor failed", {{"error", token.error().message}});
    return ExitCode::failed;
  }
  doctor::Ledger ledger(layout.doctor_run_prefix(*token));
  const auto& provider = context.signing.credentials;
  doctor::ReplyLog replies;
  doctor::Corrections corrections;
  context.log.info("doctor: probing the store", {{"bucket", context.s3_config.bucket},
                                                 {"endpoint", context.s3_config.endpoint},
                                                 {"prefix", ledger.prefix()}});

  std::vector<doctor::Check> checks;
  {
    doctor::ProbeClient probe(context.s3_config, provider, context.cancellation.token(), replies,
                              corrections);
    doctor::ProbeEnvironment environment{.store = probe.store(),
                                         .replies = replies,
                                         .corrections = corrections,
                                         .config = context.s3_config,
                                         .clock = context.clock,
                                         .ledger = ledger,
                                         .stop = context.cancellation.token()};
    checks = doctor::run_probes(environment);
  }

  // The cleanup, on every path: a client of its own that the job's stop does not end (after a
  // SIGTERM it is the cleanup that must still happen), bounded by the stall timeout instead.
  if (ledger.keys().empty()) {
    set(checks, {.id = doctor::CheckId::cleanup,
                 .result = doctor::CheckResult::ok,
                 .detail = "nothing was written"});
  } else {
    const doctor::DeadlineStop deadline(context.s3_config.stall_timeout);
    doctor::ProbeClient cleaner(context.s3_config, provider, deadline.token(), replies,
                                corrections);
    const doctor::CleanupReport cleaned = doctor::clean_up(cleaner.store(), ledger);
    set(checks, doctor::cleanup_check(cleaned, ledger));
  }

  doctor::DoctorReport report{.bucket = context.s3_config.bucket,
                              .endpoint = context.s3_config.endpoint,
                              .region = context.s3_config.region,
                              .run_prefix = ledger.prefix(),
                              .credentials_provider = std::string(provider->name())};
  set(checks, store_check(replies.since(0), report.store));
  report.checks = checks;
  report.verdict = doctor::judge(checks);
  report.stopped_by_signal =
      context.cancellation.cancelled() ? context.cancellation.signal_number() : 0;
  const ExitCode exit_code =
      report.stopped_by_signal != 0
          ? exit_code_for(Error{ErrorKind::cancelled, "stopped"}, context.cancellation)
          : (report.verdict.backup_can_run ? ExitCode::ok : ExitCode::failed);
  report.exit_code = to_int(exit_code);
  for (const doctor::Check& check : checks) {
    context.report.checks.push_back({std::string(doctor::spec_of(check.id).name),
                                     std::string(doctor::to_string(check.result))});
  }

  if (json) {
    std::cout << doctor::report_json(report).dump(2) << '\n';
  } else {
    doctor::print_table(std::cout, report);
  }
  std::cout.flush();

  const auto failed_names = [&](const std::vector<doctor::CheckId>& ids) {
    std::string out;
    for (const doctor::CheckId id : ids) {
      out += (out.empty() ? "" : ",") + std::string(doctor::spec_of(id).name);
    }
    return out;
  };
  const std::vector<LogField> fields = {
      {"bucket", context.s3_config.bucket},
      {"store", std::string(doctor::to_string(report.store.kind))},
      {"degraded", failed_names(report.verdict.degraded)},
      {"failed", failed_names(report.verdict.failed)},
      {"blocking", failed_names(report.verdict.blocking)}};
  if (report.stopped_by_signal != 0) {
    auto stopped_fields = fields;
    stopped_fields.emplace_back(
        "cleanup",
        std::string(doctor::to_string(
            std::ranges::find(checks, doctor::CheckId::cleanup, &doctor::Check::id)->result)));
    context.log.error(
        "doctor stopped by signal; the cleanup check says whether what it wrote "
        "is gone",
        std::move(stopped_fields));
  } else if (report.verdict.backup_can_run) {
    context.log.info("doctor: a backup can run with this store and these credentials", fields);
  } else {
    context.log.error("doctor: a backup cannot run with this store and these credentials", fields);
  }
  if (!std::cout) {
    context.log.error("doctor failed: cannot write to stdout");
    return exit_code == ExitCode::ok ? ExitCode::failed : exit_code;
  }
  return exit_code;
}

}  // namespace erp::app
