#include "pg/pg_dump.h"

#include <algorithm>
#include <charconv>
#include <span>
#include <utility>

#include "core/fd_stream.h"
#include "pg/connection_hints.h"
#include "pg/read_only_belt.h"

namespace erp::pg {

namespace {

constexpr std::string_view kNotFoundHint = "install postgresql-client or set PG_DUMP";
// The first bytes of every custom-format archive (pg_backup_archiver.c writes "PGDMP").
constexpr std::string_view kCustomFormatMagic = "PGDMP";

process::ChildEnvironment base_environment(const std::map<std::string, std::string>& entries) {
  process::ChildEnvironment environment;
  for (const auto& [name, value] : entries) {
    if (!name.starts_with("PG")) environment.set(name, value);
  }
  return environment;
}

std::string printable(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string streamed(std::uint64_t bytes) {
  return " after streaming " + std::to_string(bytes) + " bytes";
}

// pg_dump connects on its own, after the pre-flight: its connection can still fail, e.g. when
// the password rotated or expired in between, or a TLS setting only pg_dump reads is wrong.
// Returns " (hint: ...)" for the problems connection_hints.h knows, else "".
std::string connection_failure_hint(std::string_view message, const PgSettings& settings) {
  if (auto hint = tls_hint(message, "")) return " (hint: " + *hint + ")";
  if (password_rejected(message)) {
    return " (the server rejected the password of role \"" + settings.user() +
           "\": wrong, rotated or expired since the run started; hint: " +
           password_rejected_hint("") + ", read at the start of each run)";
  }
  return "";
}

std::string writing_context(std::uint64_t bytes) {
  return "writing pg_dump output after " + std::to_string(bytes) + " bytes";
}

}  // namespace

Result<std::string> pg_dump_version(const std::string& pg_dump_path,
                                    const std::map<std::string, std::string>& environment) {
  process::SpawnOptions options;
  options.program = pg_dump_path;
  options.arguments = {"--version"};
  options.environment = base_environment(environment);
  options.hint = std::string(kNotFoundHint);
  auto output = process::run_to_completion(options, 64 * 1024);
  if (!output) return std::unexpected(output.error());
  // "pg_dump (PostgreSQL) 15.4 (Debian 15.4-1.pgdg120+1)": the first token starting with a
  // digit after the product name is the version.
  const std::string_view text(*output);
  const auto product = text.find("(PostgreSQL)");
  if (!text.starts_with("pg_dump") || product == std::string_view::npos) {
    const std::string first_line(text.substr(0, std::min(text.find('\n'), std::size_t{200})));
    return make_error(ErrorKind::config,
                      pg_dump_path + " --version printed \"" + printable(first_line) +
                          "\", not a pg_dump version (hint: " + std::string(kNotFoundHint) + ")");
  }
  std::string_view rest = text.substr(product + std::string_view("(PostgreSQL)").size());
  const auto start = rest.find_first_of("0123456789");
  if (start == std::string_view::npos) {
    return make_error(ErrorKind::config, pg_dump_path + " --version printed no version number");
  }
  rest.remove_prefix(start);
  return std::string(rest.substr(0, rest.find_first_of(" \t\r\n")));
}

Result<int> pg_major_version(std::string_view version) {
  int major = 0;
  const auto [end, error] = std::from_chars(version.data(), version.data() + version.size(), major);
  if (error != std::errc() || end == version.data() || major <= 0) {
    return make_error(ErrorKind::config,
                      "not a PostgreSQL version: \"" + printable(version.substr(0, 100)) + "\"");
  }
  return major;
}

std::string format_server_version(int server_version_num) {
  // From PostgreSQL 10 on, MMmmmm (major, minor); before, MMmmpp (major.minor, patch).
  if (server_version_num >= 100000) {
    return std::to_string(server_version_num / 10000) + "." +
           std::to_string(server_version_num % 10000);
  }
  return std::to_string(server_version_num / 10000) + "." +
         std::to_string(server_version_num / 100 % 100) + "." +
         std::to_string(server_version_num % 100);
}

Result<void> check_dump_compatible(int pg_dump_major, int server_version_num) {
  const int server_major = server_version_num / 10000;
  if (pg_dump_major >= server_major) return {};
  return make_error(
      ErrorKind::config,
      "pg_dump " + std::to_string(pg_dump_major) + " is older than the PostgreSQL server " +
          format_server_version(server_version_num) +
          " and cannot dump it (hint: install postgresql-client-" + std::to_string(server_major) +
          " or newer, or set PG_DUMP to a pg_dump of major version " +
          std::to_string(server_major) + " or later)");
}

Result<DumpStats> run_pg_dump(const PgDumpOptions& options, ByteSink& out,
                              std::function<void(std::string_view line)> on_stderr_line,
                              const Cancellation& cancellation) {
  if (cancellation.cancelled())
    return make_error(ErrorKind::cancelled, "pg_dump not started: cancelled");
  DumpStats stats;
  auto version = pg_dump_version(options.program, options.base_environment);
  if (!version) return std::unexpected(version.error());
  stats.pg_dump_version = *version;

  process::SpawnOptions spawn;
  spawn.program = options.program;
  spawn.display_name = "pg_dump";
  spawn.hint = std::string(kNotFoundHint);
  spawn.arguments = {"--format=custom", "--no-password"};
  spawn.arguments.insert(spawn.arguments.end(), options.extra_arguments.begin(),
                         options.extra_arguments.end());
  spawn.environment = base_environment(options.base_environment);
  if (auto added = options.settings.add_to_environment(spawn.environment); !added) {
    return std::unexpected(added.error());
  }
  // Belt and braces next to pg_dump's own READ ONLY snapshot: every transaction of the
  // session defaults to read-only, whatever pg_dump or a server-side hook might run. Without
  // the belt, add_to_environment() has set PGOPTIONS to the settings' own options, if any.
  if (options.read_only_default) {
    const auto existing = options.settings.params.find("options");
    spawn.environment.set(
        "PGOPTIONS",
        with_read_only_default(existing == options.settings.params.end() ? "" : existing->second));
  }
  spawn.stdin_mode = process::Stdio::null;
  spawn.stdout_mode = process::Stdio::pipe;
  spawn.terminate_grace = options.terminate_grace;
  const Secret& password = options.settings.password;  // outlives the child (same call)
  if (on_stderr_line) {
    spawn.on_stderr_line = [&password,
                            callback = std::move(on_stderr_line)](std::string_view line) {
      callback(redact_password(std::string(line), password));
    };
  }

  auto child = process::ChildProcess::spawn(spawn);
  if (!child) return std::unexpected(child.error());
  auto failure = [&](Error error) -> Result<DumpStats> {
    child->terminate();
    error.message = redact_password(std::move(error.message), password);
    return std::unexpected(std::move(error));
  };

  FdSource source(child->stdout_fd(), cancellation);
  // Any read size works: the signature is gathered across reads until it is complete.
  std::vector<char> buffer(std::max<std::size_t>(options.read_size, 1));
  std::string head;  // the first bytes, held back until they prove to be a custom-format archive
  bool verified = false;
  for (;;) {
    auto got = source.read(buffer);
    if (!got) {
      if (got.error().kind == ErrorKind::cancelled) {
        return failure(Error{ErrorKind::cancelled, "pg_dump cancelled" + streamed(stats.bytes)});
      }
      return failure(got.error().with_context("reading pg_dump output after " +
                                              std::to_string(stats.bytes) + " bytes"));
    }
    if (*got == 0) break;
    std::span<const char> data(buffer.data(), *got);
    if (!verified) {
      const std::size_t take = std::min(kCustomFormatMagic.size() - head.size(), data.size());
      head.append(data.data(), take);
      data = data.subspan(take);
      if (head.size() < kCustomFormatMagic.size()) continue;
      if (head != kCustomFormatMagic) {
        return failure(Error{ErrorKind::corrupt,
                             "pg_dump output does not start with the custom-format signature "
                             "PGDMP (it starts with \"" +
                                 printable(head) +
                                 "\") (hint: extra pg_dump arguments must not change --format "
                                 "or add --file)"});
      }
      verified = true;
      if (auto written = out.write(head); !written) {
        return failure(written.error().with_context(writing_context(0)));
      }
      stats.bytes += head.size();
    }
    if (data.empty()) continue;
    if (auto written = out.write(data); !written) {
      return failure(written.error().with_context(writing_context(stats.bytes)));
    }
    stats.bytes += data.size();
  }

  auto status = child->wait(cancellation);
  if (!status) {
    return failure(Error{ErrorKind::cancelled, "pg_dump cancelled" + streamed(stats.bytes)});
  }
  stats.exit_status = *status;
  if (!status->success()) {
    Error error =
        process::exit_error("pg_dump", *status, child->stderr_tail_text(), streamed(stats.bytes));
    error.message = redact_password(std::move(error.message), password);
    error.message += connection_failure_hint(error.message, options.settings);
    return std::unexpected(std::move(error));
  }
  if (!verified) {
    return make_error(ErrorKind::corrupt, "pg_dump exited successfully but wrote only " +
                                              std::to_string(head.size()) +
                                              " bytes, not a custom-format archive");
  }
  return stats;
}

}  // namespace erp::pg
