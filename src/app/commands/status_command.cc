#include "app/commands/status_command.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands/set_prologue.h"
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
  doc["ok"] = healthy;
  if (parsed->json) std::cout << doc.dump(2) << '\n';
  std::cout.flush();
  return healthy ? ExitCode::ok : ExitCode::failed;
}

}  // namespace erp::app
