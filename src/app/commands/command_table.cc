#include "app/commands/command_table.h"

#include <algorithm>

#include "app/commands/backup_command.h"
#include "app/commands/doctor_command.h"
#include "app/commands/drill_command.h"
#include "app/commands/object_commands.h"
#include "app/commands/refresh_sandbox_command.h"
#include "app/commands/restore_db_command.h"
#include "app/commands/restore_docs_command.h"
#include "app/commands/retention_commands.h"
#include "app/commands/status_command.h"
#include "app/commands/verify_command.h"

namespace erp::app {
namespace {

using Count = PositionalSpec::Count;
using config::Needs;

// `.writes`: the command changes the bucket or a database, so an unknown variable stops it.
constexpr Needs kObjects{.s3 = true};
constexpr Needs kObjectWrites{.s3 = true, .writes = true};

constexpr std::string_view kCommonExits =
    "exit codes: 0 ok, 1 failed, 2 usage/configuration, 130/143 stopped by signal";

// Where the summary starts in the global usage, and where a long synopsis wraps.
constexpr std::size_t kSummaryColumn = 32;
constexpr std::size_t kLineWidth = 96;

std::vector<Command> make_table() {
  const FlagSpec json{"--json", "", "one JSON document instead of the text"};
  const FlagSpec as_of{"--as-of", "YYYY-MM-DD", "plan as if today were this date (UTC)"};
  const FlagSpec only{"--only", "db|docs", "only this stream"};
  const PositionalSpec which{"ID|latest", "the set: its ID, or latest (default)", Count::optional};
  return {
      {.name = "backup",
       .group = "backup",
       .summary = "stream pg_dump and the documents tree into a new backup set,\n"
                  "manifest last (BACKUP_ENV, S3_PREFIX, PG*, DOCUMENTS_DIR),\n"
                  "then prunes (PRUNE_AFTER_BACKUP, default true)",
       .flags = {{"--only", "db|docs", "back up only the database or only the documents"}},
       .needs = {.s3 = true,
                 .layout = true,
                 .backup = true,
                 .retention = true,
                 .object_lock = true,
                 .writes = true},
       .run = run_backup,
       .details = "With OBJECT_LOCK_MODE on: a bucket without Object Lock is refused (exit 2); "
                  "every object of the set is\nwritten locked until set time + "
                  "RETENTION_DAILY_DAYS + OBJECT_LOCK_MARGIN and read back; the canary\n"
                  "(S3_PREFIX/BACKUP_ENV/.lock-canary) checks that these credentials cannot "
                  "delete a locked version.\nA prune the credentials may not delete for is "
                  "skipped (exit 0).",
       .exits = "exit codes: 0 every stream committed, 1 nothing committed (or the prune after it "
                "failed), 2 usage/configuration,\n3 one stream committed and the other failed "
                "(the manifest says which), 130/143 stopped by signal (uploads aborted)"},
      {.name = "prune",
       .group = "retention",
       .summary = "apply the retention plan (RETENTION_DAILY_DAYS,\n"
                  "RETENTION_MONTHLY_MONTHS, RETENTION_YEARLY_YEARS,\n"
                  "RETENTION_MIN_KEEP): delete expired sets, manifest last",
       .flags = {{"--dry-run", "", "print the plan, delete nothing"}, as_of, json},
       .needs =
           {.s3 = true, .layout = true, .retention = true, .object_lock = true, .writes = true},
       .run = run_prune,
       .details = "Then aborts the env's multipart uploads older than STALE_UPLOAD_AGE (a "
                  "running backup's are kept).\n"
                  "With OBJECT_LOCK_MODE on it deletes every version of an expired set, keeps one "
                  "whose lock\nhas not ended (\"locked, kept\"), then extends the kept sets' "
                  "locks to their tier (--dry-run: reads only).\n"
                  "Exit 1 also when the store refuses the deletes (no delete permission) or a "
                  "lock could not be extended."},
      {.name = "list",
       .group = "retention",
       .summary = "backup sets, newest first, with sizes and the tier keeping each",
       .flags = {as_of, json},
       .needs = {.s3 = true, .layout = true, .retention = true},
       .run = run_list,
       .details = "Then the env's open multipart uploads (key, upload id, state, initiated, age)."},
      {.name = "restore db",
       .group = "restore",
       .summary = "stream the set's dump into pg_restore on the RESTORE_PG* target\n"
                  "(never the source's PG*): checks the dump first, refuses a\n"
                  "non-empty target (unless RESTORE_DROP_OWNED) and while other\n"
                  "sessions are connected, keeps new ones out, RESTORE_EXCLUDE;\n"
                  "judged by every pg_restore error and the restored tables\n"
                  "(RESTORE_MIN_TABLES); --jobs N downloads the dump into\n"
                  "RESTORE_SCRATCH_DIR (space checked, never left there) for\n"
                  "pg_restore -j N",
       .positionals = {which},
       .flags = {{"--i-know-this-is-the-source", "",
                  "allow RESTORE_DROP_OWNED into the backup's own source database"},
                 {"--jobs", "N",
                  "pg_restore -j N (1-32; 1, the default, streams): from a checked copy in "
                  "RESTORE_SCRATCH_DIR"}},
       .needs = {.s3 = true, .layout = true, .tools = true, .restore_target = true, .writes = true},
       .run = run_restore_db,
       .exits = "exit codes: 0 restored and judged good, 1 refused (other sessions) or failed, "
                "2 usage/configuration (nothing touched),\n130/143 stopped by signal"},
      {.name = "restore docs",
       .group = "restore",
       .summary = "extract the documents archive into DIR (RESTORE_DOCUMENTS_DIR)\n"
                  "with its own checks: no absolute names, no '..', no links out of\n"
                  "DIR, nothing through a symlink, no devices or FIFOs; staged inside\n"
                  "DIR and moved into place only once the whole object matched its\n"
                  "manifest; DIR must be empty unless --force",
       .positionals = {which},
       .flags = {{"--target-dir", "DIR", "restore into DIR (default RESTORE_DOCUMENTS_DIR)"},
                 {"--subtree", "PATH", "restore only this relative path of the tree"},
                 {"--force", "", "restore over a non-empty DIR (the archive's names replaced)"},
                 {"--absolute-links-under", "PATH", "allow absolute links under PATH too",
                  /*repeatable=*/true},
                 {"--keep-links-outside", "",
                  "restore links the manifest records as leaving "
                  "the tree"},
                 {"--keep-setid", "", "keep setuid/setgid bits"}},
       .needs = {.s3 = true, .layout = true, .restore_docs = true, .writes = true},
       .run = run_restore_docs,
       .exits = "exit codes: 0 restored, 1 an unusable set, a hostile entry, a clash or a store "
                "error, 2 usage/configuration,\n130/143 stopped by signal"},
      {.name = "refresh-sandbox",
       .group = "restore",
       .summary = "ENV's newest complete set into the RESTORE_PG* database\n"
                  "(drop-owned, exclusions, guards) and its REFRESH_DOCS_SUBTREE\n"
                  "into RESTORE_DOCUMENTS_DIR; reads only the bucket",
       .flags = {{"--from-env", "ENV", "the env whose newest complete set is used",
                  /*repeatable=*/false, /*required=*/true}},
       .needs = {.s3 = true,
                 .prefix = true,
                 .tools = true,
                 .restore_target = true,
                 .restore_docs = true,
                 .writes = true},
       .run = run_refresh_sandbox,
       .exits = "exit codes: 0 refreshed, 1 failed (the sandbox unchanged), 2 usage/configuration,"
                "\n3 the database was refreshed and the documents were not, 130/143 stopped by "
                "signal"},
      {.name = "drill",
       .group = "restore",
       .summary = "prove a set restores: into a PostgreSQL of its own (initdb in\n"
                  "DRILL_WORK_DIR; not as root) or RESTORE_PG* (DRILL_TARGET=restore),\n"
                  "every table's row count and the documents compared with the\n"
                  "manifest, timed; evidence in S3_PREFIX/BACKUP_ENV/drills/",
       .positionals = {which},
       .flags = {{"--jobs", "N",
                  "pg_restore -j N from a downloaded copy (RESTORE_SCRATCH_DIR, else the work "
                  "dir)"},
                 {"--json", "", "print the evidence (JSON) instead of the summary"}},
       .needs = {.s3 = true, .layout = true, .tools = true, .drill = true, .writes = true},
       .run = run_drill,
       .details = "Latest: the newest complete set holding a dump. The work dir must hold the "
                  "restored database, the\ndocuments and, with --jobs, the dump; it is left "
                  "empty and the PostgreSQL stopped on every path but SIGKILL.\nThe evidence "
                  "(drills/<ID>-<DRILL TIME>.json) is written for a failed drill too, never "
                  "overwritten.",
       .exits = "exit codes: 0 passed, 1 a mismatch (each table named) or any other failure, "
                "2 usage/configuration (root with the\nembedded target, no server programs, "
                "no work dir), 130/143 stopped by signal (no evidence)"},
      {.name = "doctor",
       .group = "checks",
       .summary = "probe the store and credentials (run it first on a new bucket):\n"
                  "each capability ok, degraded or failed with the fix; writes only\n"
                  "under S3_PREFIX/BACKUP_ENV/.doctor/ and removes it; exit 1 when a\n"
                  "backup cannot run",
       .flags = {{"--json", "", "one JSON document instead of the table"}},
       .needs = {.s3 = true, .layout = true, .writes = true},
       .run = run_doctor,
       .details = kDoctorDetails,
       .exits = "exit codes: 0 a backup can run (degraded checks named), 1 it cannot, 2 "
                "usage/configuration,\n130/143 stopped by signal (after removing what it wrote)"},
      {.name = "status",
       .group = "checks",
       .summary = "each stream's last success from last-success.json; exit 1 when\n"
                  "one is older than max-age (default 26h) or never succeeded (for\n"
                  "alerting)",
       .flags = {{"--max-age", "DURATION",
                  "how old a success may be, e.g. 26h (default), 90m, "
                  "2d"},
                 only,
                 json},
       .needs = {.s3 = true, .layout = true, .object_lock = true},
       .run = run_status,
       .details = "With OBJECT_LOCK_MODE on, one more line: object_lock, the mode, whether the "
                  "newest complete set's\ncanary found the lock enforced (enforced, NOT-ENFORCED, "
                  "unknown), when, and that set's ID;\n--json: \"object_lock\": {mode, enforced, "
                  "checked_at} ({\"mode\": \"off\"} with the mode off)."},
      {.name = "verify",
       .group = "checks",
       .summary = "read every object of the set back: size and SHA-256 against the\n"
                  "manifest, the dump's table of contents (pg_restore --list, PG_RESTORE),\n"
                  "the documents archive's entry counts",
       .positionals = {which},
       .flags = {{"--all", "", "every set instead of one"}, json},
       .needs = {.s3 = true, .layout = true, .tools = true},
       .run = run_verify},
      {.name = "put",
       .group = "object commands (operator primitives)",
       .summary = "stream stdin into object KEY (multipart when large)",
       .positionals = {{"KEY", "the object's key"}},
       .needs = kObjectWrites,
       .run = run_put},
      {.name = "cat",
       .group = "object commands (operator primitives)",
       .summary = "stream object KEY to stdout",
       .positionals = {{"KEY", "the object's key"}},
       .needs = kObjects,
       .run = run_cat,
       .details = "A stream object of a committed set is checked against its manifest's size "
                  "and SHA-256\n(exit 1 naming the key when it does not match)."},
      {.name = "ls",
       .group = "object commands (operator primitives)",
       .summary = "list keys: SIZE<TAB>LAST_MODIFIED<TAB>KEY",
       .positionals = {{"PREFIX", "only keys starting with it (default: all)", Count::optional}},
       .needs = kObjects,
       .run = run_ls},
      {.name = "rm",
       .group = "object commands (operator primitives)",
       .summary = "delete objects",
       .positionals = {{"KEY", "the keys to delete (after --, a key may start with '-')",
                        Count::many}},
       .needs = kObjectWrites,
       .run = run_rm},
      {.name = "presign",
       .group = "object commands (operator primitives)",
       .summary = "print a presigned GET URL (default 3600 s)",
       .positionals = {{"KEY", "the object's key"}},
       .flags = {{"--expires", "S", "seconds the URL is valid, 1 to 604800 (default 3600)"}},
       .needs = kObjects,
       .run = run_presign},
  };
}

std::string flag_synopsis(const FlagSpec& flag) {
  std::string text(flag.name);
  if (!flag.value.empty()) text += " " + std::string(flag.value);
  if (!flag.required) text = "[" + text + "]";
  if (flag.repeatable) text += "...";
  return text;
}

std::string positional_synopsis(const PositionalSpec& positional) {
  switch (positional.count) {
    case PositionalSpec::Count::one:
      return std::string(positional.name);
    case PositionalSpec::Count::optional:
      return "[" + std::string(positional.name) + "]";
    case PositionalSpec::Count::many:
      return std::string(positional.name) + "...";
  }
  return {};
}

// "NAME ARG [--flag]...", from column `indent`, wrapped at `width` with continuation lines under
// the first argument.
std::string usage_line(const Command& command, std::size_t indent, std::size_t width = kLineWidth) {
  std::vector<std::string> parts;
  for (const PositionalSpec& positional : command.positionals) {
    parts.push_back(positional_synopsis(positional));
  }
  for (const FlagSpec& flag : command.flags) parts.push_back(flag_synopsis(flag));
  std::string text(command.name);
  const std::size_t continuation = indent + command.name.size() + 1;
  std::size_t column = indent + text.size();
  for (const std::string& part : parts) {
    if (column + 1 + part.size() > width) {
      text += "\n" + std::string(continuation, ' ') + part;
      column = continuation + part.size();
    } else {
      text += " " + part;
      column += 1 + part.size();
    }
  }
  return text;
}

// `text`'s lines, each after `indent` spaces but the first (which continues a line).
std::string indent_lines(std::string_view text, std::size_t indent) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += std::string(indent, ' ');
  }
  return out;
}

std::string option_rows(const Command& command) {
  std::string text;
  auto row = [&](const std::string& left, std::string_view help) {
    const std::size_t width = 30;
    text += "  " + left;
    text += left.size() + 2 < width ? std::string(width - 2 - left.size(), ' ')
                                    : "\n" + std::string(width, ' ');
    text += std::string(help) + "\n";
  };
  if (!command.positionals.empty()) {
    text += "arguments:\n";
    for (const PositionalSpec& positional : command.positionals) {
      row(positional_synopsis(positional), positional.help);
    }
  }
  text += "flags:\n";
  for (const FlagSpec& flag : command.flags) {
    std::string left(flag.name);
    if (!flag.value.empty()) left += " " + std::string(flag.value);
    row(left, flag.help);
  }
  row("-h, --help", "this text (reads no setting, contacts nothing)");
  row("--", "ends the flags: every word after it is an argument");
  return text;
}

// `restore`'s subcommands, for `restore --help` and `restore` alone.
std::string group_usage(std::string_view word) {
  std::string text = "usage: erp-backup " + std::string(word) + " SUBCOMMAND [ARGS]\n\n";
  for (const Command& command : command_table()) {
    if (!command.name.starts_with(std::string(word) + " ")) continue;
    text += "  " + usage_line(command, 2) + "\n";
    text += std::string(kSummaryColumn, ' ') + indent_lines(command.summary, kSummaryColumn) + "\n";
  }
  text += "\nerp-backup " + std::string(word) + " SUBCOMMAND --help: each one's flags\n";
  text += std::string(kCommonExits) + "\n";
  return text;
}

// Every command's name, and each group's first word ("restore").
std::vector<std::string_view> command_names() {
  std::vector<std::string_view> names;
  for (const Command& command : command_table()) {
    names.push_back(command.name);
    if (const auto space = command.name.find(' '); space != std::string_view::npos) {
      names.push_back(command.name.substr(0, space));
    }
  }
  return names;
}

}  // namespace

std::string Command::synopsis() const {
  return "erp-backup " + usage_line(*this, 0, std::string::npos);  // one line, for hints
}

std::string Command::help() const {
  std::string text = "usage: erp-backup " + usage_line(*this, 18) + "\n\n";
  text += std::string(summary) + ".\n";
  if (!details.empty()) text += "\n" + std::string(details) + "\n";
  text += "\n" + option_rows(*this);
  text += "\n" + std::string(exits.empty() ? kCommonExits : exits) + "\n";
  return text;
}

Result<Arguments> Command::parse(std::span<const std::string> words) const {
  auto parsed = parse_arguments(words, positionals, flags, synopsis());
  if (!parsed) {
    return make_error(ErrorKind::config, std::string(name) + ": " + parsed.error().message);
  }
  return parsed;
}

const std::vector<Command>& command_table() {
  static const std::vector<Command> kTable = make_table();
  return kTable;
}

const Command* find_command(std::string_view name) {
  const auto& table = command_table();
  const auto found = std::ranges::find(table, name, &Command::name);
  return found == table.end() ? nullptr : &*found;
}

std::string global_usage() {
  std::string text =
      "erp-backup — streaming PostgreSQL + documents backups to S3\n\n"
      "usage: erp-backup COMMAND [ARGS]\n";
  std::string_view group;
  for (const Command& command : command_table()) {
    if (command.group != group) {
      group = command.group;
      text += "\n" + std::string(group) + ":\n";
    }
    const std::string line = usage_line(command, 2);
    const std::size_t last_line = line.size() - (line.rfind('\n') + 1);
    text += "  " + line;
    text += line.find('\n') == std::string::npos && 2 + last_line + 1 < kSummaryColumn
                ? std::string(kSummaryColumn - 2 - last_line, ' ')
                : "\n" + std::string(kSummaryColumn, ' ');
    text += indent_lines(command.summary, kSummaryColumn) + "\n";
  }
  text += R"(
  version                       print the version
  --help                        this text
  COMMAND --help                the command's arguments and flags (reads no setting)

Configuration is read from the environment (see README): S3_BUCKET,
AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
(each credential also as NAME_FILE) or AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE
(EKS IRSA) or AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity/ECS),
S3_PART_SIZE, S3_UPLOAD_CONCURRENCY,
S3_BUFFER_BUDGET, LOG_FORMAT, LOG_LEVEL, ...
Metrics at the end of every command: METRICS_TEXTFILE (node-exporter textfile),
PUSHGATEWAY_URL (+ PUSHGATEWAY_JOB, PUSHGATEWAY_INSTANCE, PUSHGATEWAY_CA_BUNDLE)

exit codes: 0 ok, 1 failed, 2 usage/configuration, 3 partial, 130/143 stopped by signal
)";
  return text;
}

Invocation read_command_line(std::span<const std::string> argv) {
  auto print = [](std::string text, ExitCode code) {
    return Invocation{.kind = Invocation::Kind::print, .text = std::move(text), .code = code};
  };
  auto refuse = [](std::string text) {
    return Invocation{.kind = Invocation::Kind::refuse, .text = std::move(text)};
  };
  if (argv.empty()) return print(global_usage(), ExitCode::usage);
  const std::string& first = argv[0];
  if (first == "--help" || first == "-h" || first == "help") {
    return print(global_usage(), ExitCode::ok);
  }
  if (first == "version" || first == "--version") {
    return print(std::string("erp-backup ") + ERP_BACKUP_VERSION + "\n", ExitCode::ok);
  }
  std::size_t taken = 1;
  std::string name = first;
  const bool group = std::ranges::any_of(
      command_table(), [&](const Command& c) { return c.name.starts_with(first + " "); });
  if (group) {
    if (argv.size() == 1) return refuse(group_usage(first));
    if (argv[1] == "--help" || argv[1] == "-h") return print(group_usage(first), ExitCode::ok);
    name += " " + argv[1];
    taken = 2;
  }
  const Command* command = find_command(name);
  if (command == nullptr) {
    const std::string near = nearest(name, command_names());
    return refuse("erp-backup: unknown command '" + name + "'" +
                  (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                  " (hint: erp-backup --help)\n");
  }
  Invocation invocation{.kind = Invocation::Kind::run, .command = command};
  invocation.words.assign(argv.begin() + static_cast<std::ptrdiff_t>(taken), argv.end());
  if (wants_help(invocation.words)) return print(command->help(), ExitCode::ok);
  return invocation;
}

}  // namespace erp::app
