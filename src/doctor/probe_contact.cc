// First contact: the credential provider, then one read-only ListObjectsV2 of the run prefix.
// Which of endpoint, credentials, region_clock and bucket failed is told by how far the request
// got: no HTTP answer (the endpoint), a refused signature (the credentials), a refused region or
// clock, or the bucket's own answer.
#include <algorithm>
#include <array>

#include "doctor/probe_steps.h"
#include "http/curl_transport.h"

namespace erp::doctor {
namespace {

constexpr std::array<std::string_view, 6> kCredentialCodes = {
    "SignatureDoesNotMatch", "InvalidAccessKeyId",   "InvalidToken",
    "ExpiredToken",          "InvalidClientTokenId", "TokenRefreshRequired"};
constexpr std::array<std::string_view, 4> kRegionCodes = {
    "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException",
    "RequestTimeTooSkewed"};

bool one_of(std::string_view code, std::span<const std::string_view> codes) {
  return std::ranges::find(codes, code) != codes.end();
}

void set(std::vector<Check>& checks, Check check) {
  *std::ranges::find(checks, check.id, &Check::id) = std::move(check);
}

// The endpoint answered HTTP: is the transport what production needs?
Check judge_endpoint(const config::S3Config& config) {
  if (config.endpoint.starts_with("https://")) {
    return ok(CheckId::endpoint,
              config.endpoint + ": TLS, certificate verified against " +
                  (config.ca_bundle.empty() ? std::string("the system CA store")
                                            : "AWS_CA_BUNDLE " + config.ca_bundle));
  }
  return degraded(CheckId::endpoint,
                  config.endpoint +
                      ": plain HTTP, no TLS: the data and the requests travel unencrypted; each "
                      "payload is signed with its SHA-256 (S3_PAYLOAD_SIGNING), so the store "
                      "detects tampering",
                  "an https:// endpoint (AWS_ENDPOINT_URL_S3) outside a trusted network");
}

}  // namespace

bool probe_first_contact(ProbeEnvironment& env, std::vector<Check>& checks) {
  const auto& provider = env.store.credentials_provider();
  const std::string provider_name(provider->name());
  if (auto keys = provider->current(); !keys) {
    if (keys.error().kind == ErrorKind::cancelled) return false;
    set(checks, failed(CheckId::credentials, provider_name + ": " + keys.error().message,
                       "the settings of that provider (README, Credentials): " + provider_name));
    return false;
  }

  const std::size_t mark = env.replies.size();
  auto first = env.store.list_objects_v2(env.ledger.prefix(), "", "", 1);
  const std::vector<Reply> seen = env.replies.since(mark);
  if (!first && first.error().kind == ErrorKind::cancelled) return false;

  const bool answered = std::ranges::any_of(seen, [](const Reply& r) { return r.status != 0; });
  if (!answered) {
    const Error& error = first.error();
    set(checks,
        failed(CheckId::endpoint, error.message,
               error.code == http::kTlsCertificateCode
                   ? "AWS_CA_BUNDLE (a PEM file with the CA that signed the endpoint's "
                     "certificate) or AWS_ENDPOINT_URL_S3"
                   : "AWS_ENDPOINT_URL_S3 (scheme, host and port), and the network path to it"));
    return false;
  }
  set(checks, judge_endpoint(env.config));

  const std::string code = first ? std::string() : first.error().code;
  if (one_of(code, kCredentialCodes)) {
    set(checks, failed(CheckId::credentials, provider_name + ": " + first.error().message,
                       "the keys that provider reads (README, Credentials): " + provider_name));
    return false;
  }
  set(checks, ok(CheckId::credentials, provider_name + ": the store accepted its signature"));

  if (one_of(code, kRegionCodes)) {
    set(checks, failed(CheckId::region_clock, first.error().message,
                       code == "RequestTimeTooSkewed" ? "fix this host's clock (NTP)"
                                                      : "AWS_REGION (and AWS_ENDPOINT_URL_S3)"));
    return false;
  }
  set(checks, judge_region_clock(env.config.region, env.corrections.clock_offset(),
                                 env.corrections.region(), seen, env.clock.now()));

  if (!first) {
    const Error& error = first.error();
    std::string fix = "see the error above";
    if (code == "NoSuchBucket") {
      fix = "S3_BUCKET names a bucket that does not exist at " + env.config.endpoint +
            ": create it, or correct S3_BUCKET / AWS_ENDPOINT_URL_S3";
    } else if (code == "AccessDenied") {
      fix = "grant the credentials s3:ListBucket on bucket " + env.config.bucket + " (prefix " +
            env.ledger.prefix() + ")";
    }
    set(checks, failed(CheckId::bucket, "bucket " + env.config.bucket + ": " + error.message,
                       std::move(fix)));
    return false;
  }
  set(checks, ok(CheckId::bucket, "s3://" + env.config.bucket + " lists (ListObjectsV2)"));
  return true;
}

}  // namespace erp::doctor
