#include "app/drill/drill_run.h"

#include <unistd.h>

#include <iostream>

#include "app/commands/set_prologue.h"
#include "app/drill/drill_docs.h"
#include "app/drill/drill_record.h"
#include "app/drill/drill_set.h"
#include "app/drill/drill_summary.h"
#include "app/drill/evidence_write.h"
#include "app/drill/private_dir.h"
#include "app/sets/drill_status.h"
#include "catalog/drill_evidence.h"
#include "core/time_format.h"

namespace erp::app {
namespace {

using Steady = std::chrono::steady_clock;

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

// The code a failed step ends the drill with: the signal's, 2 for configuration, else 1.
ExitCode failed_code(const Error& error, const Cancellation& cancellation) {
  return exit_code_for(error, cancellation);
}

class DrillJob {
 public:
  DrillJob(Context& context, const DrillRequest& request)
      : context_(context), log_(context.log), request_(request) {}

  ExitCode run() {
    const auto drill_time = now_seconds(context_.clock);
    const std::string drill_id = format_basic_iso8601_utc(drill_time);
    const catalog::KeyLayout layout = env_layout(context_);
    auto chosen = choose_drill_set(context_, layout, request_.which);
    if (!chosen) return chosen.error();
    const catalog::CatalogSet& set = chosen->set();
    const catalog::Manifest& manifest = *set.manifest;
    evidence_.drilled_at = format_iso8601_utc(drill_time);
    evidence_.target = request_.target.embedded ? "embedded" : "restore";
    evidence_.jobs = request_.jobs;
    evidence_.tool_version = ERP_BACKUP_VERSION;
    evidence_.host = host_name();
    record_set(evidence_, manifest);
    log_.info("drill starting", {{"id", set.id},
                                 {"target", evidence_.target},
                                 {"jobs", std::to_string(request_.jobs)},
                                 {"work_dir", request_.target.work_dir.string()}});
    const auto started = Steady::now();

    const ExitCode code = drill(set);
    if (context_.cancellation.cancelled()) {
      log_.error("drill stopped by a signal: no evidence written", {{"id", set.id}});
      return stopped_by(context_.cancellation.signal_number());
    }
    if (code == ExitCode::usage) return code;  // nothing was drilled: a configuration to fix
    evidence_.total_seconds = seconds(Steady::now() - started);
    evidence_.finished_at = format_iso8601_utc(context_.clock.now());
    evidence_.passed = code == ExitCode::ok && evidence_passes(evidence_);
    for (const catalog::DrillCheck& check : evidence_.mismatches) {
      (check.failing ? log_.error("drill mismatch", fields(check))
                     : log_.warn("drill difference (reported only)", fields(check)));
    }
    for (const std::string& problem : evidence_.problems) {
      log_.error("drill problem", {{"problem", problem}});
    }

    const std::string key = layout.drill_evidence_key(set.id, drill_id);
    std::string written = key;
    ExitCode result = evidence_.passed ? ExitCode::ok : ExitCode::failed;
    if (auto stored = write_evidence(context_.s3, key, evidence_); !stored) {
      log_.error("drill: the evidence could not be written", {{"error", stored.error().message}});
      written.clear();
      result = stored.error().kind == ErrorKind::cancelled
                   ? stopped_by(context_.cancellation.signal_number())
                   : ExitCode::failed;
    }
    report(set.id, layout);
    if (request_.json) {
      std::cout << catalog::to_json(evidence_) << '\n';
    } else {
      print_drill_summary(std::cout, evidence_, written);
    }
    std::cout.flush();
    (evidence_.passed ? log_.info("drill passed", summary(written))
                      : log_.error("drill failed", summary(written)));
    return result;
  }

 private:
  // Steps 2 to 5. ok, or the code of the first step that could not go on; what was found is
  // in evidence_.
  ExitCode drill(const catalog::CatalogSet& set) {
    const catalog::Manifest& manifest = *set.manifest;
    auto target = DrillTarget::open(request_.target, manifest, log_, context_.cancellation);
    if (!target) {
      log_.error("drill: the target could not be prepared", {{"error", target.error().message}});
      evidence_.problems.push_back("target: " + target.error().message);
      return failed_code(target.error(), context_.cancellation);
    }
    std::unique_ptr<PrivateDir> scratch;
    RestoreDbOptions options{.target = &(*target)->config(),
                             .jobs = request_.jobs,
                             .scratch_dir = request_.scratch_dir,
                             .label = "drill",
                             .no_privileges = request_.target.embedded};
    if (request_.jobs > 1 && options.scratch_dir.empty()) {
      auto made = PrivateDir::make(request_.target.work_dir, "scratch");
      if (!made) {
        log_.error("drill: no scratch directory", {{"error", made.error().message}});
        return failed_code(made.error(), context_.cancellation);
      }
      scratch = std::move(*made);
      options.scratch_dir = scratch->path();
    }
    for (std::string& problem : unproven_by_manifest(manifest)) {
      evidence_.problems.push_back(std::move(problem));
    }
    RestoreDbReport restored;
    restored.jobs = request_.jobs;
    auto outcome = restore_set_db(context_, set, options, &restored);
    record_restore(evidence_, restored);
    ExitCode code = ExitCode::ok;
    if (!outcome) {
      // What failed, as the restore found it; its bare verdict only when it said nothing more
      // (a failing row count alone: that is in the mismatches).
      if (restored.problems.empty()) evidence_.problems.push_back(outcome.error().what);
      for (const std::string& problem : restored.problems) {
        evidence_.problems.push_back("restore: " + problem);
      }
      code = outcome.error().code;
    }
    scratch.reset();
    if (auto stopped = (*target)->stop(); !stopped) {
      log_.warn("drill: the PostgreSQL did not stop cleanly", {{"error", stopped.error().message}});
    }
    target->reset();  // its directory removed before the documents take the space
    if (context_.cancellation.cancelled()) return code;
    if (manifest.docs && catalog::holds_stream(set, catalog::Stream::docs)) {
      auto docs =
          check_set_docs(context_.s3, manifest, request_.target.work_dir, context_.cancellation);
      if (!docs) {
        evidence_.problems.push_back("documents: " + docs.error().message);
        if (code == ExitCode::ok) code = failed_code(docs.error(), context_.cancellation);
      } else {
        record_docs(evidence_, *docs);
      }
    }
    return code;
  }

  static std::vector<LogField> fields(const catalog::DrillCheck& check) {
    return {{"what", check.what}, {"expected", check.expected}, {"found", check.found}};
  }

  std::vector<LogField> summary(const std::string& written) const {
    return {{"id", evidence_.set_id},
            {"tables_compared", std::to_string(evidence_.tables_compared)},
            {"mismatches", std::to_string(evidence_.mismatches.size())},
            {"problems", std::to_string(evidence_.problems.size())},
            {"total_seconds", std::to_string(evidence_.total_seconds)},
            {"evidence", written.empty() ? "not written" : written}};
  }

  // RunReport::drill for the metrics: a failed drill still says when the last good one was.
  void report(const std::string& set_id, const catalog::KeyLayout& layout) {
    DrillRun run{.set_id = set_id,
                 .passed = evidence_.passed,
                 .duration = std::chrono::duration<double>(evidence_.total_seconds),
                 .stored_bytes = evidence_.dump_bytes + evidence_.docs_bytes};
    if (evidence_.passed) {
      run.last_success = context_.clock.now();
    } else if (auto status = drill_status(context_.s3, layout); !status) {
      log_.warn("drill: cannot read the last passing drill's evidence",
                {{"error", status.error().message}});
    } else if (status->last_passed) {
      run.last_success = drill_success_time(*status->last_passed);
    }
    context_.report.drill = run;
  }

  Context& context_;
  Logger& log_;
  const DrillRequest& request_;
  catalog::DrillEvidence evidence_;
};

}  // namespace

ExitCode run_drill_job(Context& context, const DrillRequest& request) {
  return DrillJob(context, request).run();
}

}  // namespace erp::app
