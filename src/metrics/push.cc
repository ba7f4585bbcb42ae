#include "metrics/push.h"

#include <openssl/evp.h>

#include <algorithm>

namespace erp::metrics {
namespace {

bool plain(std::string_view value) {
  return !value.empty() && std::ranges::all_of(value, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// RFC 4648 §5 (URL and file name safe alphabet), padded: what the Pushgateway decodes.
std::string base64url(std::string_view value) {
  std::string out(4 * ((value.size() + 2) / 3), '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()));
  out.resize(static_cast<std::size_t>(length));
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  // An empty value is "=" in the Pushgateway's encoding.
  return out.empty() ? "=" : out;
}

void append_pair(std::string& url, std::string_view name, std::string_view value) {
  url += '/';
  url += name;
  if (plain(value)) {
    url += '/';
    url += value;
  } else {
    url += "@base64/";
    url += base64url(value);
  }
}

}  // namespace

std::string group_url(std::string_view base_url, std::string_view job,
                      const std::vector<Label>& grouping) {
  std::string url(base_url);
  url += "/metrics";
  append_pair(url, "job", job);
  for (const Label& label : grouping) append_pair(url, label.name, label.value);
  return url;
}

Result<void> push_group(http::HttpTransport& transport, const std::string& url,
                        std::string_view body, const PushOptions& options) {
  return http::with_retries<void>(options.retry, options.sleeper, {}, [&]() -> Result<void> {
    http::HttpRequest request;
    request.method = "PUT";
    request.url = url;
    request.headers = {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}};
    request.body = std::span<const char>(body.data(), body.size());
    request.has_body = true;
    request.timeout = options.timeout;
    auto response = transport.perform(request, nullptr);
    if (!response) {
      Error error = response.error();
      return std::unexpected(error.with_context("push to " + url));
    }
    if (response->status == 200 || response->status == 202) return {};
    std::string answer = response->body.substr(0, 300);
    while (!answer.empty() && (answer.back() == '\n' || answer.back() == ' ')) answer.pop_back();
    const ErrorKind kind = response->status >= 500 ? ErrorKind::transient : ErrorKind::permanent;
    return make_error(kind, "push to " + url + " answered HTTP " +
                                std::to_string(response->status) +
                                (answer.empty() ? "" : ": " + answer));
  });
}

}  // namespace erp::metrics
