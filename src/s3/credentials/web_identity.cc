#include "s3/credentials/web_identity.h"

#include <pugixml.hpp>

#include "core/secret_file.h"
#include "s3/uri_encode.h"

namespace erp::s3 {
namespace {

std::string text_of(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_string();
}

}  // namespace

Result<ExpiringCredentials> parse_assume_role_response(long status, std::string_view body) {
  pugi::xml_document doc;
  const bool parsed = static_cast<bool>(doc.load_buffer(body.data(), body.size()));
  const pugi::xml_node root = doc.document_element();
  if (status < 200 || status >= 300) {
    // <ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>...</Message></Error>
    const pugi::xml_node error =
        std::string_view(root.name()) == "Error" ? root : root.child("Error");
    const std::string code = parsed ? text_of(error, "Code") : "";
    std::string message = "STS answered HTTP " + std::to_string(status);
    if (!code.empty()) message += " " + code;
    if (const std::string detail = parsed ? text_of(error, "Message") : ""; !detail.empty()) {
      message += ": " + detail;
    }
    if (code == "InvalidIdentityToken" || code == "ExpiredTokenException") {
      message += " (hint: check AWS_WEB_IDENTITY_TOKEN_FILE: the token is not accepted)";
    } else if (code == "AccessDenied") {
      message += " (hint: check AWS_ROLE_ARN and the role's trust policy)";
    }
    return make_error(ErrorKind::permanent, std::move(message), code);
  }
  const pugi::xml_node credentials =
      root.child("AssumeRoleWithWebIdentityResult").child("Credentials");
  if (!parsed || !credentials) {
    return make_error(ErrorKind::corrupt,
                      "STS reply is not an AssumeRoleWithWebIdentityResponse with <Credentials>");
  }
  ExpiringCredentials out;
  out.credentials.access_key_id = text_of(credentials, "AccessKeyId");
  out.credentials.secret_access_key = Secret(text_of(credentials, "SecretAccessKey"));
  out.credentials.session_token = Secret(text_of(credentials, "SessionToken"));
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty()) {
    return make_error(ErrorKind::corrupt, "STS reply has no AccessKeyId/SecretAccessKey");
  }
  const std::string expiration = text_of(credentials, "Expiration");
  if (expiration.empty()) return make_error(ErrorKind::corrupt, "STS reply has no Expiration");
  auto when = parse_expiration(expiration);
  if (!when) return std::unexpected(when.error().with_context("STS reply"));
  out.expiration = *when;
  return out;
}

WebIdentityProvider::WebIdentityProvider(WebIdentityConfig config, CredentialsHttp http,
                                         const Clock& clock)
    : RefreshingProvider(clock), config_(std::move(config)), http_(std::move(http)) {
  while (config_.sts_endpoint.ends_with('/')) config_.sts_endpoint.pop_back();
}

Result<ExpiringCredentials> WebIdentityProvider::fetch() {
  // The kubelet replaces the token file well before the token expires: read it every time.
  auto token = read_secret_file(config_.token_file, "AWS_WEB_IDENTITY_TOKEN_FILE");
  if (!token) return std::unexpected(token.error());
  const Secret body("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
                    uri_encode(config_.role_arn) + "&RoleSessionName=" +
                    uri_encode(config_.session_name) + "&WebIdentityToken=" + uri_encode(*token));
  const Secret wipe_token(std::move(*token));
  http::HttpRequest request;
  request.stop = http_.stop;
  request.method = "POST";
  request.url = config_.sts_endpoint + "/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                     {"Accept", "application/xml"}};
  request.body = {body.reveal().data(), body.reveal().size()};
  request.has_body = true;
  auto response =
      fetch_credentials(http_, request, "STS AssumeRoleWithWebIdentity at " + config_.sts_endpoint);
  if (!response) return std::unexpected(response.error());
  auto parsed = parse_assume_role_response(response->status, response->body);
  if (!parsed) {
    return std::unexpected(parsed.error().with_context(
        "AssumeRoleWithWebIdentity " + config_.role_arn + " at " + config_.sts_endpoint));
  }
  return parsed;
}

}  // namespace erp::s3
