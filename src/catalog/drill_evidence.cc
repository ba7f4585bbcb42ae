#include "catalog/drill_evidence.h"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <type_traits>

namespace erp::catalog {
namespace {

using nlohmann::ordered_json;

// Deepest nesting a valid evidence object has is 3 (object > mismatches > check); a little
// headroom, and nothing like the recursion a hostile object could ask the parser for.
constexpr int kMaxDrillEvidenceDepth = 8;

std::unexpected<Error> corrupt(const std::string& what) {
  return make_error(ErrorKind::corrupt, "drill evidence is not valid: " + what);
}

ordered_json check_json(const DrillCheck& check) {
  return ordered_json{{"what", check.what},
                      {"expected", check.expected},
                      {"found", check.found},
                      {"failing", check.failing}};
}

// A member that must be there with the type T (nlohmann throws type_error otherwise).
template <typename T>
T required(const ordered_json& j, const char* name) {
  return j.at(name).get<T>();
}

// A member that may be missing (an older writer); when present it must have the type T. nlohmann
// would turn -1 into 2^64-1 for an unsigned target: a byte count must be a non-negative integer.
template <typename T>
void optional_member(const ordered_json& j, const char* name, T& target) {
  const auto it = j.find(name);
  if (it == j.end()) return;
  if constexpr (std::is_same_v<T, std::uint64_t>) {
    if (!it->is_number_unsigned())
      throw std::invalid_argument(std::string("\"") + name + "\" is not a non-negative integer");
  }
  target = it->get<T>();
}

DrillCheck check_from(const ordered_json& j) {
  if (!j.is_object()) throw std::invalid_argument("a mismatch is not an object");
  DrillCheck check;
  check.what = required<std::string>(j, "what");
  check.expected = required<std::string>(j, "expected");
  check.found = required<std::string>(j, "found");
  check.failing = required<bool>(j, "failing");
  return check;
}

}  // namespace

std::string to_json(const DrillEvidence& e) {
  ordered_json j;
  j["format_version"] = e.format_version;
  j["set_id"] = e.set_id;
  j["drilled_at"] = e.drilled_at;
  j["finished_at"] = e.finished_at;
  j["passed"] = e.passed;
  j["target"] = e.target;
  j["jobs"] = e.jobs;
  j["tool_version"] = e.tool_version;
  j["host"] = e.host;
  j["pg_restore_version"] = e.pg_restore_version;
  j["target_server_version"] = e.target_server_version;
  j["source_server_version"] = e.source_server_version;
  j["row_count_method"] = e.row_count_method;
  j["tables_compared"] = e.tables_compared;
  j["docs_compared"] = e.docs_compared;
  j["dump_bytes"] = e.dump_bytes;
  j["docs_bytes"] = e.docs_bytes;
  // A restore that lost every table of a large database would list thousands: the first
  // kMaxListedMismatches say what happened, the count says how much, and the object stays
  // far below kMaxDrillEvidenceBytes.
  ordered_json mismatches = ordered_json::array();
  const std::size_t listed = std::min(e.mismatches.size(), kMaxListedMismatches);
  for (std::size_t i = 0; i < listed; ++i) mismatches.push_back(check_json(e.mismatches[i]));
  j["mismatches"] = std::move(mismatches);
  j["mismatches_omitted"] = e.mismatches_omitted + (e.mismatches.size() - listed);
  j["problems"] = e.problems;
  j["seconds"] = ordered_json{{"download", e.download_seconds},
                              {"restore", e.restore_seconds},
                              {"docs", e.docs_seconds},
                              {"check", e.check_seconds},
                              {"total", e.total_seconds}};
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

Result<DrillEvidence> parse_drill_evidence(std::string_view text) {
  if (text.size() > kMaxDrillEvidenceBytes) {
    return corrupt(std::to_string(text.size()) + " bytes, more than the " +
                   std::to_string(kMaxDrillEvidenceBytes) + " drill evidence may have");
  }
  try {
    // The callback sees each value's depth as the parser reaches it: refusing there bounds the
    // parser's recursion before it happens.
    const ordered_json j =
        ordered_json::parse(text, [](int depth, ordered_json::parse_event_t, ordered_json&) {
          if (depth > kMaxDrillEvidenceDepth) {
            throw std::invalid_argument("nested deeper than " +
                                        std::to_string(kMaxDrillEvidenceDepth) + " levels");
          }
          return true;
        });
    if (!j.is_object()) return corrupt("not a JSON object");
    DrillEvidence e;
    e.format_version = required<int>(j, "format_version");
    if (e.format_version != kDrillEvidenceFormatVersion) {
      return corrupt("format_version " + std::to_string(e.format_version) +
                     " is not supported (hint: a newer erp-backup wrote it)");
    }
    e.set_id = required<std::string>(j, "set_id");
    e.drilled_at = required<std::string>(j, "drilled_at");
    e.passed = required<bool>(j, "passed");
    optional_member(j, "finished_at", e.finished_at);
    optional_member(j, "target", e.target);
    optional_member(j, "jobs", e.jobs);
    optional_member(j, "tool_version", e.tool_version);
    optional_member(j, "host", e.host);
    optional_member(j, "pg_restore_version", e.pg_restore_version);
    optional_member(j, "target_server_version", e.target_server_version);
    optional_member(j, "source_server_version", e.source_server_version);
    optional_member(j, "row_count_method", e.row_count_method);
    optional_member(j, "tables_compared", e.tables_compared);
    optional_member(j, "docs_compared", e.docs_compared);
    optional_member(j, "dump_bytes", e.dump_bytes);
    optional_member(j, "docs_bytes", e.docs_bytes);
    optional_member(j, "mismatches_omitted", e.mismatches_omitted);
    if (const auto it = j.find("mismatches"); it != j.end()) {
      if (!it->is_array()) throw std::invalid_argument("\"mismatches\" is not an array");
      for (const auto& check : *it) e.mismatches.push_back(check_from(check));
    }
    optional_member(j, "problems", e.problems);
    const auto& seconds = j.at("seconds");
    if (!seconds.is_object()) throw std::invalid_argument("\"seconds\" is not an object");
    e.total_seconds = required<double>(seconds, "total");
    optional_member(seconds, "download", e.download_seconds);
    optional_member(seconds, "restore", e.restore_seconds);
    optional_member(seconds, "docs", e.docs_seconds);
    optional_member(seconds, "check", e.check_seconds);
    if (e.total_seconds < 0) throw std::invalid_argument("seconds.total is negative");
    return e;
  } catch (const nlohmann::json::exception& error) {
    return corrupt(error.what());
  } catch (const std::invalid_argument& error) {
    return corrupt(error.what());
  }
}

}  // namespace erp::catalog
