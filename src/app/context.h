// What every command gets from the composition root (main.cc). All borrowed:
// main owns the objects and outlives the command.
#pragma once

#include "config/environment.h"
#include "config/s3_config.h"
#include "core/cancellation.h"
#include "core/logger.h"
#include "s3/s3_client.h"

namespace erp::app {

struct Context {
  Logger& log;
  const config::S3Config& s3_config;
  s3::S3Client& s3;  // the store; S3Client also presigns
  Cancellation& cancellation;
  // For commands with settings of their own (backup reads BACKUP_ENV, PG*, ...).
  const config::Environment& environment;
};

}  // namespace erp::app
