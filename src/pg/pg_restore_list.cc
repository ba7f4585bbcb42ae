#include "pg/pg_restore_list.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <set>
#include <thread>
#include <vector>

#include "process/child_process.h"

namespace erp::pg {

std::optional<TocLine> parse_toc_line(std::string_view line) {
  if (line.empty() || line.front() == ';') return std::nullopt;
  const auto separator = line.find("; ");
  if (separator == std::string_view::npos || separator == 0) return std::nullopt;
  TocLine parsed;
  const std::string_view id = line.substr(0, separator);
  const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), parsed.id);
  if (error != std::errc() || end != id.data() + id.size()) return std::nullopt;
  std::string_view rest = line.substr(separator + 2);
  for (int field = 0; field < 2; ++field) {  // tableoid, oid
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    rest = rest.substr(space + 1);
  }
  parsed.entry = rest;
  return parsed;
}

namespace {

// Calls `visit` with each entry line of `listing`, in order.
template <typename Visit>
void for_each_entry(std::string_view listing, Visit visit) {
  while (!listing.empty()) {
    const auto end = listing.find('\n');
    if (const auto parsed = parse_toc_line(listing.substr(0, end))) visit(*parsed);
    listing = end == std::string_view::npos ? std::string_view() : listing.substr(end + 1);
  }
}

}  // namespace

bool entry_names(std::string_view entry, std::string_view item) {
  if (item.empty() || !entry.starts_with(item)) return false;
  if (entry.size() == item.size()) return true;
  const char next = entry[item.size()];
  return next == ' ' || next == '(';
}

bool entry_matches(std::string_view entry, std::string_view item) {
  if (entry_names(entry, item)) return true;
  // The forms in which an object's grants and comment appear: the item "FUNCTION pgbouncer
  // user_lookup" (description, schema, name) has its privileges in "ACL pgbouncer FUNCTION
  // user_lookup(...)" and its comment in "COMMENT pgbouncer FUNCTION user_lookup(...)".
  const auto name_at = item.rfind(' ');
  if (name_at == std::string_view::npos || name_at == 0) return false;
  const auto schema_at = item.rfind(' ', name_at - 1);
  if (schema_at == std::string_view::npos) return false;
  const std::string_view description = item.substr(0, schema_at);
  const std::string_view schema = item.substr(schema_at + 1, name_at - schema_at - 1);
  const std::string_view name = item.substr(name_at + 1);
  for (const std::string_view kind : {"ACL", "COMMENT"}) {
    const std::string form = std::string(kind) + " " + std::string(schema) + " " +
                             std::string(description) + " " + std::string(name);
    if (entry_names(entry, form)) return true;
  }
  return false;
}

TocSummary parse_toc(std::string_view listing) {
  TocSummary summary;
  summary.listing = std::string(listing);
  // "TABLE public x erp" and "TABLE ATTACH public x erp": a partition is a TABLE entry whose
  // text after the description has an ATTACH entry too.
  std::vector<std::string_view> tables;  // "public x erp"
  std::set<std::string_view> attached;
  for_each_entry(listing, [&](const TocLine& line) {
    ++summary.entries;
    if (line.entry.starts_with("TABLE ATTACH ")) {
      attached.insert(line.entry.substr(13));
    } else if (line.entry.starts_with("TABLE ") && !line.entry.starts_with("TABLE DATA ")) {
      tables.push_back(line.entry.substr(6));
    }
  });
  for (const std::string_view table : tables) {
    if (attached.contains(table)) {
      ++summary.partitions;
      continue;
    }
    ++summary.tables;
    // "public llx_societe erp": the name is the second word.
    const auto space = table.find(' ');
    if (space != std::string_view::npos && table.substr(space + 1).starts_with("llx_")) {
      ++summary.llx_tables;
    }
  }
  return summary;
}

std::map<int, std::string> toc_entries_by_id(std::string_view listing) {
  std::map<int, std::string> entries;
  for_each_entry(listing, [&](const TocLine& line) { entries[line.id] = std::string(line.entry); });
  return entries;
}

Result<TocSummary> list_toc(ByteSource& archive, const PgRestoreTool& tool,
                            const Cancellation& cancellation, TocExtent extent) {
  process::SpawnOptions spawn;
  spawn.program = tool.program;
  spawn.arguments = {"--list"};
  for (const auto& [name, value] : tool.environment) spawn.environment.set(name, value);
  spawn.stdin_mode = process::Stdio::pipe;
  spawn.hint = "install postgresql-client or set PG_RESTORE";
  auto child = process::ChildProcess::spawn(spawn);
  if (!child) return std::unexpected(child.error());

  // pg_restore prints the listing after it has read the TOC, while we may still be writing:
  // read its stdout on another thread so neither side blocks on a full pipe.
  std::string listing;
  std::thread reader([&listing, fd = child->stdout_fd()] {
    char buffer[64 * 1024];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n > 0) {
        listing.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        return;
      }
    }
  });

  std::vector<char> buffer(256 * 1024);
  bool feeding = true;
  std::optional<Error> read_error;
  for (;;) {
    if (cancellation.cancelled()) {
      read_error = Error{ErrorKind::cancelled, "pg_restore --list cancelled"};
      break;
    }
    auto got = archive.read(buffer);
    if (!got) {
      read_error = got.error();
      break;
    }
    if (*got == 0) break;
    if (!feeding) continue;
    // pg_restore --list stops reading once it has the TOC: from then on the rest of the dump
    // is only hashed (whole_archive), or not read at all (toc_only).
    if (!child->write_stdin({buffer.data(), *got})) {
      feeding = false;
      if (extent == TocExtent::toc_only) break;
    }
  }
  child->close_stdin();
  if (read_error) {
    child->terminate();
    reader.join();
    return std::unexpected(*read_error);
  }
  auto status = child->wait(cancellation);
  if (!status) {
    child->terminate();
    reader.join();
    return std::unexpected(status.error());
  }
  reader.join();
  if (!status->success()) {
    Error error = process::exit_error(tool.program, *status, child->stderr_tail_text(),
                                      " reading the dump's table of contents");
    error.kind = ErrorKind::corrupt;
    return std::unexpected(error);
  }
  return parse_toc(listing);
}

}  // namespace erp::pg
