#include "app/restore/row_count_check.h"

#include <algorithm>
#include <map>
#include <set>

#include "pg/pg_restore_list.h"

namespace erp::app {
namespace {

using TableKey = std::pair<std::string, std::string>;

// One part of a name as quote_ident() prints it, from the front of `text` (consumed): a plain
// identifier up to the next '.', or a quoted one with "" for a quote. nullopt when malformed.
std::optional<std::string> take_part(std::string_view& text) {
  if (text.empty()) return std::nullopt;
  std::string part;
  if (text.front() != '"') {
    const std::size_t end = text.find('.');
    part = std::string(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
    if (part.empty()) return std::nullopt;
    return part;
  }
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] != '"') {
      part += text[i];
    } else if (i + 1 < text.size() && text[i + 1] == '"') {
      part += '"';
      ++i;
    } else {
      text.remove_prefix(i + 1);
      return part;
    }
  }
  return std::nullopt;  // no closing quote
}

bool plain_identifier(std::string_view part) {
  if (part.empty() || !((part[0] >= 'a' && part[0] <= 'z') || part[0] == '_')) return false;
  return std::ranges::all_of(part, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
  });
}

std::string quoted(std::string_view part) {
  if (plain_identifier(part)) return std::string(part);
  std::string out = "\"";
  for (char c : part) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The comparable key of a name; a name that does not split is its own key.
TableKey key_of(std::string_view name) {
  if (auto split = split_table_name(name)) return *split;
  return {std::string(name), ""};
}

// The failing/reported verdict on one count (row_count_check.h's rules).
std::optional<RowCountMismatch> judge(std::string table, std::optional<std::int64_t> expected,
                                      std::optional<std::int64_t> restored, bool strict) {
  RowCountMismatch mismatch{
      .table = std::move(table), .expected = expected, .restored = restored.value_or(-1)};
  if (strict && expected) {
    if (restored == expected) return std::nullopt;
    mismatch.failing = true;
    return mismatch;
  }
  if (!expected || (restored && *restored == *expected)) return std::nullopt;
  // Only emptiness is judged here, and a count the target does not know (an estimate after an
  // ANALYZE that left it unset) cannot show that the rows came back: failing, like an empty one.
  mismatch.failing = *expected > 0 && (!restored || *restored == 0);
  return mismatch;
}

}  // namespace

bool RowCountComparison::ok() const {
  return std::ranges::none_of(mismatches, &RowCountMismatch::failing);
}

std::optional<std::pair<std::string, std::string>> split_table_name(std::string_view name) {
  auto schema = take_part(name);
  if (!schema || name.empty() || name.front() != '.') return std::nullopt;
  name.remove_prefix(1);
  auto table = take_part(name);
  if (!table || !name.empty()) return std::nullopt;
  return std::pair{std::move(*schema), std::move(*table)};
}

std::vector<std::string> excluded_tables(const std::vector<std::string>& excluded_lines) {
  std::vector<std::string> names;
  for (const std::string& line : excluded_lines) {
    const auto toc = pg::parse_toc_line(line);
    if (!toc) continue;
    std::string_view entry = toc->entry;
    if (entry.starts_with("TABLE DATA ")) {
      entry.remove_prefix(11);
    } else if (entry.starts_with("TABLE ") && !entry.starts_with("TABLE ATTACH ")) {
      entry.remove_prefix(6);
    } else {
      continue;
    }
    // "SCHEMA NAME OWNER": the listing does not quote, so the name is what lies between the
    // first space and the last (an owner has no space in any real listing).
    const std::size_t first = entry.find(' ');
    const std::size_t last = entry.rfind(' ');
    if (first == std::string_view::npos || last <= first) continue;
    names.push_back(quoted(entry.substr(0, first)) + "." +
                    quoted(entry.substr(first + 1, last - first - 1)));
  }
  return names;
}

RowCountComparison compare_row_counts(const catalog::RowCountsRecord& expected,
                                      const pg::RowCounts& restored,
                                      const std::vector<std::string>& excluded_tables) {
  // Exact counts taken in the dump's own snapshot are what the restore must hold, row for row;
  // anything else is only a floor: a table that had rows must have some.
  const bool strict = expected.method == "exact" && expected.snapshot == "dump";
  std::set<TableKey> excluded;
  for (const std::string& name : excluded_tables) excluded.insert(key_of(name));
  std::map<TableKey, std::optional<std::int64_t>> found;
  for (const pg::TableRows& table : restored.tables) found[key_of(table.table)] = table.rows;

  RowCountComparison comparison;
  for (const catalog::TableRowsRecord& table : expected.tables) {
    const TableKey key = key_of(table.table);
    if (excluded.contains(key)) continue;
    ++comparison.tables_compared;
    const auto there = found.find(key);
    if (there == found.end()) {
      comparison.mismatches.push_back({.table = table.table,
                                       .expected = table.rows,
                                       .restored = -1,
                                       .failing = true,
                                       .missing = true});
      continue;
    }
    if (auto mismatch = judge(table.table, table.rows, there->second, strict)) {
      comparison.mismatches.push_back(std::move(*mismatch));
    }
  }
  if (auto mismatch =
          judge("(large objects)", expected.large_objects, restored.large_objects, strict)) {
    comparison.mismatches.push_back(std::move(*mismatch));
  }
  std::ranges::sort(comparison.mismatches, {}, &RowCountMismatch::table);
  return comparison;
}

std::string describe(const RowCountMismatch& mismatch) {
  const std::string expected = mismatch.expected ? std::to_string(*mismatch.expected) : "unknown";
  if (mismatch.missing) {
    return mismatch.table + ": expected " + expected +
           " rows, the table is missing from the target";
  }
  const std::string restored =
      mismatch.restored < 0 ? "unknown" : std::to_string(mismatch.restored);
  return mismatch.table + ": expected " + expected + " rows, restored " + restored;
}

}  // namespace erp::app
