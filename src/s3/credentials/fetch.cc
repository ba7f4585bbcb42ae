#include "s3/credentials/fetch.h"

#include "s3/xml_replies.h"

namespace erp::s3 {

Result<http::HttpResponse> fetch_credentials(const CredentialsHttp& http,
                                             const http::HttpRequest& request,
                                             std::string_view what) {
  return http::with_retries<http::HttpResponse>(
      http.retry, http.sleeper, http.stop, [&]() -> Result<http::HttpResponse> {
        auto lease = http.transports.take();
        auto response = lease->perform(request, nullptr);
        if (!response) return std::unexpected(response.error().with_context(what));
        const long status = response->status;
        if (status >= 500 || status == 429 || status == 408) {
          return make_error(ErrorKind::transient,
                            std::string(what) + ": HTTP " + std::to_string(status));
        }
        return response;
      });
}

Result<std::chrono::sys_seconds> parse_expiration(std::string_view text) {
  auto time = parse_timestamp(text);
  if (!time) {
    return make_error(ErrorKind::corrupt,
                      "Expiration '" + std::string(text) + "' is not an ISO 8601 UTC time");
  }
  return std::chrono::time_point_cast<std::chrono::seconds>(*time);
}

}  // namespace erp::s3
