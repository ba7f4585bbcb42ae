#include "app/status.h"

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/object_commands.h"
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

Result<StatusArgs> parse_args(const std::vector<std::string>& args) {
  StatusArgs parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json") {
      parsed.json = true;
    } else if (args[i] == "--max-age" && i + 1 < args.size()) {
      auto age = config::parse_duration(args[++i]);
      if (!age || age->count() < 1000) {
        return make_error(ErrorKind::config, "--max-age '" + args[i] +
                                                 "' is not a duration (hint: e.g. 26h, 90m, 2d)");
      }
      parsed.max_age = std::chrono::duration_cast<std::chrono::seconds>(*age);
    } else if (args[i] == "--only" && i + 1 < args.size()) {
      const auto stream = catalog::parse_stream(args[++i]);
      if (!stream)
        return make_error(ErrorKind::config, "--only takes db or docs, not '" + args[i] + "'");
      parsed.expected = catalog::StreamSet::only(*stream);
    } else {
      return make_error(
          ErrorKind::config,
          "unexpected argument '" + args[i] +
              "' (hint: erp-backup status [--max-age 26h] [--only db|docs] [--json])");
    }
  }
  return parsed;
}

}  // namespace

std::vector<StreamStatusLine> judge_streams(const catalog::LastSuccess& last,
                                            catalog::StreamSet expected,
                                            std::chrono::system_clock::time_point now,
                                            std::chrono::seconds max_age) {
  std::vector<StreamStatusLine> lines;
  for (catalog::Stream stream : catalog::kStreams) {
    if (!expected.has(stream)) continue;
    StreamStatusLine line{.stream = stream, .last = last.of(stream)};
    if (line.last) {
      if (auto finished = parse_iso8601_utc(line.last->finished_at)) {
        line.age = std::chrono::duration_cast<std::chrono::seconds>(now - *finished);
        line.fresh = *line.age <= max_age;
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

int run_status(Context& context, const std::vector<std::string>& args) {
  Logger& log = context.log;
  auto parsed = parse_args(args);
  if (!parsed) {
    log.error(parsed.error().message);
    return 2;
  }
  const catalog::KeyLayout layout(context.settings.layout->prefix, context.settings.layout->env);
  catalog::LastSuccess last;
  if (auto text = catalog::read_small_object(context.s3, layout.last_success_key()); text) {
    auto parsed_last = catalog::parse_last_success(*text);
    if (!parsed_last) {
      log.error("status: last-success.json is unreadable",
                {{"key", layout.last_success_key()}, {"error", parsed_last.error().message}});
      return 1;
    }
    last = std::move(*parsed_last);
  } else if (text.error().kind != ErrorKind::not_found) {
    log.error("status failed",
              {{"key", layout.last_success_key()}, {"error", text.error().message}});
    return exit_code_for(text.error(), context.cancellation);
  }
  const auto lines = judge_streams(last, parsed->expected, context.clock.now(), parsed->max_age);
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
    streams[name] = std::move(entry);
    if (!parsed->json) {
      std::cout << name << '\t' << (line.fresh ? "ok" : "STALE") << '\t'
                << (line.last ? line.last->finished_at : std::string("never")) << '\t'
                << (line.last ? line.last->id : std::string("-")) << '\t'
                << (line.age ? std::to_string(line.age->count()) + "s" : std::string("-")) << '\n';
    }
    if (!line.fresh) {
      log.error(line.last ? "last success is too old" : "never backed up",
                {{"stream", name},
                 {"last_success", line.last ? line.last->finished_at : "never"},
                 {"max_age_seconds", std::to_string(parsed->max_age.count())}});
    }
  }
  doc["streams"] = std::move(streams);
  doc["ok"] = healthy;
  if (parsed->json) std::cout << doc.dump(2) << '\n';
  std::cout.flush();
  return healthy ? 0 : 1;
}

}  // namespace erp::app
