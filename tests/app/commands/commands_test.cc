// The command entry points (the runners of app/commands/command_table.h) on a fake store: each
// gets its words through the table's parser, as main does, and its stdout is captured.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands/command_harness.h"
#include "app/commands/command_table.h"
#include "app/retention_seed.h"
#include "fakes/fake_object_store.h"
#include "fakes/temp_dir.h"

namespace erp::app {
namespace {

using namespace std::chrono;
using testing::FakeObjectStore;
using testing::seed_set;
using testing_support::CaptureStdout;
using testing_support::Harness;
using testing_support::Ran;

const catalog::KeyLayout kLayout("erp", "prod");

// Points stdin at a file holding `data` while alive.
class StdinFrom {
 public:
  explicit StdinFrom(std::string_view data) {
    const std::string path = dir_.write_file("stdin", data);
    saved_ = ::dup(STDIN_FILENO);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::dup2(fd, STDIN_FILENO) == STDIN_FILENO);
    ::close(fd);
  }
  ~StdinFrom() {
    ::dup2(saved_, STDIN_FILENO);
    ::close(saved_);
  }

 private:
  testing::TempDir dir_;
  int saved_ = -1;
};

}  // namespace

TEST_CASE("put streams stdin into the key; cat streams it back") {
  Harness h;
  {
    StdinFrom input("hello, bucket");
    CHECK(h.run("put", {"notes/a.txt"}).code == ExitCode::ok);
  }
  CHECK(h.store.object("notes/a.txt") == "hello, bucket");
  const Ran cat = h.run("cat", {"notes/a.txt"});
  CHECK(cat.code == ExitCode::ok);
  CHECK(cat.out == "hello, bucket");
  CHECK(h.run("cat", {"notes/missing"}).code == ExitCode::failed);
}

TEST_CASE("cat checks a set's object against its manifest") {
  Harness h;
  seed_set(h.store, kLayout, "20260101T000000Z");  // the manifest's SHA-256 is not the bytes'
  const Ran cat = h.run("cat", {kLayout.db_key("20260101T000000Z")});
  CHECK(cat.code == ExitCode::failed);
  CHECK(cat.out == "dump-20260101T000000Z");  // stdout has the bytes; the exit says they are wrong
}

TEST_CASE("ls lists SIZE, LAST_MODIFIED and KEY under a prefix") {
  Harness h;
  h.store.seed("a/1", "xyz");
  h.store.seed("b/2", "12345");
  const Ran all = h.run("ls", {});
  CHECK(all.code == ExitCode::ok);
  CHECK(all.out.find("\ta/1\n") != std::string::npos);
  CHECK(all.out.starts_with("3\t"));
  CHECK(all.out.find("\tb/2\n") != std::string::npos);
  const Ran some = h.run("ls", {"b/"});
  CHECK(some.out.starts_with("5\t"));
  CHECK(some.out.find("a/1") == std::string::npos);
}

TEST_CASE("rm deletes each key; after -- a key may look like a flag") {
  Harness h;
  h.store.seed("a", "1");
  h.store.seed("b", "2");
  h.store.seed("--help", "3");
  h.store.seed("c", "4");
  CHECK(h.run("rm", {"a", "b"}).code == ExitCode::ok);
  CHECK_FALSE(h.store.object("a").has_value());
  CHECK_FALSE(h.store.object("b").has_value());
  CHECK(h.run("rm", {"--", "--help"}).code == ExitCode::ok);
  CHECK_FALSE(h.store.object("--help").has_value());
  CHECK(h.store.object("c") == "4");
}

TEST_CASE("presign prints the signer's URL; --expires is checked") {
  Harness h;
  std::chrono::seconds asked{};
  h.signing.presign = [&](std::string_view method, std::string_view key,
                          std::chrono::seconds expires) -> Result<std::string> {
    asked = expires;
    return "https://example.test/" + std::string(key) + "?m=" + std::string(method);
  };
  const Ran url = h.run("presign", {"k", "--expires", "60"});
  CHECK(url.code == ExitCode::ok);
  CHECK(url.out == "https://example.test/k?m=GET\n");
  CHECK(asked == seconds(60));
  CHECK(h.run("presign", {"k"}).code == ExitCode::ok);
  CHECK(asked == seconds(3600));
  CHECK(h.run("presign", {"k", "--expires", "604801"}).code == ExitCode::usage);
  CHECK(h.run("presign", {"k", "--expires", "1x"}).code == ExitCode::usage);
}

TEST_CASE("list shows every set, newest first, and --json the same") {
  Harness h;
  seed_set(h.store, kLayout, "20260101T000000Z");
  seed_set(h.store, kLayout, "20260105T000000Z");
  const Ran text = h.run("list", {});
  CHECK(text.code == ExitCode::ok);
  const auto newer = text.out.find("20260105T000000Z");
  const auto older = text.out.find("20260101T000000Z");
  REQUIRE(newer != std::string::npos);
  REQUIRE(older != std::string::npos);
  CHECK(newer < older);
  const Ran json = h.run("list", {"--json", "--as-of", "2026-01-06"});
  CHECK(json.code == ExitCode::ok);
  const auto doc = nlohmann::json::parse(json.out);
  CHECK(doc["as_of"] == "2026-01-06");
  REQUIRE(doc["sets"].size() == 2);
  CHECK(doc["sets"][0]["id"] == "20260105T000000Z");
  CHECK(h.run("list", {"--as-of", "2026-02-30"}).code == ExitCode::usage);
}

TEST_CASE("prune --dry-run prints the plan and deletes nothing; prune deletes") {
  Harness h;
  for (const char* id : {"20100101T000000Z", "20100201T000000Z", "20260109T000000Z"}) {
    seed_set(h.store, kLayout, id);
  }
  const auto before = h.store.keys();
  const Ran dry = h.run("prune", {"--dry-run"});
  CHECK(dry.code == ExitCode::ok);
  CHECK(dry.out.find("(dry run: nothing is deleted)") != std::string::npos);
  CHECK(dry.out.find("20100101T000000Z\tdelete") != std::string::npos);
  CHECK(dry.out.find("20260109T000000Z\tkeep") != std::string::npos);
  CHECK(h.store.keys() == before);
  CHECK(h.run("prune", {}).code == ExitCode::ok);
  CHECK_FALSE(h.store.object(kLayout.manifest_key("20100101T000000Z")).has_value());
  CHECK(h.store.object(kLayout.manifest_key("20260109T000000Z")).has_value());
}

TEST_CASE("status: never backed up is exit 1 per expected stream; a bad --max-age exit 2") {
  Harness h;
  const Ran both = h.run("status", {});
  CHECK(both.code == ExitCode::failed);
  CHECK(both.out.find("db\tSTALE\tnever") != std::string::npos);
  CHECK(both.out.find("docs\tSTALE\tnever") != std::string::npos);
  const Ran docs = h.run("status", {"--only", "docs", "--max-age", "26h"});
  CHECK(docs.code == ExitCode::failed);
  CHECK(docs.out.find("db\t") == std::string::npos);
  CHECK(h.run("status", {"--max-age", "soon"}).code == ExitCode::usage);
  CHECK(h.run("status", {"--only", "all"}).code == ExitCode::usage);
}

TEST_CASE("verify reads a fake set back and reports what does not match its manifest") {
  Harness h;
  seed_set(h.store, kLayout, "20260101T000000Z");
  const Ran latest = h.run("verify", {});
  CHECK(latest.code == ExitCode::failed);
  CHECK(latest.out.starts_with("20260101T000000Z\tFAILED"));
  // Each stream's problem, under the set's line: the dump's TOC, the archive's frames.
  CHECK(latest.out.find("\n  " + kLayout.db_key("20260101T000000Z") + ": /bin/false exited") !=
        std::string::npos);
  CHECK(latest.out.find("\n  " + kLayout.docs_key("20260101T000000Z") + ": zstd") !=
        std::string::npos);
  CHECK(h.run("verify", {"20990101T000000Z"}).code == ExitCode::failed);
  CHECK(h.run("verify", {"latest", "--all"}).code == ExitCode::usage);
}

}  // namespace erp::app
