// The one parser and the command table (app/commands/command_line.h, command_table.h): help for
// every command without settings, `--`, did-you-mean, missing and unexpected arguments, and the
// spellings the commands accepted before the table existed.
#include "app/commands/command_table.h"
#include "app/commands/common_flags.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace erp::app {
namespace {

Invocation read(std::vector<std::string> words) {
  return read_command_line(words);
}

// A command's words parsed, or the error's message.
Result<Arguments> parse(std::string_view command, std::vector<std::string> words) {
  const Command* found = find_command(command);
  REQUIRE(found != nullptr);
  return found->parse(words);
}

std::string parse_error(std::string_view command, std::vector<std::string> words) {
  auto parsed = parse(command, std::move(words));
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().kind == ErrorKind::config);
  return parsed.error().message;
}

}  // namespace

TEST_CASE("every command and subcommand prints its help from the table, exit 0") {
  for (const Command& command : command_table()) {
    for (const char* help : {"--help", "-h"}) {
      std::vector<std::string> words;
      for (std::size_t at = 0, next; at <= command.name.size(); at = next + 1) {
        next = command.name.find(' ', at);
        if (next == std::string_view::npos) next = command.name.size();
        words.emplace_back(command.name.substr(at, next - at));
      }
      words.emplace_back(help);
      CAPTURE(command.name);
      CAPTURE(help);
      const Invocation invocation = read(words);
      REQUIRE(invocation.kind == Invocation::Kind::print);
      CHECK(invocation.code == ExitCode::ok);
      CHECK(invocation.text.starts_with("usage: erp-backup " + std::string(command.name)));
      for (const FlagSpec& flag : command.flags) {
        CHECK(invocation.text.find(std::string(flag.name)) != std::string::npos);
      }
      CHECK(invocation.text.find("exit codes:") != std::string::npos);
    }
  }
  // Help wins wherever it stands before `--`, even beside words that would be errors.
  const Invocation late = read({"rm", "a", "b", "--bogus", "-h"});
  CHECK(late.kind == Invocation::Kind::print);
  CHECK(late.text.starts_with("usage: erp-backup rm KEY..."));
  CHECK(read({"doctor", "--help"}).text.starts_with("usage: erp-backup doctor [--json]\n"));
}

TEST_CASE("restore lists its subcommands: on --help exit 0, alone a usage error") {
  for (const char* help : {"--help", "-h"}) {
    const Invocation invocation = read({"restore", help});
    CHECK(invocation.kind == Invocation::Kind::print);
    CHECK(invocation.code == ExitCode::ok);
    CHECK(invocation.text.find("restore db [ID|latest]") != std::string::npos);
    CHECK(invocation.text.find("restore docs [ID|latest]") != std::string::npos);
  }
  const Invocation alone = read({"restore"});
  CHECK(alone.kind == Invocation::Kind::refuse);
  CHECK(alone.code == ExitCode::usage);
  CHECK(alone.text.find("usage: erp-backup restore SUBCOMMAND") != std::string::npos);
  CHECK(alone.text.find("restore docs") != std::string::npos);
  const Invocation unknown = read({"restore", "dbs"});
  CHECK(unknown.kind == Invocation::Kind::refuse);
  CHECK(unknown.text.find("unknown command 'restore dbs' (did you mean 'restore db'?)") !=
        std::string::npos);
}

TEST_CASE("the global usage comes from the table and keeps the settings hints and exit codes") {
  const Invocation help = read({"--help"});
  CHECK(help.kind == Invocation::Kind::print);
  CHECK(help.code == ExitCode::ok);
  CHECK(read({"-h"}).text == help.text);
  CHECK(read({"help"}).text == help.text);
  const Invocation none = read({});
  CHECK(none.kind == Invocation::Kind::print);  // stdout, as before, but exit 2
  CHECK(none.code == ExitCode::usage);
  CHECK(none.text == help.text);
  CHECK(
      help.text.starts_with("erp-backup — streaming PostgreSQL + documents backups to S3\n\n"
                            "usage: erp-backup COMMAND [ARGS]\n"));
  for (const Command& command : command_table()) {
    CHECK(help.text.find("\n  " + std::string(command.name)) != std::string::npos);
  }
  for (const char* text :
       {"backup [--only db|docs]", "prune [--dry-run] [--as-of YYYY-MM-DD] [--json]",
        "status [--max-age DURATION] [--only db|docs] [--json]", "rm KEY...",
        "presign KEY [--expires S]", "refresh-sandbox --from-env ENV",
        "[--absolute-links-under PATH]...", "RETENTION_MIN_KEEP", "PUSHGATEWAY_CA_BUNDLE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "exit codes: 0 ok, 1 failed, 2 usage/configuration, 3 partial, 130/143 stopped by "
        "signal"}) {
    CHECK_MESSAGE(help.text.find(text) != std::string::npos, text);
  }
  const Invocation version = read({"--version"});
  CHECK(version.kind == Invocation::Kind::print);
  CHECK(version.text.starts_with("erp-backup "));
}

TEST_CASE("an unknown command is a usage error naming the nearest one") {
  const Invocation typo = read({"lsit"});
  CHECK(typo.kind == Invocation::Kind::refuse);
  CHECK(typo.code == ExitCode::usage);
  CHECK(typo.text.find("unknown command 'lsit' (did you mean 'list'?)") != std::string::npos);
  CHECK(read({"frobnicate"}).text.find("did you mean") == std::string::npos);
}

TEST_CASE("-- ends the flags: rm -- --help deletes the object named --help") {
  const Invocation invocation = read({"rm", "--", "--help"});
  REQUIRE(invocation.kind == Invocation::Kind::run);
  CHECK(invocation.command->name == "rm");
  auto args = invocation.command->parse(invocation.words);
  REQUIRE(args.has_value());
  CHECK(args->positionals() == std::vector<std::string>{"--help"});
  auto presign = parse("presign", {"--expires", "60", "--", "-h"});
  REQUIRE(presign.has_value());
  CHECK(presign->positional(0) == "-h");
  CHECK(presign->value("--expires") == "60");
}

TEST_CASE("an unknown flag is named with the nearest flag of the command") {
  CHECK(parse_error("prune", {"--dry-rn"}) ==
        "prune: unknown argument '--dry-rn' (did you mean --dry-run?) (hint: erp-backup prune "
        "[--dry-run] [--as-of YYYY-MM-DD] [--json])");
  CHECK(parse_error("doctor", {"--bogus"}).starts_with("doctor: unknown argument '--bogus'"));
  CHECK(parse_error("verify", {"--jsn"}).find("(did you mean --json?)") != std::string::npos);
  CHECK(parse_error("ls", {"--zzzzzzzzz"}).find("did you mean") == std::string::npos);
}

TEST_CASE("missing, empty and surplus arguments are usage errors naming them") {
  CHECK(parse_error("cat", {}).starts_with("cat: missing KEY (hint: erp-backup cat KEY)"));
  CHECK(parse_error("put", {}).starts_with("put: missing KEY"));
  CHECK(parse_error("rm", {}).starts_with("rm: missing KEY"));
  CHECK(parse_error("presign", {"k", "--expires"}).starts_with("presign: --expires needs a value"));
  CHECK(parse_error("restore docs", {"--target-dir", ""}).find("--target-dir needs a value") !=
        std::string::npos);
  CHECK(parse_error("refresh-sandbox", {}).starts_with("refresh-sandbox: missing --from-env ENV"));
  CHECK(parse_error("ls", {"a", "b"}).starts_with("ls: unexpected argument 'b'"));
  CHECK(parse_error("cat", {"a", "b"}).starts_with("cat: unexpected argument 'b'"));
  CHECK(parse_error("restore db", {"a", "b"}).starts_with("restore db: unexpected argument 'b'"));
  CHECK(parse_error("list", {"x"}).starts_with("list: unexpected argument 'x'"));
}

TEST_CASE("the spellings the commands accepted before the table still parse") {
  auto status = parse("status", {"--max-age", "26h", "--only", "db", "--json"});
  REQUIRE(status.has_value());
  CHECK(status->value("--max-age") == "26h");
  CHECK(status->value("--only") == "db");
  CHECK(status->has("--json"));
  auto prune = parse("prune", {"--as-of", "2026-01-31", "--dry-run"});
  REQUIRE(prune.has_value());
  CHECK(prune->value("--as-of") == "2026-01-31");
  // A flag's value is the next word, whatever it is (a bad date, not a flag).
  auto odd = parse("prune", {"--as-of", "--json"});
  REQUIRE(odd.has_value());
  CHECK(odd->value("--as-of") == "--json");
  CHECK_FALSE(odd->has("--json"));
  auto docs =
      parse("restore docs", {"20260101T000000Z", "--target-dir", "/srv/d", "--absolute-links-under",
                             "/a", "--absolute-links-under", "/b", "--force", "--keep-setid"});
  REQUIRE(docs.has_value());
  CHECK(docs->positional(0) == "20260101T000000Z");
  CHECK(docs->values("--absolute-links-under") == std::vector<std::string>{"/a", "/b"});
  CHECK(docs->has("--force"));
  CHECK_FALSE(docs->has("--keep-links-outside"));
  for (const std::vector<std::string>& words :
       {std::vector<std::string>{"--all"}, {"latest", "--json"}, {"20260101T000000Z"}, {}}) {
    CHECK(parse("verify", words).has_value());
  }
  auto restore = parse("restore db", {"latest", "--i-know-this-is-the-source"});
  REQUIRE(restore.has_value());
  CHECK(restore->has("--i-know-this-is-the-source"));
  auto refresh = parse("refresh-sandbox", {"--from-env", "prod"});
  REQUIRE(refresh.has_value());
  CHECK(refresh->value("--from-env") == "prod");
  auto ls = parse("ls", {});
  REQUIRE(ls.has_value());
  CHECK_FALSE(ls->positional(0).has_value());
}

TEST_CASE("nearest: close names only") {
  const std::vector<std::string_view> names{"--json", "--dry-run", "--as-of"};
  CHECK(nearest("--jsno", names) == "--json");
  CHECK(nearest("--asof", names) == "--as-of");
  CHECK(nearest("--verbose", names).empty());
}

TEST_CASE("--jobs of restore db and drill: 1 when absent, 1 to 32, else refused naming the value") {
  for (std::string_view command : {"restore db", "drill"}) {
    auto absent = parse(command, {"latest"});
    REQUIRE(absent.has_value());
    CHECK(jobs_flag(*absent, "restore") == 1);
    for (const char* good : {"1", "2", "32"}) {
      auto parsed = parse(command, {"--jobs", good});
      REQUIRE(parsed.has_value());
      CHECK(jobs_flag(*parsed, "drill") == std::stoi(good));
    }
    for (const char* bad : {"0", "33", "two", "2x", "-1"}) {
      auto parsed = parse(command, {"--jobs", bad});
      REQUIRE(parsed.has_value());
      auto jobs = jobs_flag(*parsed, "drill");
      REQUIRE_FALSE(jobs.has_value());
      CHECK(jobs.error().kind == ErrorKind::config);
      CHECK(jobs.error().message.find("drill refused: --jobs '" + std::string(bad) + "'") == 0);
      CHECK(jobs.error().message.find("--jobs takes 1 to 32") != std::string::npos);
    }
  }
}

}  // namespace erp::app
