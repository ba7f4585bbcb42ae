#include "config/metrics_config.h"

#include "config/problems.h"
#include "config/s3_config.h"

namespace erp::config {

Result<MetricsConfig> load_metrics_config(const Environment& env) {
  MetricsConfig config;
  Problems problems;
  if (auto path = env.get("METRICS_TEXTFILE")) {
    if (!path->ends_with(".prom") || path->ends_with("/.prom")) {
      problems.add("malformed METRICS_TEXTFILE '" + *path +
                   "' (hint: a file name ending in .prom, e.g. "
                   "/var/lib/node-exporter/textfile/erp-backup.prom: node-exporter's textfile "
                   "collector reads only *.prom files)");
    } else {
      config.textfile = *path;
    }
  }
  if (auto url = env.get("PUSHGATEWAY_URL")) {
    const bool scheme = url->starts_with("http://") || url->starts_with("https://");
    const std::size_t host = url->find("://") + 3;
    if (!scheme || host >= url->size() || (*url)[host] == '/' ||
        url->find_first_of("?#") != std::string::npos ||
        url->substr(host, url->find('/', host) - host).find('@') != std::string::npos) {
      problems.add(
          "malformed PUSHGATEWAY_URL '" + *url +
          "' (hint: the Pushgateway's base URL without credentials, query or fragment, e.g. "
          "http://pushgateway.monitoring:9091)");
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
