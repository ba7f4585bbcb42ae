#include "s3/credentials/container.h"

#include <nlohmann/json.hpp>

#include "core/secret_file.h"

namespace erp::s3 {

Result<ExpiringCredentials> parse_container_response(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return make_error(ErrorKind::corrupt, "the answer is not a JSON object");
  }
  const auto text = [&](const char* name) -> std::string {
    const auto it = json.find(name);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  ExpiringCredentials out;
  out.credentials.access_key_id = text("AccessKeyId");
  out.credentials.secret_access_key = Secret(text("SecretAccessKey"));
  out.credentials.session_token = Secret(text("Token"));
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty()) {
    return make_error(ErrorKind::corrupt, "the answer has no AccessKeyId/SecretAccessKey");
  }
  if (const std::string expiration = text("Expiration"); !expiration.empty()) {
    auto when = parse_expiration(expiration);
    if (!when) return std::unexpected(when.error());
    out.expiration = *when;
  }
  return out;
}

ContainerCredentialsProvider::ContainerCredentialsProvider(ContainerCredentialsConfig config,
                                                           CredentialsHttp http, const Clock& clock)
    : RefreshingProvider(clock), config_(std::move(config)), http_(std::move(http)) {
  name_ = "container credentials (" + config_.url_variable;
  if (!config_.token_file.empty())
    name_ += ", AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
  else if (!config_.token.empty())
    name_ += ", AWS_CONTAINER_AUTHORIZATION_TOKEN";
  name_ += ")";
}

Result<ExpiringCredentials> ContainerCredentialsProvider::fetch() {
  http::HttpRequest request;
  request.stop = http_.stop;
  request.method = "GET";
  request.url = config_.url;
  request.headers = {{"Accept", "application/json"}};
  Secret token;
  if (!config_.token_file.empty()) {
    auto value = read_secret_file(config_.token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (!value) return std::unexpected(value.error());
    token = Secret(std::move(*value));
  }
  const Secret& authorization = config_.token_file.empty() ? config_.token : token;
  if (!authorization.empty()) {
    request.headers.push_back({"Authorization", std::string(authorization.reveal())});
  }
  const std::string what = "GET " + config_.url;
  auto response = fetch_credentials(http_, request, what);
  // The request's header copy holds the token: wipe it by moving it into a Secret.
  if (!request.headers.empty()) Secret(std::move(request.headers.back().value));
  if (!response) return std::unexpected(response.error());
  if (response->status < 200 || response->status >= 300) {
    std::string message = what + ": HTTP " + std::to_string(response->status);
    if (response->status == 401 || response->status == 403) {
      message +=
          " (hint: the endpoint refused the authorization token: check "
          "AWS_CONTAINER_AUTHORIZATION_TOKEN/AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)";
    }
    return make_error(ErrorKind::permanent, std::move(message),
                      "HTTP" + std::to_string(response->status));
  }
  auto parsed = parse_container_response(response->body);
  if (!parsed) return std::unexpected(parsed.error().with_context(what));
  return parsed;
}

}  // namespace erp::s3
