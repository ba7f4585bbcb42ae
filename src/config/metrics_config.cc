#include "config/metrics_config.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

#include "config/problems.h"
#include "config/s3_config.h"
#include "config/url_setting.h"

namespace erp::config {
namespace {

// The file is written at the end of the command (metrics/textfile.h: a temporary file in the same
// directory, renamed over it). A directory that is missing or not writable would only show then,
// after a backup of an hour; checked now, it stops the command before anything starts.
std::optional<std::string> textfile_directory_problem(const std::string& path) {
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  std::error_code error;
  const auto status = std::filesystem::status(directory, error);
  std::string reason;
  if (error) {
    reason = error.message();
  } else if (!std::filesystem::is_directory(status)) {
    reason = "not a directory";
  } else if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    reason = std::strerror(errno);
  } else {
    return std::nullopt;
  }
  return "METRICS_TEXTFILE '" + path + "': its directory " + directory + ": " + reason +
         " (hint: a directory this process can write, usually node-exporter's textfile "
         "directory mounted into the pod)";
}

}  // namespace

Result<MetricsConfig> load_metrics_config(const Environment& env) {
  MetricsConfig config;
  Problems problems;
  if (auto path = env.get("METRICS_TEXTFILE")) {
    if (!path->ends_with(".prom") || path->ends_with("/.prom")) {
      problems.add("malformed METRICS_TEXTFILE '" + *path +
                   "' (hint: a file name ending in .prom, e.g. "
                   "/var/lib/node-exporter/textfile/erp-backup.prom: node-exporter's textfile "
                   "collector reads only *.prom files)");
    } else if (auto problem = textfile_directory_problem(*path)) {
      problems.add(*problem);
    } else {
      config.textfile = *path;
    }
  }
  if (auto url = env.get("PUSHGATEWAY_URL")) {
    // Basic auth is not supported: a URL holding credentials is refused, and never quoted with
    // them (url_setting_problem redacts the userinfo).
    if (auto problem = url_setting_problem(
            "PUSHGATEWAY_URL", *url,
            {.example = "the Pushgateway's base URL without credentials, query or fragment, e.g. "
                        "http://pushgateway.monitoring:9091"})) {
      problems.add(*problem);
    } else {
      config.pushgateway_url = *url;
      while (config.pushgateway_url.ends_with('/')) config.pushgateway_url.pop_back();
    }
  }
  if (auto job = env.get("PUSHGATEWAY_JOB")) config.job = *job;
  if (auto instance = env.get("PUSHGATEWAY_INSTANCE")) {
    config.instance = *instance;
  } else if (auto backup_env = env.get("BACKUP_ENV")) {
    config.instance = *backup_env;
  } else if (env.get("PUSHGATEWAY_URL")) {
    problems.add(
        "PUSHGATEWAY_URL is set but neither PUSHGATEWAY_INSTANCE nor BACKUP_ENV (hint: the "
        "instance label of the pushed group, e.g. PUSHGATEWAY_INSTANCE=prod)");
  }
  if (auto bundle =
          checked_ca_bundle(env, "PUSHGATEWAY_CA_BUNDLE", " for the Pushgateway", problems)) {
    config.ca_bundle = *bundle;
  }
  if (!problems.empty()) return std::unexpected(problems.error());
  return config;
}

}  // namespace erp::config
