#include "pg/pg_restore_errors.h"

#include <charconv>

#include "pg/pg_restore_list.h"

namespace erp::pg {
namespace {

constexpr std::string_view kPrefix = "pg_restore: ";
constexpr std::string_view kError = "pg_restore: error: ";
constexpr std::string_view kWarning = "pg_restore: warning: ";
constexpr std::string_view kFromEntry = "pg_restore: from TOC entry ";

// The ID of "215; 1259 16385 TABLE llx_societe erp", 0 when there is none.
int entry_id(std::string_view entry) {
  int id = 0;
  const auto [end, error] = std::from_chars(entry.data(), entry.data() + entry.size(), id);
  if (error != std::errc() || end == entry.data() || *end != ';') return 0;
  return id;
}

// The server's error ends the line ("could not execute query: ERROR:  ..."); its DETAIL and
// the command follow on the next ones.
bool is_server_error(std::string_view message, const HarmlessRestoreError& harmless) {
  const auto at = message.find("ERROR:  ");
  if (at == std::string_view::npos) return false;
  const std::string_view server = message.substr(at);
  return harmless.error_prefix ? server.starts_with(harmless.error) : server == harmless.error;
}

}  // namespace

RestoreLogReader::Line RestoreLogReader::feed(std::string_view line) {
  if (line.starts_with(kError)) {
    ++errors_seen_;
    if (errors_.size() < kKeptErrors) {
      errors_.push_back(
          RestoreError{current_id_, current_entry_, std::string(line.substr(kError.size()))});
    }
    return Line::error;
  }
  if (line.starts_with(kWarning)) {
    ++warnings_;
    return Line::warning;
  }
  if (line.starts_with(kFromEntry)) {
    // pg_restore names an entry once, before its first error; later errors of the same entry
    // follow without it.
    current_entry_ = std::string(line.substr(kFromEntry.size()));
    current_id_ = entry_id(current_entry_);
    if (current_id_ == 0) current_entry_.clear();
    return Line::context;
  }
  if (line == "pg_restore: while PROCESSING TOC:") return Line::context;
  if (line.starts_with(kPrefix)) {
    // Server messages relayed with their level ("pg_restore: WARNING:  no privileges ...") are
    // not progress: they belong to the entry being restored.
    const std::string_view rest = line.substr(kPrefix.size());
    const bool about_an_error = rest.starts_with("detail: ") || rest.starts_with("hint: ");
    if (!about_an_error && !rest.empty() && rest.front() >= 'a' && rest.front() <= 'z') {
      // "creating TABLE ...", "processing data for table ...", "connecting to ...": a new
      // step; an error after it belongs to the entry pg_restore names next, or to none.
      current_id_ = 0;
      current_entry_.clear();
      return Line::progress;
    }
  }
  return Line::other;
}

JudgedRestoreError judge_restore_error(const RestoreError& error,
                                       const std::map<int, std::string>& toc,
                                       const std::vector<std::string>& exclude) {
  JudgedRestoreError judged{.message = error.message};
  if (error.toc_id == 0) {
    judged.entry = "no TOC entry";
    return judged;
  }
  const auto listed = toc.find(error.toc_id);
  if (listed == toc.end()) {
    judged.entry = error.toc_entry;  // cannot be matched against the listing's names
    return judged;
  }
  judged.entry = std::to_string(error.toc_id) + "; " + listed->second;
  for (const std::string& item : exclude) {
    if (entry_matches(listed->second, item)) {
      judged.verdict = RestoreErrorVerdict::excluded;
      judged.why = "RESTORE_EXCLUDE";
      return judged;
    }
  }
  for (const HarmlessRestoreError& harmless : kHarmlessRestoreErrors) {
    if (entry_names(listed->second, harmless.entry) && is_server_error(error.message, harmless)) {
      judged.verdict = RestoreErrorVerdict::harmless;
      judged.why = harmless.why;
      return judged;
    }
  }
  return judged;
}

}  // namespace erp::pg
