// Test helper for the command runners (app/commands/command_table.h): a fake store, the
// settings a test sets, a fixed clock, and each command run through the table's parser as main
// does, its stdout captured.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands/command_table.h"
#include "fakes/fake_object_store.h"
#include "fakes/temp_dir.h"

namespace erp::app::testing_support {

using namespace std::chrono;
using erp::testing::FakeObjectStore;

// Takes what is written to stdout while alive: through std::cout (its buffer replaced) and to
// file descriptor 1 (cat streams there; pointed at a file).
class CaptureStdout {
 public:
  CaptureStdout() : previous_(std::cout.rdbuf(text_.rdbuf())) {
    std::fflush(stdout);
    file_ = dir_.path() / "stdout";
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    saved_ = ::dup(STDOUT_FILENO);
    REQUIRE(::dup2(fd, STDOUT_FILENO) == STDOUT_FILENO);
    ::close(fd);
  }
  ~CaptureStdout() {
    std::cout.rdbuf(previous_);
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
  }
  std::string text() const {
    std::ifstream in(file_, std::ios::binary);
    return text_.str() + std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::ostringstream text_;
  std::streambuf* previous_;
  erp::testing::TempDir dir_;
  std::filesystem::path file_;
  int saved_ = -1;
};

struct Ran {
  ExitCode code;
  std::string out;
};

struct Harness {
  FakeObjectStore store;
  Logger log{LogFormat::text, LogLevel::error};
  config::S3Config s3_config;
  Cancellation cancellation;
  config::Settings settings;
  FixedClock clock{sys_days{2026y / January / 10} + 12h};
  RunReport report;
  Signing signing;
  // Set: the commands talk to this store (a decorator over `store`) instead of `store` itself.
  s3::ObjectStore* through = nullptr;

  Harness() {
    s3_config.part_size = 5 << 20;
    s3_config.buffer_budget = 20 << 20;
    s3_config.upload_concurrency = 2;
    settings.layout = config::LayoutConfig{.prefix = "erp", .env = "prod"};
    settings.retention = retention::RetentionPolicy{.min_keep = 1};
    settings.stale_upload_age = hours(24);
    // A pg_restore that fails: verify reports the dump's TOC as a problem, whatever is installed.
    settings.tools = config::ToolsConfig{.pg_restore = "/bin/false"};
  }

  // `words` as main gets them after the command's name.
  Ran run(std::string_view name, std::vector<std::string> words) {
    const Command* command = find_command(name);
    REQUIRE(command != nullptr);
    auto args = command->parse(words);
    REQUIRE_MESSAGE(args.has_value(), args.error().message);
    s3::ObjectStore& used = through != nullptr ? *through : store;
    Context context{log, s3_config, used, cancellation, settings, clock, report, signing};
    CaptureStdout out;
    const ExitCode code = command->run(context, *args);
    return {code, out.text()};
  }
};

}  // namespace erp::app::testing_support
