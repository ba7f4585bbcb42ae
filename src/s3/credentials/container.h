// Provider 3: container credentials (EKS Pod Identity, ECS task roles). The agent's endpoint
// (AWS_CONTAINER_CREDENTIALS_FULL_URI, or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI under
// http://169.254.170.2) answers a GET carrying AWS_CONTAINER_AUTHORIZATION_TOKEN (or the
// content of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, re-read at every refresh: EKS rotates
// it) in the Authorization header with JSON {AccessKeyId, SecretAccessKey, Token,
// Expiration}. Refreshed refresh_time() before Expiration.
#pragma once

#include <string>

#include "s3/credentials/fetch.h"
#include "s3/credentials/provider.h"

namespace erp::s3 {

struct ContainerCredentialsConfig {
  std::string url;           // the full URL (FULL_URI, or 169.254.170.2 + RELATIVE_URI)
  std::string url_variable;  // which variable gave it, for messages
  Secret token;              // AWS_CONTAINER_AUTHORIZATION_TOKEN (empty when unset)
  std::string token_file;    // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ("" when unset)
};

class ContainerCredentialsProvider final : public RefreshingProvider {
 public:
  ContainerCredentialsProvider(ContainerCredentialsConfig config, CredentialsHttp http,
                               const Clock& clock);
  std::string_view name() const override { return name_; }

 protected:
  Result<ExpiringCredentials> fetch() override;

 private:
  ContainerCredentialsConfig config_;
  CredentialsHttp http_;
  std::string name_;
};

// The endpoint's JSON answer. Errors name no value of the body (it holds secrets).
Result<ExpiringCredentials> parse_container_response(std::string_view body);

}  // namespace erp::s3
