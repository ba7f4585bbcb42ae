// What every command gets from the composition root (main.cc). All borrowed:
// main owns the objects and outlives the command.
//
// Commands reach the bucket through the store interface (s3/object_store.h) alone, so a unit
// test runs them on a fake store; the two things only the real client can do (sign a URL for
// presign, name the credentials provider for doctor) come as `signing`.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "app/commands/command_line.h"
#include "app/commands/exit_code.h"
#include "app/report/run_report.h"
#include "config/environment.h"
#include "config/s3_config.h"
#include "config/settings.h"
#include "core/cancellation.h"
#include "core/clock.h"
#include "core/logger.h"
#include "s3/credentials/provider.h"
#include "s3/object_store.h"

namespace erp::app {

// The S3 client's signing, for the commands that need more than the store.
struct Signing {
  // A presigned URL (s3::S3Client::presign). Unset: presign fails.
  std::function<Result<std::string>(std::string_view method, std::string_view key,
                                    std::chrono::seconds expires)>
      presign;
  // The provider that signs every request (doctor probes with it, and names it).
  std::shared_ptr<s3::CredentialsProvider> credentials;
};

struct Context {
  Logger& log;
  const config::S3Config& s3_config;
  s3::ObjectStore& s3;  // the store
  Cancellation& cancellation;
  // The groups the command declared in the command table's entry (app/commands/command_table.h),
  // loaded and validated before it runs: a group it declared is always present.
  const config::Settings& settings;
  const Clock& clock;  // the only source of "now" for commands
  // What the command did, for the metrics published after it returns (app/report/run_metrics.h).
  RunReport& report;
  Signing signing = {};
};

}  // namespace erp::app
