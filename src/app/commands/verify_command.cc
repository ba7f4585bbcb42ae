#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands/set_prologue.h"
#include "app/commands/verify_command.h"
#include "app/sets/verify.h"
#include "catalog/catalog.h"

namespace erp::app {
namespace {

nlohmann::ordered_json to_json(const SetReport& report) {
  nlohmann::ordered_json set;
  set["id"] = report.id;
  set["ok"] = report.ok();
  auto streams = nlohmann::ordered_json::array();
  for (const StreamCheck& check : report.streams) {
    nlohmann::ordered_json stream;
    stream["stream"] = check.stream;
    stream["key"] = check.key;
    stream["bytes"] = check.bytes;
    stream["sha256"] = check.sha256;
    if (check.tables) stream["tables"] = *check.tables;
    if (check.counts) {
      stream["files"] = check.counts->files;
      stream["directories"] = check.counts->directories;
      stream["symlinks"] = check.counts->symlinks;
      stream["hardlinks"] = check.counts->hardlinks;
      stream["content_bytes"] = check.counts->content_bytes;
    }
    streams.push_back(std::move(stream));
  }
  set["streams"] = std::move(streams);
  set["problems"] = report.problems;
  set["notes"] = report.notes;
  return set;
}

void print_text(const SetReport& report) {
  std::cout << report.id << '\t' << (report.ok() ? "ok" : "FAILED");
  for (const StreamCheck& check : report.streams) {
    std::cout << '\t' << check.stream << '=' << check.bytes << "B";
    if (check.tables) std::cout << "," << *check.tables << " tables";
    if (check.counts) std::cout << "," << check.counts->files << " files";
  }
  std::cout << '\n';
  for (const std::string& problem : report.problems) std::cout << "  " << problem << '\n';
  for (const std::string& note : report.notes) std::cout << "  note: " << note << '\n';
}

}  // namespace

ExitCode run_verify(Context& context, const Arguments& args) {
  Logger& log = context.log;
  if (args.has("--all") && !args.positionals().empty()) {
    log.error("verify: unexpected argument '" + args.positionals()[0] +
              "' beside --all (hint: erp-backup verify [ID|latest|--all] [--json])");
    return ExitCode::usage;
  }
  const std::string which = args.has("--all") ? "--all" : args.positional(0).value_or("latest");
  const bool json = args.has("--json");
  const catalog::KeyLayout layout = env_layout(context);
  auto catalog = load_env_catalog(context, layout, "verify failed");
  if (!catalog) return catalog.error();
  auto sets = select_sets(*catalog, which);
  if (!sets) {
    log.error("verify failed", {{"prefix", layout.env_prefix()}, {"error", sets.error().message}});
    return ExitCode::failed;
  }
  const pg::PgRestoreTool pg_restore{context.settings.tools->pg_restore,
                                     context.settings.tools->child_environment};
  auto reports = nlohmann::ordered_json::array();
  int failed = 0;
  for (const catalog::CatalogSet* set : *sets) {
    auto report = verify_set(context.s3, *set, pg_restore, context.cancellation);
    if (!report) {
      log.error("verify failed", {{"id", set->id}, {"error", report.error().message}});
      return exit_code_for(report.error(), context.cancellation);
    }
    for (const std::string& note : report->notes) {
      log.warn("verify: note", {{"id", report->id}, {"note", note}});
    }
    if (!report->ok()) {
      ++failed;
      for (const std::string& problem : report->problems) {
        log.error("verify: problem", {{"id", report->id}, {"problem", problem}});
      }
    }
    if (json) {
      reports.push_back(to_json(*report));
    } else {
      print_text(*report);
    }
  }
  if (json) {
    nlohmann::ordered_json doc;
    doc["sets"] = std::move(reports);
    doc["ok"] = failed == 0;
    std::cout << doc.dump(2) << '\n';
  }
  std::cout.flush();
  if (!std::cout) {
    log.error("verify failed: cannot write to stdout");
    return ExitCode::failed;
  }
  log.info(failed == 0 ? "verify ok" : "verify found problems",
           {{"sets", std::to_string(sets->size())}, {"failed", std::to_string(failed)}});
  return failed == 0 ? ExitCode::ok : ExitCode::failed;
}

}  // namespace erp::app
