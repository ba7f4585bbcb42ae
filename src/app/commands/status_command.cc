#include "app/commands/status_command.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands/set_prologue.h"
#include "app/sets/drill_status.h"
#include "app/sets/lock_status.h"
#include "app/sets/status.h"
#include "catalog/catalog.h"
#include "config/s3_config.h"
#include "core/time_format.h"

namespace erp::app {
namespace {

constexpr std::chrono::hours kDefaultMaxAge{26};

struct StatusArgs {
  std::chrono::seconds max_age = kDefaultMaxAge;
  catalog::StreamSet expected = catalog::StreamSet::both();
  bool json = false;
};

Result<StatusArgs> status_args(const Arguments& args) {
  StatusArgs parsed{.json = args.has("--json")};
  if (const auto text = args.value("--max-age")) {
    auto age = config::parse_duration(*text);
    if (!age || age->count() < 1000) {
      return make_error(ErrorKind::config,
                        "--max-age '" + *text + "' is not a duration (hint: e.g. 26h, 90m, 2d)");
    }
    parsed.max_age = std::chrono::duration_cast<std::chrono::seconds>(*age);
  }
  if (const auto only = args.value("--only")) {
    const auto stream = catalog::parse_stream(*only);
    if (!stream)
      return make_error(ErrorKind::config, "--only takes db or docs, not '" + *only + "'");
    parsed.expected = catalog::StreamSet::only(*stream);
  }
  return parsed;
}

nlohmann::ordered_json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

// The "drill" member of status --json (app/sets/drill_status.h), and its one text line:
//   drill<TAB>passed|FAILED<TAB>DRILLED_AT<TAB>ID<TAB>TOTAL s<TAB>predicted RTO s|-
// null / "drill<TAB>never" without evidence. Never changes the exit code: status's alerting
// stays about backups; the drill metrics alert on drills. Fills the run's last drill success
// for the metrics.
nlohmann::ordered_json report_drill(Context& context, const catalog::KeyLayout& layout, bool json) {
  auto drills = drill_status(context.s3, layout);
  if (!drills) {
    context.log.warn("status: the drill evidence cannot be read",
                     {{"prefix", layout.drill_prefix()}, {"error", drills.error().message}});
    return nullptr;
  }
  for (const std::string& unreadable : drills->unreadable)
    context.log.warn("status: drill evidence is unreadable, passed over",
                     {{"evidence", unreadable}});
  if (!drills->newest) {
    if (!json) std::cout << "drill\tnever\n";
    return nullptr;
  }
  std::optional<double> predicted;
  std::optional<std::string> last_success_at;
  if (drills->last_passed) {
    if (const auto when = drill_success_time(*drills->last_passed)) {
      context.report.last_drill_success = *when;
      last_success_at = format_iso8601_utc(*when);
    }
    auto newest_bytes = newest_complete_set_bytes(context.s3, layout);
    if (!newest_bytes) {
      context.log.warn("status: the newest complete set cannot be read for the predicted RTO",
                       {{"error", newest_bytes.error().message}});
    } else if (*newest_bytes) {
      predicted = predicted_rto_seconds(*drills, **newest_bytes);
    }
  }
  const catalog::DrillEvidence& newest = *drills->newest;
  if (!json) {
    std::cout << "drill\t" << (newest.passed ? "passed" : "FAILED") << '\t' << newest.drilled_at
              << '\t' << newest.set_id << '\t' << newest.total_seconds << "s\t"
              << (predicted ? std::to_string(static_cast<long long>(*predicted)) + "s" : "-")
              << '\n';
  }
  return {
      {"set_id", newest.set_id},
      {"drilled_at", newest.drilled_at},
      {"passed", newest.passed},
      {"total_seconds", newest.total_seconds},
      {"seconds_per_gib",
       optional_number(drills->last_passed ? seconds_per_gib(*drills->last_passed) : std::nullopt)},
      {"last_success_at", last_success_at ? nlohmann::ordered_json(*last_success_at)
                                          : nlohmann::ordered_json(nullptr)},
      {"predicted_rto_seconds", optional_number(predicted)}};
}

}  // namespace

ExitCode run_status(Context& context, const Arguments& args) {
  Logger& log = context.log;
  auto parsed = or_usage(context, status_args(args));
  if (!parsed) return parsed.error();
  const catalog::KeyLayout layout = env_layout(context);
  catalog::LastSuccess last;
  if (auto text = catalog::read_small_object(context.s3, layout.last_success_key()); text) {
    auto parsed_last = catalog::parse_last_success(*text);
    if (!parsed_last) {
      log.error("status: last-success.json is unreadable",
                {{"key", layout.last_success_key()}, {"error", parsed_last.error().message}});
      return ExitCode::failed;
    }
    last = std::move(*parsed_last);
  } else if (text.error().kind != ErrorKind::not_found) {
    log.error("status failed",
              {{"key", layout.last_success_key()}, {"error", text.error().message}});
    return exit_code_for(text.error(), context.cancellation);
  }
  auto lines = judge_streams(last, parsed->expected, context.clock.now(), parsed->max_age);
  if (auto checked = check_manifests(context.s3, layout, lines); !checked) {
    log.error("status failed", {{"error", checked.error().message}});
    return exit_code_for(checked.error(), context.cancellation);
  }
  bool healthy = true;
  nlohmann::ordered_json doc;
  doc["env"] = context.settings.layout->env;
  doc["now"] = format_iso8601_utc(context.clock.now());
  doc["max_age_seconds"] = parsed->max_age.count();
  auto streams = nlohmann::ordered_json::object();
  for (const StreamStatusLine& line : lines) {
    healthy = healthy && line.fresh;
    const std::string name(catalog::to_string(line.stream));
    nlohmann::ordered_json entry;
    entry["ok"] = line.fresh;
    entry["last_success"] = line.last ? nlohmann::ordered_json(line.last->finished_at) : nullptr;
    entry["id"] = line.last ? nlohmann::ordered_json(line.last->id) : nullptr;
    entry["age_seconds"] = line.age ? nlohmann::ordered_json(line.age->count()) : nullptr;
    if (!line.problem.empty()) entry["problem"] = line.problem;
    streams[name] = std::move(entry);
    const char* verdict = line.fresh ? "ok" : line.problem.empty() ? "STALE" : "ERROR";
    if (!parsed->json) {
      std::cout << name << '\t' << verdict << '\t'
                << (line.last ? line.last->finished_at : std::string("never")) << '\t'
                << (line.last ? line.last->id : std::string("-")) << '\t'
                << (line.age ? std::to_string(line.age->count()) + "s" : std::string("-")) << '\n';
    }
    if (!line.problem.empty()) {
      log.error("last success cannot be believed", {{"stream", name},
                                                    {"key", layout.last_success_key()},
                                                    {"last_success", line.last->finished_at},
                                                    {"error", line.problem}});
    } else if (!line.fresh) {
      log.error(line.last ? "last success is too old" : "never backed up",
                {{"stream", name},
                 {"last_success", line.last ? line.last->finished_at : "never"},
                 {"max_age_seconds", std::to_string(parsed->max_age.count())}});
    }
  }
  doc["streams"] = std::move(streams);
  auto lock = lock_status(context.s3, layout,
                          context.settings.object_lock.value_or(config::ObjectLockConfig{}));
  if (!lock) {
    log.error("status failed", {{"error", lock.error().message}});
    return exit_code_for(lock.error(), context.cancellation);
  }
  nlohmann::ordered_json object_lock = {{"mode", lock->mode}};
  if (lock->mode != config::mode_setting(std::nullopt)) {
    object_lock["enforced"] =
        lock->enforced ? nlohmann::ordered_json(*lock->enforced) : nlohmann::ordered_json(nullptr);
    object_lock["checked_at"] = lock->checked_at ? nlohmann::ordered_json(*lock->checked_at)
                                                 : nlohmann::ordered_json(nullptr);
    if (!parsed->json) std::cout << lock_status_line(*lock) << '\n';
    if (lock->enforced == false) {
      log.error(
          "Object Lock is NOT enforced: the newest backup's credentials deleted a locked "
          "version of the canary",
          {{"set", lock->set_id}, {"checked_at", lock->checked_at.value_or("")}});
    }
  }
  doc["object_lock"] = std::move(object_lock);
  doc["drill"] = report_drill(context, layout, parsed->json);
  doc["ok"] = healthy;
  if (parsed->json) std::cout << doc.dump(2) << '\n';
  std::cout.flush();
  return healthy ? ExitCode::ok : ExitCode::failed;
}

}  // namespace erp::app
