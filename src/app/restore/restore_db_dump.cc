#include "app/restore/restore_db_dump.h"

#include "app/restore/dump_source.h"
#include "app/sets/record_check.h"
#include "codec/sha256_source.h"

namespace erp::app {

UseList build_use_list(std::string_view listing, const std::vector<std::string>& exclude) {
  UseList list;
  std::vector<bool> used(exclude.size(), false);
  while (!listing.empty()) {
    const auto end = listing.find('\n');
    const std::string_view line = listing.substr(0, end);
    listing = end == std::string_view::npos ? std::string_view() : listing.substr(end + 1);
    bool excluded = false;
    if (const auto entry = pg::parse_toc_line(line)) {
      for (std::size_t i = 0; i < exclude.size(); ++i) {
        if (!pg::entry_matches(entry->entry, exclude[i])) continue;
        excluded = true;
        // Only the object itself counts as a use of the item: its grants alone would mean the
        // item names nothing the dump holds.
        if (pg::entry_names(entry->entry, exclude[i])) used[i] = true;
      }
    }
    if (excluded) {
      list.excluded.emplace_back(line);
      list.text += ';';
    }
    list.text += line;
    list.text += '\n';
  }
  for (std::size_t i = 0; i < exclude.size(); ++i) {
    if (!used[i]) list.unmatched.push_back(exclude[i]);
  }
  return list;
}

std::optional<std::string> toc_table_problem(const pg::TocSummary& toc,
                                             const catalog::DatabaseRecord& database,
                                             std::string_view key) {
  if (toc.tables == database.tables) return std::nullopt;
  std::string problem =
      std::string(key) + ": the table of contents lists " + std::to_string(toc.tables) + " tables";
  if (toc.partitions > 0) problem += " (and " + std::to_string(toc.partitions) + " partitions)";
  return problem + ", the manifest says " + std::to_string(database.tables);
}

Result<CheckedDump> check_dump(s3::ObjectStore& store, const catalog::Manifest& manifest,
                               const pg::PgRestoreTool& tool, const Cancellation& cancellation,
                               bool whole) {
  const catalog::StreamRecord& dump = *manifest.db;
  auto source = DumpSource::open(store, dump);
  if (!source) return std::unexpected(source.error());
  auto toc = pg::list_toc((*source)->archive(), tool, cancellation,
                          whole ? pg::TocExtent::whole_archive : pg::TocExtent::toc_only);
  if (!toc) return std::unexpected(toc.error().with_context(dump.key));
  const codec::Sha256Source& hashed = (*source)->stored();
  if (whole) {
    if (auto mismatch = record_mismatch(dump, hashed.bytes(), hashed.hex())) {
      return make_error(ErrorKind::corrupt, *mismatch);
    }
  }
  if (manifest.database) {
    if (auto problem = toc_table_problem(*toc, *manifest.database, dump.key)) {
      return make_error(ErrorKind::corrupt, *problem);
    }
  }
  return CheckedDump{.toc = std::move(*toc), .whole = whole};
}

}  // namespace erp::app
