#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/commands/common_flags.h"
#include "app/commands/retention_commands.h"
#include "app/commands/set_prologue.h"
#include "app/sets/dates.h"
#include "app/sets/drill_status.h"
#include "app/sets/prune.h"
#include "core/time_format.h"

namespace erp::app {
ExitCode run_list(Context& context, const Arguments& args) {
  Logger& log = context.log;
  const bool json = args.has("--json");
  const auto as_of = or_usage(context, as_of_flag(args));
  if (!as_of) return as_of.error();
  const auto& policy = context.settings.retention;
  const catalog::KeyLayout layout = env_layout(context);
  const auto today = as_of->value_or(utc_today(context.clock));
  auto summary = plan_prune(context.s3, layout, *policy, today, retention::OwnBackup::succeeded);
  if (!summary) {
    log.error("list failed", {{"prefix", layout.env_prefix()}, {"error", summary.error().message}});
    return exit_code_for(summary.error(), context.cancellation);
  }
  const auto uploads =
      survey_uploads(context.s3, layout,
                     {.max_age = *context.settings.stale_upload_age, .now = context.clock.now()});
  log_stale_uploads(log, uploads);
  const auto& sets = summary->catalog.sets;
  const auto& decisions = summary->plan.decisions;
  auto tier = [&](std::size_t i) {
    return decisions[i].keep() ? retention::to_string(decisions[i].reason) : std::string("expires");
  };
  // What keeps the set for one stream: its tier, "expired" when that stream's rules do
  // not keep it (another stream may), "-" when the set does not hold the stream.
  auto stream_tier = [&](std::size_t i, catalog::Stream stream) {
    const auto& reason = decisions[i].of(stream);
    return reason ? retention::to_string(*reason) : std::string("-");
  };
  // What becomes of a kept set's leftovers (a failed stream's upload): kept while young,
  // "expires" once older than the daily band; "-" when it has none or goes as a whole.
  auto leftovers_tier = [&](std::size_t i) {
    const auto& reason = decisions[i].leftovers;
    if (!reason) return std::string("-");
    return retention::keeps(reason->kind) ? retention::to_string(*reason) : std::string("expires");
  };
  if (json) {
    // The newest passing drill's time per GiB predicts each set's recovery time (drill_status.h);
    // a drill look that fails costs the prediction (null), not the listing.
    DrillStatus drills;
    if (auto looked = drill_status(context.s3, layout); looked) {
      drills = std::move(*looked);
    } else {
      log.warn("list: the drill evidence cannot be read",
               {{"prefix", layout.drill_prefix()}, {"error", looked.error().message}});
    }
    for (const std::string& unreadable : drills.unreadable)
      log.warn("list: drill evidence is unreadable, passed over", {{"evidence", unreadable}});
    nlohmann::ordered_json doc;
    doc["as_of"] = date_text(today);
    auto rows = nlohmann::ordered_json::array();
    for (std::size_t i = sets.size(); i-- > 0;) {
      const catalog::CatalogSet& set = sets[i];
      nlohmann::ordered_json row;
      row["id"] = set.id;
      row["time"] = format_iso8601_utc(set.start_time);
      row["status"] = catalog::to_string(set.state);
      if (!set.complete) row["problem"] = set.problem;
      // The streams the set holds: restorable, and each kept by its own tier (a partial set
      // holds its committed one).
      auto streams = nlohmann::ordered_json::array();
      for (catalog::Stream stream : catalog::kStreams)
        if (set.held().has(stream)) streams.push_back(catalog::to_string(stream));
      row["streams"] = std::move(streams);
      row["db_bytes"] = set.bytes(catalog::ObjectKind::db_dump);
      row["docs_bytes"] = set.bytes(catalog::ObjectKind::docs_archive);
      row["total_bytes"] = set.total_bytes();
      const auto predicted =
          predicted_rto_seconds(drills, set.bytes(catalog::ObjectKind::db_dump) +
                                            set.bytes(catalog::ObjectKind::docs_archive));
      row["predicted_rto_seconds"] =
          predicted ? nlohmann::ordered_json(*predicted) : nlohmann::ordered_json(nullptr);
      row["tier"] = tier(i);
      auto tiers = nlohmann::ordered_json::object();  // per stream the plan decided for
      for (catalog::Stream stream : catalog::kStreams)
        if (decisions[i].of(stream))
          tiers[std::string(catalog::to_string(stream))] = stream_tier(i, stream);
      row["tiers"] = std::move(tiers);
      if (decisions[i].leftovers) {
        auto leftovers = nlohmann::ordered_json::array();
        for (const catalog::CatalogObject* object : set.leftovers())
          leftovers.push_back(object->key);
        row["leftovers"] = {{"tier", leftovers_tier(i)}, {"objects", std::move(leftovers)}};
      }
      rows.push_back(std::move(row));
    }
    doc["sets"] = std::move(rows);
    auto foreign = nlohmann::ordered_json::array();
    for (const auto& object : summary->catalog.foreign) foreign.push_back(object.key);
    doc["foreign"] = std::move(foreign);
    doc["uploads"] = uploads_json(uploads);
    std::cout << doc.dump(2) << '\n';
  } else {
    std::cout << "ID\tTIME\tSTATUS\tSTREAMS\tDB_BYTES\tDOCS_BYTES\tTOTAL_BYTES\tTIER\tDB_TIER\t"
                 "DOCS_TIER\tLEFTOVERS\n";
    for (std::size_t i = sets.size(); i-- > 0;) {
      const catalog::CatalogSet& set = sets[i];
      std::cout << set.id << '\t' << format_iso8601_utc(set.start_time) << '\t'
                << catalog::to_string(set.state) << '\t' << catalog::to_string(set.held()) << '\t'
                << set.bytes(catalog::ObjectKind::db_dump) << '\t'
                << set.bytes(catalog::ObjectKind::docs_archive) << '\t' << set.total_bytes() << '\t'
                << tier(i) << '\t' << stream_tier(i, catalog::Stream::db) << '\t'
                << stream_tier(i, catalog::Stream::docs) << '\t' << leftovers_tier(i) << '\n';
    }
    for (const auto& object : summary->catalog.foreign) {
      std::cout << object.key << "\tforeign (never deleted)\n";
    }
    print_uploads_text(std::cout, uploads);
  }
  std::cout.flush();
  log_unreadable_sets(log, *summary);
  if (!std::cout) {
    log.error("list failed: cannot write to stdout");
    return ExitCode::failed;
  }
  return uploads.listing_error ? ExitCode::failed : ExitCode::ok;
}

}  // namespace erp::app
