#include "config/stale_upload_config.h"

#include "config/s3_config.h"

namespace erp::config {

std::chrono::milliseconds load_stale_upload_age(const Environment& env, Problems& problems) {
  const auto text = env.get("STALE_UPLOAD_AGE");
  if (!text) return kDefaultStaleUploadAge;
  auto age = parse_duration(*text);
  // Sub-second ages are refused: every upload in flight would count as stale.
  if (!age || *age < std::chrono::seconds{1}) {
    problems.add("malformed STALE_UPLOAD_AGE '" + *text +
                 "' (hint: a duration such as 24h, 90m or 2d, at least 1s and longer than a "
                 "backup run; default 24h)");
    return kDefaultStaleUploadAge;
  }
  return *age;
}

Result<std::chrono::milliseconds> load_stale_upload_age(const Environment& env) {
  Problems problems;
  return unless_problems(load_stale_upload_age(env, problems), problems);
}

}  // namespace erp::config
