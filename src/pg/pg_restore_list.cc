#include "pg/pg_restore_list.h"

#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <thread>
#include <vector>

#include "process/child_process.h"

namespace erp::pg {

TocSummary parse_toc(std::string_view listing) {
  TocSummary summary;
  summary.listing = std::string(listing);
  std::istringstream lines{std::string(listing)};
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == ';') continue;
    const auto separator = line.find("; ");
    if (separator == std::string::npos) continue;
    ++summary.entries;
    std::istringstream words(line.substr(separator + 2));
    std::string tableoid, oid, first, second, third;
    words >> tableoid >> oid >> first >> second >> third;
    // "TABLE public llx_societe owner": first = TABLE, second = schema, third = name.
    if (first != "TABLE" || second == "DATA" || second == "ATTACH") continue;
    ++summary.tables;
    if (third.starts_with("llx_")) ++summary.llx_tables;
  }
  return summary;
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
