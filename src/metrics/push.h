// Pushing exposition text to a Prometheus Pushgateway
// (https://github.com/prometheus/pushgateway#api): one HTTP request per group,
//
//     PUT {base}/metrics/job/{job}/{label}/{value}...   body: exposition text
//
// PUT replaces every metric of the group: what a batch job wants, since the group then
// describes exactly its last run. A label value that is not plain ([A-Za-z0-9._-]+, e.g.
// "restore db" or one holding '/') goes as `{label}@base64/{base64url(value)}`, the
// Pushgateway's own encoding for them.
#pragma once

#include <chrono>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "http/retry.h"
#include "http/transport.h"
#include "metrics/exposition.h"

namespace erp::metrics {

// The group's URL: `base_url` (no trailing '/') + "/metrics/job/<job>" + one path pair per
// further label, in the given order.
std::string group_url(std::string_view base_url, std::string_view job,
                      const std::vector<Label>& grouping);

struct PushOptions {
  // Transient failures (resets, refused connections, 5xx) are retried: a Pushgateway
  // restarting during a rollout should not cost the run's metrics.
  http::RetryPolicy retry{.max_attempts = 3};
  http::Sleeper sleeper = http::sleep_for_real;
  // Each attempt ends within this, so a hung Pushgateway cannot hold the job (and its exit
  // code) for long.
  std::chrono::milliseconds timeout{10'000};
};

// PUTs `body` to `url` through `transport` (borrowed for the call). Succeeds on 200 or 202
// (older Pushgateways). Errors: transient after the retries for 5xx and connection
// failures; permanent for any other status, quoting the status and the Pushgateway's answer
// (e.g. 400 "pushed metrics are invalid or inconsistent with existing metrics"), and for TLS
// verification failures (the transport's message names the CA setting).
Result<void> push_group(http::HttpTransport& transport, const std::string& url,
                        std::string_view body, const PushOptions& options = {});

}  // namespace erp::metrics
