// Where the signer gets its keys: one CredentialsProvider per process, asked before every
// request, so a run that outlives its credentials (a 3-hour backup with 1-hour IRSA keys, a
// Kubernetes Secret rotated in place) keeps signing with valid ones.
//
// The providers, in the order the AWS SDKs try them (s3_config.cc picks one from the
// environment; a provider that is configured but fails is an error naming it, never a
// silent fall-through to another identity):
//   1. static keys (static_keys.h): AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
//      AWS_SESSION_TOKEN, each also as NAME_FILE, re-read when a file changes;
//   2. web identity (web_identity.h): AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE → STS
//      AssumeRoleWithWebIdentity;
//   3. container credentials (container.h): AWS_CONTAINER_CREDENTIALS_FULL_URI/_RELATIVE_URI
//      with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE) (EKS Pod Identity, ECS).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "s3/sigv4.h"

namespace erp::s3 {

// A set of keys as handed out: immutable, shared by every request signed with it.
using CredentialsPtr = std::shared_ptr<const Credentials>;

// Thread-safe: parts upload concurrently and each asks before signing.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // The keys to sign the next request with. Errors name the provider and the variables
  // that configure it; an error is never answered by trying another provider.
  virtual Result<CredentialsPtr> current() = 0;
  // What the log says was chosen ("web identity (AWS_ROLE_ARN, ...)"): never a secret.
  virtual std::string_view name() const = 0;
};

// Keys that never change (tests, and the presign command's single signature).
class FixedCredentialsProvider final : public CredentialsProvider {
 public:
  explicit FixedCredentialsProvider(Credentials credentials)
      : credentials_(std::make_shared<const Credentials>(std::move(credentials))) {}
  Result<CredentialsPtr> current() override { return credentials_; }
  std::string_view name() const override { return "fixed keys"; }

 private:
  CredentialsPtr credentials_;
};

// Temporary keys and when they stop working (nullopt: they do not expire).
struct ExpiringCredentials {
  Credentials credentials;
  std::optional<std::chrono::sys_seconds> expiration;
};

// When keys fetched at `fetched_at` that expire at `expiration` must be replaced: 5 minutes
// before they expire (what the AWS SDKs do), or halfway through their life when that is
// shorter than 10 minutes, so a short-lived key is never used in its last moments.
std::chrono::sys_seconds refresh_time(std::chrono::sys_seconds fetched_at,
                                      std::chrono::sys_seconds expiration);

// The caching half of every provider that fetches expiring keys: the first call fetches,
// later calls reuse the keys until refresh_time(), then one caller fetches again while the
// others wait for it (one fetch per expiry, not one per part in flight). A failed fetch is
// returned to the caller that made it and tried again by the next caller.
class RefreshingProvider : public CredentialsProvider {
 public:
  // `clock` is borrowed and must outlive the provider (system_clock() in production).
  explicit RefreshingProvider(const Clock& clock) : clock_(clock) {}
  Result<CredentialsPtr> current() final;

 protected:
  // Fetches new keys (network, files). Called with the provider's lock held.
  virtual Result<ExpiringCredentials> fetch() = 0;

 private:
  const Clock& clock_;
  std::mutex mutex_;
  CredentialsPtr cached_;
  std::optional<std::chrono::sys_seconds> refresh_at_;  // nullopt: never
};

}  // namespace erp::s3
