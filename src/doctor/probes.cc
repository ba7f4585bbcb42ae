#include <algorithm>
#include <ctime>

#include "doctor/probe_steps.h"
#include "s3/xml_replies.h"

namespace erp::doctor {
namespace {

// "Mon, 07 Dec 2026 16:53:46 GMT" (the HTTP Date header).
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  std::tm tm{};
  const std::string copy(text);
  if (strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

Check ok(CheckId id, std::string detail) {
  return Check{.id = id, .result = CheckResult::ok, .detail = std::move(detail)};
}

Check degraded(CheckId id, std::string detail, std::string fix) {
  return Check{.id = id,
               .result = CheckResult::degraded,
               .detail = std::move(detail),
               .fix = std::move(fix)};
}

Check failed(CheckId id, std::string detail, std::string fix) {
  return Check{
      .id = id, .result = CheckResult::failed, .detail = std::move(detail), .fix = std::move(fix)};
}

Check stopped(CheckId id) {
  return Check{.id = id, .result = CheckResult::skipped, .detail = "stopped by a signal"};
}

std::string fix_for(const Error& error, std::string_view action, const Ledger& ledger) {
  if (error.code == "AccessDenied") {
    return "grant the credentials " + std::string(action) + " on " + ledger.prefix() +
           "* (bucket or IAM policy)";
  }
  return "see the error above";
}

std::vector<char> pattern(std::size_t size, unsigned seed) {
  std::vector<char> bytes(size);
  std::uint32_t state = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < size; ++i) {
    state = state * 1664525u + 1013904223u;  // a small LCG: different bytes at every offset
    bytes[i] = static_cast<char>(state >> 24);
  }
  return bytes;
}

std::optional<std::chrono::seconds> clock_skew(const std::vector<Reply>& replies,
                                               std::chrono::system_clock::time_point now) {
  for (const Reply& reply : replies) {
    const auto date = http::find_header(reply.headers, "Date");
    if (!date) continue;
    if (auto server = parse_http_date(*date)) {
      return std::chrono::duration_cast<std::chrono::seconds>(*server - now);
    }
  }
  return std::nullopt;
}

Check judge_region_clock(const std::string& region,
                         std::optional<std::chrono::seconds> clock_corrected,
                         std::optional<std::string> region_corrected,
                         const std::vector<Reply>& replies,
                         std::chrono::system_clock::time_point now) {
  const CheckId id = CheckId::region_clock;
  if (region_corrected) {
    return degraded(id,
                    "the store named region " + *region_corrected + " for the bucket, not " +
                        region + "; every request is signed twice until the setting is fixed",
                    "set AWS_REGION=" + *region_corrected);
  }
  for (const Reply& reply : replies) {
    const auto named = http::find_header(reply.headers, "x-amz-bucket-region");
    if (named && !named->empty() && *named != region) {
      return degraded(id,
                      "the store says the bucket is in " + std::string(*named) +
                          "; requests are signed for " + region + " and were accepted",
                      "set AWS_REGION=" + std::string(*named));
    }
  }
  if (clock_corrected) {
    return degraded(id,
                    "the store refused this host's clock (RequestTimeTooSkewed); the client signs "
                    "with the store's time, " +
                        std::to_string(clock_corrected->count()) + " s from this host's",
                    "fix this host's clock (NTP): leases and upload ages are judged by it");
  }
  const auto skew = clock_skew(replies, now);
  if (skew && (*skew > kClockTolerance || *skew < -kClockTolerance)) {
    return degraded(id,
                    "the store's clock is " + std::to_string(skew->count()) +
                        " s from this host's (more than " +
                        std::to_string(kClockTolerance.count()) +
                        " s); requests were accepted, but S3 refuses beyond 15 min",
                    "fix this host's clock (NTP): leases and upload ages are judged by it");
  }
  std::string detail = "region " + region + " accepted; ";
  detail += skew ? "clocks " + std::to_string(skew->count()) + " s apart (Date header)"
                 : "no Date header to compare clocks with";
  return ok(id, std::move(detail));
}

bool batch_delete_refused(const std::vector<Reply>& replies) {
  return std::ranges::any_of(replies, [](const Reply& reply) {
    return reply.method == "POST" && has_query_parameter(reply.url, "delete") &&
           (reply.status == 501 || reply.status == 405 ||
            s3::is_unsupported_operation_code(reply.error_code));
  });
}

std::vector<Check> run_probes(ProbeEnvironment& env) {
  std::vector<Check> checks = all_skipped();
  const auto set = [&](Check check) {
    *std::ranges::find(checks, check.id, &Check::id) = std::move(check);
  };
  if (!probe_first_contact(env, checks)) return checks;

  using Probe = Check (*)(ProbeEnvironment&);
  // Report order is check_specs()'s; this is the order the requests go out in.
  static constexpr Probe kProbes[] = {
      probe_put_object,      probe_list_pagination,   probe_get_range,  probe_multipart,
      probe_conditional_put, probe_uploads,           probe_versioning, probe_object_lock,
      probe_delete_objects,  probe_delete_permission,
  };
  for (const Probe probe : kProbes) {
    if (env.stop.stop_requested()) break;  // this and every later check stays skipped
    set(probe(env));
  }
  return checks;
}

}  // namespace erp::doctor
