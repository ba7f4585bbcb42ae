// The S3 side of the configuration (SPEC §3), typed and validated.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/environment.h"
#include "config/problems.h"
#include "core/error.h"
#include "core/secret.h"
#include "s3/credentials/container.h"
#include "s3/credentials/static_keys.h"
#include "s3/credentials/web_identity.h"
#include "s3/s3_client.h"

namespace erp::config {

struct S3Config {
  std::string bucket;                // S3_BUCKET (required)
  std::string endpoint;              // AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL / regional AWS
  std::string region = "us-east-1";  // AWS_REGION / AWS_DEFAULT_REGION
  // S3_ADDRESSING_STYLE. Unset: virtual on AWS's own endpoint, path with AWS_ENDPOINT_URL*; and
  // path for a bucket whose name holds a dot over HTTPS (see resolve_addressing).
  s3::AddressingStyle addressing = s3::AddressingStyle::path;
  s3::PayloadSigning payload_signing = s3::PayloadSigning::automatic;  // S3_PAYLOAD_SIGNING
  // Which credential provider signs (s3/credentials/provider.h), the first configured in the
  // AWS SDKs' order: static keys, web identity, container credentials. Only the chosen
  // source's fields below are meaningful.
  enum class CredentialSource { static_keys, web_identity, container };
  CredentialSource credential_source = CredentialSource::static_keys;
  std::string access_key_id;                 // AWS_ACCESS_KEY_ID[_FILE]
  Secret secret_access_key;                  // AWS_SECRET_ACCESS_KEY[_FILE]
  Secret session_token;                      // AWS_SESSION_TOKEN[_FILE] (optional)
  s3::StaticKeyFiles key_files;              // the _FILE paths, re-read when they change
  s3::WebIdentityConfig web_identity;        // AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, ...
  s3::ContainerCredentialsConfig container;  // AWS_CONTAINER_CREDENTIALS_*, ..._TOKEN(_FILE)
  // AWS_CA_BUNDLE: a PEM file holding at least one certificate; when set, its CAs replace the
  // system store (http/curl_transport.h). Verification itself can never be turned off.
  std::string ca_bundle;
  // Parts in flight per stream (S3_UPLOAD_CONCURRENCY). Each costs one part buffer.
  int upload_concurrency = 4;
  // First part size (S3_PART_SIZE); later parts grow (upload/part_schedule.h).
  std::uint64_t part_size = 8ull << 20;
  // Cap on part buffers for the whole process (S3_BUFFER_BUDGET): the main RSS term.
  std::uint64_t buffer_budget = 128ull << 20;
  // A request moving no bytes for this long is abandoned and retried (S3_STALL_TIMEOUT).
  std::chrono::milliseconds stall_timeout{30'000};
  int max_attempts = 7;  // S3_MAX_ATTEMPTS, per request
};

// The variable that names the CA bundle, for hints given far from the configuration.
inline constexpr std::string_view kCaBundleVariable = "AWS_CA_BUNDLE";

// The CA bundle named by the setting `variable` (e.g. AWS_CA_BUNDLE), checked now so a wrong file
// stops the command before any work rather than at its first request: the path when it holds at
// least one PEM certificate; nullopt when the setting is unset, or after adding to `problems` why
// the file is unusable. `store_user` completes the hint "it replaces the system CA store..." (e.g.
// " for the Pushgateway"; empty for S3).
std::optional<std::string> checked_ca_bundle(const Environment& env, std::string_view variable,
                                             std::string_view store_user, Problems& problems);

// The addressing style for `bucket` at `endpoint`; `requested` is S3_ADDRESSING_STYLE (nullopt
// when unset). Virtual-hosted style puts the bucket into the host name, and over HTTPS a bucket
// with a dot ("erp.backups") makes a host ("erp.backups.s3.amazonaws.com") that the endpoint's
// wildcard certificate ("*.s3.amazonaws.com" covers one label) does not match. So:
//   - unset: path with an explicit endpoint, virtual on AWS's own — except a dotted bucket over
//     HTTPS, which falls back to path style (what the AWS SDKs do);
//   - "virtual" with a dotted bucket over HTTPS: an error (kind config) with a hint, because the
//     operator asked for something that fails certificate verification on every request;
//   - over plain HTTP, and for "path", the request is honoured as given.
Result<s3::AddressingStyle> resolve_addressing(std::string_view bucket, std::string_view endpoint,
                                               bool explicit_endpoint,
                                               std::optional<s3::AddressingStyle> requested);

// Reads and validates every S3 setting, adding every missing or malformed variable to
// `problems` by name with a hint; the value is only meaningful when nothing was added. Judged
// here, because they would otherwise only fail at the server: the region's characters (letters,
// digits, '-', '_', '.'), a bucket given as a URL or path, endpoint URLs (config/url_setting.h:
// refused with credentials in them, which are never quoted), a credential holding whitespace, a
// control character or a script's placeholder ("None", "null"; the value is never quoted), and
// AWS_ROLE_SESSION_NAME against STS's rule. Values re-read later from a NAME_FILE (key rotation,
// s3/credentials/static_keys.h) are not judged again.
S3Config load_s3_config(const Environment& env, Problems& problems);
// The same on its own: the error (kind config) lists every problem, one per line.
Result<S3Config> load_s3_config(const Environment& env);

// "8MiB", "5MB", "1GiB", "1048576" → bytes. Errors name nothing; callers add the variable.
Result<std::uint64_t> parse_byte_size(std::string_view text);
// "30s", "26h", "500ms", "2m", "7d", "90" (seconds).
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// Reads NAME or NAME_FILE (a mounted secret; one trailing newline is dropped).
// Both set is an error; neither set gives nullopt.
Result<std::optional<std::string>> read_value_or_file(const Environment& env,
                                                      std::string_view name);

}  // namespace erp::config
