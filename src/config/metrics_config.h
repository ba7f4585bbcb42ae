// Prometheus output at the end of every command (SPEC §3): METRICS_TEXTFILE, PUSHGATEWAY_URL,
// PUSHGATEWAY_JOB, PUSHGATEWAY_INSTANCE, PUSHGATEWAY_CA_BUNDLE. Loaded for every command,
// before and apart from the command's own settings (config/settings.h), like the log
// settings: a run whose other settings are broken still reports its exit code 2.
#pragma once

#include <string>

#include "config/environment.h"
#include "core/error.h"

namespace erp::config {

struct MetricsConfig {
  // METRICS_TEXTFILE: a file for node-exporter's textfile collector, replaced atomically at
  // the end of every command; empty = none. Must end in ".prom" (the collector reads nothing
  // else, and a file it ignores is monitoring that silently does not happen).
  std::string textfile;
  // PUSHGATEWAY_URL: the Pushgateway's base URL (http:// or https://, no query), without a
  // trailing '/'; empty = no push.
  std::string pushgateway_url;
  std::string job = "erp-backup";  // PUSHGATEWAY_JOB: the grouping key's job label
  // PUSHGATEWAY_INSTANCE, else BACKUP_ENV: the grouping key's instance label. Never the host
  // name: a CronJob's pod name changes every run, and each run would leave a group behind.
  std::string instance;
  // PUSHGATEWAY_CA_BUNDLE: PEM file of the only CAs trusted for the Pushgateway (replaces the
  // system store, as AWS_CA_BUNDLE does for S3); empty = the system store.
  std::string ca_bundle;

  bool enabled() const { return !textfile.empty() || !pushgateway_url.empty(); }
};

// Errors: config, listing every problem: METRICS_TEXTFILE not ending in ".prom", or in a
// directory that does not exist or this process cannot write (found now, not after the command);
// a PUSHGATEWAY_URL that is not http(s):// with a host, or holds credentials (refused and never
// quoted: config/url_setting.h), a query or a fragment;
// PUSHGATEWAY_URL without PUSHGATEWAY_INSTANCE or BACKUP_ENV; an unreadable
// PUSHGATEWAY_CA_BUNDLE or one without a certificate.
Result<MetricsConfig> load_metrics_config(const Environment& env);

}  // namespace erp::config
