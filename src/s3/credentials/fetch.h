// What the web-identity and container providers share: one HTTP exchange with a credentials
// endpoint under the program's one retry policy, through the same transports as S3.
#pragma once

#include <stop_token>

#include "http/retry.h"
#include "http/transport_pool.h"

namespace erp::s3 {

struct CredentialsHttp {
  http::TransportPool& transports;  // borrowed; outlives the provider
  http::RetryPolicy retry;
  http::Sleeper sleeper = http::sleep_for_real;
  std::stop_token stop;  // the job's stop: a refresh does not outlive it
};

// Sends `request` under the retry policy: connection failures, 5xx, 429 and 408 are retried;
// any other non-2xx answer is returned as a response (the provider reads its error body).
// The caller sets request.stop (usually to http.stop); the request is not copied (its headers
// may hold a token). `what` names the endpoint in errors ("STS AssumeRoleWithWebIdentity at
// https://...").
Result<http::HttpResponse> fetch_credentials(const CredentialsHttp& http,
                                             const http::HttpRequest& request,
                                             std::string_view what);

// "2026-11-30T17:00:00Z" (fraction optional). corrupt otherwise.
Result<std::chrono::sys_seconds> parse_expiration(std::string_view text);

}  // namespace erp::s3
