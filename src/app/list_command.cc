#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/object_commands.h"
#include "app/prune.h"
#include "app/retention_commands.h"

namespace erp::app {
namespace {

std::string iso_time(std::chrono::sys_seconds time) {
  const std::time_t seconds = time.time_since_epoch().count();
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

int run_list(Context& context, const std::vector<std::string>& args) {
  Logger& log = context.log;
  bool json = false;
  for (const std::string& arg : args) {
    if (arg == "--json") {
      json = true;
    } else {
      log.error("unknown argument '" + arg + "' (hint: erp-backup list [--json])");
      return 2;
    }
  }
  const auto& policy = context.settings.retention;
  const catalog::KeyLayout layout(context.settings.layout->prefix, context.settings.layout->env);
  auto summary = plan_prune(context.s3, layout, *policy, utc_today(context.clock),
                            retention::OwnBackup::succeeded);
  if (!summary) {
    log.error("list failed", {{"prefix", layout.env_prefix()}, {"error", summary.error().message}});
    return exit_code_for(summary.error(), context.cancellation);
  }
  const auto& sets = summary->catalog.sets;
  const auto& decisions = summary->plan.decisions;
  auto tier = [&](std::size_t i) {
    return decisions[i].keep() ? retention::to_string(decisions[i].reason) : std::string("expires");
  };
  if (json) {
    nlohmann::ordered_json doc;
    auto rows = nlohmann::ordered_json::array();
    for (std::size_t i = sets.size(); i-- > 0;) {
      const catalog::CatalogSet& set = sets[i];
      nlohmann::ordered_json row;
      row["id"] = set.id;
      row["time"] = iso_time(set.start_time);
      row["status"] = set.complete ? "complete" : "incomplete";
      if (!set.complete) row["problem"] = set.problem;
      row["db_bytes"] = set.bytes(catalog::ObjectKind::db_dump);
      row["docs_bytes"] = set.bytes(catalog::ObjectKind::docs_archive);
      row["total_bytes"] = set.total_bytes();
      row["tier"] = tier(i);
      rows.push_back(std::move(row));
    }
    doc["sets"] = std::move(rows);
    auto foreign = nlohmann::ordered_json::array();
    for (const auto& object : summary->catalog.foreign) foreign.push_back(object.key);
    doc["foreign"] = std::move(foreign);
    std::cout << doc.dump(2) << '\n';
  } else {
    std::cout << "ID\tTIME\tSTATUS\tDB_BYTES\tDOCS_BYTES\tTOTAL_BYTES\tTIER\n";
    for (std::size_t i = sets.size(); i-- > 0;) {
      const catalog::CatalogSet& set = sets[i];
      std::cout << set.id << '\t' << iso_time(set.start_time) << '\t'
                << (set.complete ? "complete" : "incomplete") << '\t'
                << set.bytes(catalog::ObjectKind::db_dump) << '\t'
                << set.bytes(catalog::ObjectKind::docs_archive) << '\t' << set.total_bytes() << '\t'
                << tier(i) << '\n';
    }
    for (const auto& object : summary->catalog.foreign) {
      std::cout << object.key << "\tforeign (never deleted)\n";
    }
  }
  std::cout.flush();
  if (!std::cout) {
    log.error("list failed: cannot write to stdout");
    return 1;
  }
  return 0;
}

}  // namespace erp::app
