// What every command gets from the composition root (main.cc). All borrowed:
// main owns the objects and outlives the command.
#pragma once

#include "app/run_report.h"
#include "config/environment.h"
#include "config/s3_config.h"
#include "config/settings.h"
#include "core/cancellation.h"
#include "core/clock.h"
#include "core/logger.h"
#include "s3/s3_client.h"

namespace erp::app {

struct Context {
  Logger& log;
  const config::S3Config& s3_config;
  s3::S3Client& s3;  // the store; S3Client also presigns
  Cancellation& cancellation;
  // The groups the command declared in main.cc's table (config/settings.h), loaded and
  // validated before it runs: a group it declared is always present.
  const config::Settings& settings;
  const Clock& clock;  // the only source of "now" for commands
  // What the command did, for the metrics published after it returns (app/run_metrics.h).
  RunReport& report;
};

}  // namespace erp::app
