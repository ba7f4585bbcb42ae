// Provider 2: web identity (EKS IRSA). The pod's projected service-account token
// (AWS_WEB_IDENTITY_TOKEN_FILE, re-read at every refresh: the kubelet rotates it) is traded
// for temporary keys with STS AssumeRoleWithWebIdentity — an unsigned call, form-encoded POST
// to the regional endpoint https://sts.<region>.amazonaws.com (or AWS_ENDPOINT_URL_STS). The
// keys are used until refresh_time() before their Expiration, then fetched again.
#pragma once

#include <string>

#include "s3/credentials/fetch.h"
#include "s3/credentials/provider.h"

namespace erp::s3 {

struct WebIdentityConfig {
  std::string role_arn;      // AWS_ROLE_ARN
  std::string token_file;    // AWS_WEB_IDENTITY_TOKEN_FILE
  std::string session_name;  // AWS_ROLE_SESSION_NAME (default erp-backup-<unix time>)
  std::string sts_endpoint;  // AWS_ENDPOINT_URL_STS, else https://sts.<region>.amazonaws.com
};

class WebIdentityProvider final : public RefreshingProvider {
 public:
  WebIdentityProvider(WebIdentityConfig config, CredentialsHttp http, const Clock& clock);
  std::string_view name() const override {
    return "web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE)";
  }

 protected:
  Result<ExpiringCredentials> fetch() override;

 private:
  WebIdentityConfig config_;
  CredentialsHttp http_;
};

// The <Credentials> of an AssumeRoleWithWebIdentityResponse, or the <Error> of an
// ErrorResponse as an error (permanent; its Code as Error::code).
Result<ExpiringCredentials> parse_assume_role_response(long status, std::string_view body);

}  // namespace erp::s3
