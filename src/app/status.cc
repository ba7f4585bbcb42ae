#include "app/status.h"

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/object_commands.h"
#include "catalog/catalog.h"
#include "catalog/manifest.h"
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
      if (auto finished = catalog::success_time(stream, *line.last, now)) {
        line.age = std::chrono::duration_cast<std::chrono::seconds>(now - *finished);
        line.fresh = *line.age <= max_age;
      } else {
        line.problem = finished.error().message;
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

namespace {

// Why the manifest and the object do not back `line`'s recorded success ("" when they do).
// Errors: the store's, other than not_found.
Result<std::string> manifest_problem(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                     const StreamStatusLine& line) {
  const catalog::StreamSuccess& success = *line.last;
  const std::string stream(catalog::to_string(line.stream));
  const std::string key = layout.manifest_key(success.id);
  const std::string where =
      "last-success.json: " + stream + " (set " + success.id + ", " + success.finished_at + ")";
  const std::string hint =
      " (hint: the manifest is the commit point; a success without it did not happen. "
      "erp-backup list shows the sets; the next successful backup rewrites last-success.json)";
  if (success.manifest != key)
    return where + " names manifest " + success.manifest + ", not " + key + hint;
  auto text = catalog::read_small_object(store, key);
  if (!text) {
    if (text.error().kind == ErrorKind::not_found)
      return where + ": " + key + " does not exist" + hint;
    // Too large to be a manifest (or cut short): either way not one that backs a success.
    if (text.error().kind == ErrorKind::corrupt)
      return where + ": " + key + ": " + text.error().message + hint;
    return std::unexpected(text.error().with_context("reading " + key));
  }
  auto manifest = catalog::parse_manifest(*text);
  if (!manifest) return where + ": " + key + ": " + manifest.error().message + hint;
  if (std::string trust = catalog::trust_problem(*manifest, layout, success.id); !trust.empty())
    return where + ": " + key + ": " + trust + hint;
  const auto& record = line.stream == catalog::Stream::db ? manifest->db : manifest->docs;
  if (!record || record->status != catalog::StreamStatus::committed)
    return where + ": " + key + " does not record the " + stream + " stream as committed" + hint;
  if (manifest->finished_at != success.finished_at) {
    return where + ": " + key + " says the set finished at " + manifest->finished_at + hint;
  }
  auto object = store.head_object(record->key);
  if (!object) {
    if (object.error().kind == ErrorKind::not_found)
      return where + ": " + record->key + " does not exist" + hint;
    return std::unexpected(object.error().with_context("checking " + record->key));
  }
  if (object->size != record->bytes) {
    return where + ": " + record->key + " has " + std::to_string(object->size) +
           " bytes, the manifest says " + std::to_string(record->bytes) + hint;
  }
  return std::string();
}

}  // namespace

Result<void> check_manifests(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                             std::vector<StreamStatusLine>& lines) {
  for (StreamStatusLine& line : lines) {
    if (!line.last || !line.problem.empty()) continue;
    auto problem = manifest_problem(store, layout, line);
    if (!problem) return std::unexpected(problem.error());
    if (!problem->empty()) {
      line.problem = std::move(*problem);
      line.fresh = false;
    }
  }
  return {};
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
  doc["ok"] = healthy;
  if (parsed->json) std::cout << doc.dump(2) << '\n';
  std::cout.flush();
  return healthy ? 0 : 1;
}

}  // namespace erp::app
