#include "pg/pg_restore.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>

namespace erp::pg {
namespace {

// The use list as an anonymous in-memory file: pg_restore -L wants a path, and /dev/fd/3
// names this file without anything touching a disk.
Result<int> memory_file(const std::string& content) {
  const int fd = memfd_create("erp-backup-use-list", MFD_CLOEXEC);
  if (fd < 0)
    return make_error(ErrorKind::permanent, "memfd_create: " + std::string(std::strerror(errno)));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      return make_error(ErrorKind::permanent,
                        "writing the use list: " + std::string(std::strerror(error)));
    }
    written += static_cast<std::size_t>(n);
  }
  return fd;
}

std::string param(const PgSettings& settings, const char* keyword) {
  const auto found = settings.params.find(keyword);
  return found == settings.params.end() ? std::string() : found->second;
}

// What both ways share: the spawn options (the connection and the environment, --verbose,
// --no-owner, the role) and the stderr reader.
struct RestoreChild {
  std::mutex mutex;
  RestoreLogReader reader;
  process::SpawnOptions spawn;

  RestoreChild(const PgRestoreOptions& options,
               std::function<void(std::string_view, RestoreLogReader::Line)> on_line) {
    spawn.program = options.program;
    spawn.display_name = "pg_restore";
    spawn.hint = "install postgresql-client or set PG_RESTORE";
    // Explicit target, never libpq defaults; --no-owner: a non-superuser owning only the target
    // database cannot give objects to the source's roles; no --exit-on-error: one harmless
    // error must not stop the rest (every error is judged afterwards); --verbose: each error is
    // preceded by the TOC entry it was raised for.
    spawn.arguments = {"--no-owner",
                       "--no-password",
                       "--verbose",
                       "-h",
                       param(options.target, "host"),
                       "-p",
                       param(options.target, "port"),
                       "-U",
                       param(options.target, "user"),
                       "-d",
                       param(options.target, "dbname")};
    if (!options.role.empty()) spawn.arguments.push_back("--role=" + options.role);
    if (options.no_privileges) spawn.arguments.push_back("--no-privileges");
    for (const auto& [name, value] : options.base_environment) spawn.environment.set(name, value);
    if (!options.application_name.empty()) {
      spawn.environment.set("PGAPPNAME", options.application_name);
    }
    spawn.stdout_mode = process::Stdio::null;
    spawn.terminate_grace = options.terminate_grace;
    const Secret& password = options.target.password;
    spawn.on_stderr_line = [this, &password, on_line = std::move(on_line)](std::string_view raw) {
      const std::string line = redact_password(std::string(raw), password);
      RestoreLogReader::Line kind;
      {
        std::lock_guard lock(mutex);
        kind = reader.feed(line);
      }
      if (kind == RestoreLogReader::Line::warning) note_reported_errors(line);
      if (on_line) on_line(line, kind);
    };
  }

  // Spawns it, `fd3` as its fd 3 and a pipe on its stdin.
  Result<process::ChildProcess> start(const PgRestoreOptions& options, int fd3) {
    if (auto added = options.target.add_to_environment(spawn.environment); !added) {
      return std::unexpected(added.error());
    }
    spawn.stdin_mode = process::Stdio::pipe;
    spawn.inherit_as_fd3 = fd3;
    return process::ChildProcess::spawn(spawn);
  }

  // Its stdin closed, waits for it (stopped on cancellation).
  Result<RestoreRun> finish(process::ChildProcess& child, const Cancellation& cancellation) {
    child.close_stdin();
    auto status = child.wait(cancellation);
    if (!status) {
      child.terminate();
      return std::unexpected(status.error());
    }
    return result(*status);
  }

  RestoreRun result(process::ExitStatus status) {
    std::lock_guard lock(mutex);
    return RestoreRun{.exit_status = status,
                      .errors = reader.errors(),
                      .errors_seen = reader.errors_seen(),
                      .warnings = reader.warnings(),
                      .errors_reported = errors_reported};
  }

  void note_reported_errors(std::string_view line) {
    constexpr std::string_view kIgnored = "pg_restore: warning: errors ignored on restore: ";
    if (!line.starts_with(kIgnored)) return;
    line.remove_prefix(kIgnored.size());
    int count = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), count);
    if (ec != std::errc() || end != line.data() + line.size()) return;
    std::lock_guard lock(mutex);
    errors_reported = count;
  }

  std::optional<int> errors_reported;
};

}  // namespace

Result<RestoreRun> run_pg_restore(
    const PgRestoreOptions& options, ByteSource& dump,
    std::function<void(std::string_view, RestoreLogReader::Line)> on_line,
    const Cancellation& cancellation) {
  if (cancellation.cancelled())
    return make_error(ErrorKind::cancelled, "pg_restore not started: cancelled");
  auto list = memory_file(options.use_list);
  if (!list) return std::unexpected(list.error());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{*list};

  RestoreChild restore(options, std::move(on_line));
  process::SpawnOptions& spawn = restore.spawn;
  spawn.arguments.insert(spawn.arguments.end(), {"-L", "/dev/fd/3"});
  auto child = restore.start(options, *list);
  if (!child) return std::unexpected(child.error());

  std::vector<char> buffer(256 * 1024);
  bool feeding = true;
  for (;;) {
    if (cancellation.cancelled()) {
      child->terminate();
      return make_error(ErrorKind::cancelled, "pg_restore cancelled");
    }
    auto got = dump.read(buffer);
    if (!got) {
      child->terminate();
      return std::unexpected(got.error());
    }
    if (*got == 0) break;
    // pg_restore that stopped reading (it failed, or has all it wants) gets no more; the rest
    // is still read so that the dump's hash covers every byte.
    if (feeding && !child->write_stdin({buffer.data(), *got})) feeding = false;
  }
  return restore.finish(*child, cancellation);
}

Result<RestoreRun> run_pg_restore_file(
    const PgRestoreOptions& options,
    std::function<void(std::string_view, RestoreLogReader::Line)> on_line,
    const Cancellation& cancellation) {
  if (cancellation.cancelled())
    return make_error(ErrorKind::cancelled, "pg_restore not started: cancelled");
  if (options.archive_fd < 0 || options.jobs < 1) {
    return make_error(ErrorKind::permanent, "pg_restore from a file: no file or no jobs (a bug)");
  }
  RestoreChild restore(options, std::move(on_line));
  process::SpawnOptions& spawn = restore.spawn;
  if (options.jobs > 1) spawn.arguments.push_back("--jobs=" + std::to_string(options.jobs));
  spawn.arguments.insert(spawn.arguments.end(), {"-L", "/dev/stdin", "/dev/fd/3"});
  auto child = restore.start(options, options.archive_fd);
  if (!child) return std::unexpected(child.error());
  // A pg_restore that fails before reading its use list closes its stdin: its exit status and
  // stderr say why, so a refused write is not an error of its own.
  (void)child->write_stdin({options.use_list.data(), options.use_list.size()});
  return restore.finish(*child, cancellation);
}

Result<std::string> pg_restore_version(const std::string& program,
                                       const std::map<std::string, std::string>& environment) {
  process::SpawnOptions options;
  options.program = program;
  options.display_name = "pg_restore";
  options.arguments = {"--version"};
  for (const auto& [name, value] : environment) options.environment.set(name, value);
  options.hint = "install postgresql-client or set PG_RESTORE";
  auto output = process::run_to_completion(options, 64 * 1024);
  if (!output) return std::unexpected(output.error());
  const std::string_view text(*output);
  const std::string_view product = "(PostgreSQL)";
  const auto at = text.find(product);
  const auto start =
      at == std::string_view::npos ? at : text.find_first_of("0123456789", at + product.size());
  if (start == std::string_view::npos) {
    return make_error(ErrorKind::config, program + " --version printed no PostgreSQL version");
  }
  const std::string_view rest = text.substr(start);
  return std::string(rest.substr(0, rest.find_first_of(" \t\r\n")));
}

}  // namespace erp::pg
