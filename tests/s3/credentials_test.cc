// The credential providers (s3/credentials/): static keys whose files are re-read when they
// change, web identity against a scripted STS, container credentials against a scripted
// endpoint, refresh before expiry on a fake clock, and the provider order and "configured but
// failing" errors of the configuration. No sockets, no sleeping.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

#include "config/s3_config.h"
#include "fakes/scripted_transport.h"
#include "s3/credentials/container.h"
#include "s3/credentials/static_keys.h"
#include "s3/credentials/web_identity.h"
#include "s3/uri_encode.h"

namespace erp::s3 {
namespace {

using namespace std::chrono_literals;
using testing::RecordedRequest;
using testing::Reply;
using testing::ScriptedTransport;
using Vars = std::map<std::string, std::string, std::less<>>;

const std::chrono::sys_seconds kStart =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 30} + 12h;

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// A file that exists for the test's duration; rewrite() replaces it the way Kubernetes does
// (a new inode renamed over the old path).
class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    static std::atomic<int> counter{0};
    path_ =
        std::filesystem::temp_directory_path() /
        ("erp_credentials_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }
  void rewrite(std::string_view content) const {
    const auto next = path_.string() + ".next";
    std::ofstream(next, std::ios::binary) << content;
    std::filesystem::rename(next, path_);
  }

 private:
  std::filesystem::path path_;
};

std::string iso(std::chrono::sys_seconds time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string sts_reply(std::string_view key_id, std::string_view secret, std::string_view token,
                      std::chrono::sys_seconds expiration) {
  return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
         "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>" +
         std::string(key_id) + "</AccessKeyId><SecretAccessKey>" + std::string(secret) +
         "</SecretAccessKey><SessionToken>" + std::string(token) + "</SessionToken><Expiration>" +
         iso(expiration) +
         "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
         "</AssumeRoleWithWebIdentityResponse>";
}

std::string container_reply(std::string_view key_id, std::chrono::sys_seconds expiration) {
  return R"({"AccessKeyId":")" + std::string(key_id) + R"(","SecretAccessKey":"secret-)" +
         std::string(key_id) + R"(","Token":"token-)" + std::string(key_id) +
         R"(","Expiration":")" + iso(expiration) + "\"}";
}

// The decoded value of `name` in a form body.
std::string form_value(std::string_view body, std::string_view name) {
  const std::string prefix = std::string(name) + "=";
  std::size_t at = 0;
  while (at <= body.size()) {
    const std::size_t end = std::min(body.find('&', at), body.size());
    const std::string_view pair = body.substr(at, end - at);
    if (pair.starts_with(prefix)) return uri_decode(pair.substr(prefix.size()));
    at = end + 1;
  }
  return "<absent>";
}

struct Http {
  ScriptedTransport transport;
  http::TransportPool pool{transport.factory()};
  std::vector<std::chrono::milliseconds> sleeps;
  CredentialsHttp config() {
    return CredentialsHttp{.transports = pool,
                           .retry = {.max_attempts = 3},
                           .sleeper = [this](std::chrono::milliseconds delay, std::stop_token) {
                             sleeps.push_back(delay);
                             return true;
                           }};
  }
};

// --- refresh timing --------------------------------------------------------------------------

TEST_CASE("keys are refreshed 5 minutes before they expire, or halfway when they live shorter") {
  CHECK(refresh_time(kStart, kStart + 1h) == kStart + 55min);
  CHECK(refresh_time(kStart, kStart + 10min) == kStart + 5min);
  CHECK(refresh_time(kStart, kStart + 4min) == kStart + 2min);
  CHECK(refresh_time(kStart, kStart - 1s) == kStart);  // already expired: refresh at once
}

// --- static keys -----------------------------------------------------------------------------

TEST_CASE("static keys given directly are handed out unchanged") {
  StaticKeysProvider provider({"AKID", Secret("s3cret"), Secret()}, {});
  const auto keys = provider.current();
  REQUIRE(keys.has_value());
  CHECK((*keys)->access_key_id == "AKID");
  CHECK((*keys)->secret_access_key.reveal() == "s3cret");
  CHECK(provider.name() == "static keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)");
}

TEST_CASE("a rotated key file is read again before the next request, a quiet one is not") {
  TempFile key_id("AKIDOLD\n");
  TempFile secret("secret-old\n");
  StaticKeysProvider provider({"AKIDOLD", Secret("secret-old"), Secret()},
                              {.access_key_id = key_id.path(), .secret_access_key = secret.path()});
  CHECK(provider.name() == "static keys (AWS_ACCESS_KEY_ID_FILE, AWS_SECRET_ACCESS_KEY_FILE)");
  const auto first = provider.current();
  REQUIRE(first.has_value());
  const auto again = provider.current();
  REQUIRE(again.has_value());
  CHECK(again->get() == first->get());  // unchanged files: the same keys, nothing re-read

  key_id.rewrite("AKIDNEW\n");
  secret.rewrite("secret-new\r\n");
  const auto rotated = provider.current();
  REQUIRE(rotated.has_value());
  CHECK((*rotated)->access_key_id == "AKIDNEW");
  CHECK((*rotated)->secret_access_key.reveal() == "secret-new");
  // The keys handed out before stay valid for requests already signing with them.
  CHECK((*first)->access_key_id == "AKIDOLD");
}

TEST_CASE("a key file that vanishes is an error naming the provider and the variable") {
  auto secret = std::make_unique<TempFile>("secret-old");
  StaticKeysProvider provider({"AKID", Secret("secret-old"), Secret()},
                              {.secret_access_key = secret->path()});
  const std::string path = secret->path();
  secret.reset();
  const auto keys = provider.current();
  REQUIRE_FALSE(keys.has_value());
  CHECK(contains(keys.error().message,
                 "static keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY_FILE)"));
  CHECK(contains(keys.error().message, "AWS_SECRET_ACCESS_KEY_FILE: cannot read the file"));
  CHECK_FALSE(contains(keys.error().message, path));  // a path may be a misplaced secret
}

// --- web identity ----------------------------------------------------------------------------

struct WebIdentityHarness {
  TempFile token{"eyJ-token-1\n"};
  Http http;
  FixedClock clock{kStart};
  WebIdentityProvider provider{{.role_arn = "arn:aws:iam::123456789012:role/erp-backup",
                                .token_file = token.path(),
                                .session_name = "erp-backup-test",
                                .sts_endpoint = "https://sts.eu-west-3.amazonaws.com/"},
                               http.config(),
                               clock};
};

TEST_CASE("web identity trades the token file for STS keys with an unsigned form POST") {
  WebIdentityHarness h;
  h.http.transport.push(Reply::ok(sts_reply("ASIAONE", "secret-one", "token-one", kStart + 1h)));
  const auto keys = h.provider.current();
  REQUIRE(keys.has_value());
  CHECK((*keys)->access_key_id == "ASIAONE");
  CHECK((*keys)->secret_access_key.reveal() == "secret-one");
  CHECK((*keys)->session_token.reveal() == "token-one");

  REQUIRE(h.http.transport.request_count() == 1);
  const RecordedRequest request = h.http.transport.request(0);
  CHECK(request.method == "POST");
  CHECK(request.url == "https://sts.eu-west-3.amazonaws.com/");
  CHECK_FALSE(request.header("Authorization").has_value());  // unsigned
  CHECK(contains(request.header("Content-Type").value_or(""), "application/x-www-form-urlencoded"));
  CHECK(form_value(request.body, "Action") == "AssumeRoleWithWebIdentity");
  CHECK(form_value(request.body, "Version") == "2011-06-15");
  CHECK(form_value(request.body, "RoleArn") == "arn:aws:iam::123456789012:role/erp-backup");
  CHECK(form_value(request.body, "RoleSessionName") == "erp-backup-test");
  CHECK(form_value(request.body, "WebIdentityToken") == "eyJ-token-1");
}

TEST_CASE(
    "web identity keys are reused until shortly before Expiration, then fetched again "
    "with the token file read again") {
  WebIdentityHarness h;
  h.http.transport.push(Reply::ok(sts_reply("ASIAONE", "secret-one", "token-one", kStart + 1h)));
  h.http.transport.push(Reply::ok(sts_reply("ASIATWO", "secret-two", "token-two", kStart + 2h)));
  REQUIRE(h.provider.current().has_value());
  h.clock.set(kStart + 54min);
  CHECK(h.provider.current().value()->access_key_id == "ASIAONE");
  CHECK(h.http.transport.request_count() == 1);

  h.token.rewrite("eyJ-token-2");  // the kubelet rotated the projected token
  h.clock.set(kStart + 55min);
  const auto refreshed = h.provider.current();
  REQUIRE(refreshed.has_value());
  CHECK((*refreshed)->access_key_id == "ASIATWO");
  CHECK((*refreshed)->session_token.reveal() == "token-two");
  REQUIRE(h.http.transport.request_count() == 2);
  CHECK(form_value(h.http.transport.request(1).body, "WebIdentityToken") == "eyJ-token-2");
}

TEST_CASE("short-lived web identity keys are refreshed halfway through their life") {
  WebIdentityHarness h;
  h.http.transport.push(Reply::ok(sts_reply("ASIAONE", "s1", "t1", kStart + 60s)));
  h.http.transport.push(Reply::ok(sts_reply("ASIATWO", "s2", "t2", kStart + 120s)));
  REQUIRE(h.provider.current().has_value());
  h.clock.set(kStart + 29s);
  CHECK(h.provider.current().value()->access_key_id == "ASIAONE");
  h.clock.set(kStart + 30s);
  CHECK(h.provider.current().value()->access_key_id == "ASIATWO");
}

TEST_CASE("an STS refusal is an error naming the provider, the role and STS's code, not retried") {
  WebIdentityHarness h;
  h.http.transport.push(Reply::with_status(
      400,
      "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>"
      "Couldn't retrieve verification key from your identity provider</Message></Error>"
      "</ErrorResponse>"));
  const auto keys = h.provider.current();
  REQUIRE_FALSE(keys.has_value());
  CHECK(keys.error().code == "InvalidIdentityToken");
  CHECK(contains(keys.error().message, "web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE)"));
  CHECK(contains(keys.error().message, "arn:aws:iam::123456789012:role/erp-backup"));
  CHECK(contains(keys.error().message, "hint: check AWS_WEB_IDENTITY_TOKEN_FILE"));
  CHECK_FALSE(contains(keys.error().message, "eyJ-token-1"));
  CHECK(h.http.transport.request_count() == 1);
}

TEST_CASE("STS answering 503 is retried under the retry policy") {
  WebIdentityHarness h;
  h.http.transport.push(Reply::with_status(503, "busy"));
  h.http.transport.push(Reply::ok(sts_reply("ASIAONE", "s1", "t1", kStart + 1h)));
  CHECK(h.provider.current().value()->access_key_id == "ASIAONE");
  CHECK(h.http.sleeps.size() == 1);
}

TEST_CASE("a failed refresh is an error, and the next request tries again") {
  WebIdentityHarness h;
  h.http.transport.push(Reply::ok(sts_reply("ASIAONE", "s1", "t1", kStart + 1h)));
  h.http.transport.push(Reply::with_status(403,
                                           "<ErrorResponse><Error><Code>AccessDenied</Code>"
                                           "</Error></ErrorResponse>"));
  h.http.transport.push(Reply::ok(sts_reply("ASIATWO", "s2", "t2", kStart + 3h)));
  REQUIRE(h.provider.current().has_value());
  h.clock.set(kStart + 2h);
  const auto failed = h.provider.current();
  REQUIRE_FALSE(failed.has_value());
  CHECK(contains(failed.error().message, "hint: check AWS_ROLE_ARN"));
  CHECK(h.provider.current().value()->access_key_id == "ASIATWO");
}

// --- container credentials -------------------------------------------------------------------

TEST_CASE(
    "container credentials send the token file's content as Authorization and refresh "
    "before Expiration") {
  TempFile token("pod-identity-token-1\n");
  Http http;
  FixedClock clock{kStart};
  ContainerCredentialsProvider provider({.url = "http://169.254.170.23/v1/credentials",
                                         .url_variable = "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                         .token_file = token.path()},
                                        http.config(), clock);
  CHECK(provider.name() ==
        "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI, "
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)");
  http.transport.push(Reply::ok(container_reply("ASIACONTAINER1", kStart + 6h)));
  http.transport.push(Reply::ok(container_reply("ASIACONTAINER2", kStart + 12h)));
  const auto keys = provider.current();
  REQUIRE(keys.has_value());
  CHECK((*keys)->access_key_id == "ASIACONTAINER1");
  CHECK((*keys)->secret_access_key.reveal() == "secret-ASIACONTAINER1");
  CHECK((*keys)->session_token.reveal() == "token-ASIACONTAINER1");
  const RecordedRequest first = http.transport.request(0);
  CHECK(first.method == "GET");
  CHECK(first.url == "http://169.254.170.23/v1/credentials");
  CHECK(first.header("Authorization") == std::string("pod-identity-token-1"));

  token.rewrite("pod-identity-token-2");
  clock.set(kStart + 5h + 54min);
  CHECK(provider.current().value()->access_key_id == "ASIACONTAINER1");
  clock.set(kStart + 5h + 55min);
  CHECK(provider.current().value()->access_key_id == "ASIACONTAINER2");
  CHECK(http.transport.request(1).header("Authorization") == std::string("pod-identity-token-2"));
}

TEST_CASE("a container endpoint refusing the token is an error naming the token variables") {
  Http http;
  FixedClock clock{kStart};
  ContainerCredentialsProvider provider({.url = "http://127.0.0.1:9/creds",
                                         .url_variable = "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                         .token = Secret("wrong-token")},
                                        http.config(), clock);
  http.transport.push(Reply::with_status(401, R"({"message":"bad token"})"));
  const auto keys = provider.current();
  REQUIRE_FALSE(keys.has_value());
  CHECK(contains(keys.error().message,
                 "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI, "
                 "AWS_CONTAINER_AUTHORIZATION_TOKEN)"));
  CHECK(contains(keys.error().message, "HTTP 401"));
  CHECK(contains(keys.error().message, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
  CHECK_FALSE(contains(keys.error().message, "wrong-token"));
}

TEST_CASE("a container answer without keys is corrupt and echoes nothing of the body") {
  const auto parsed = parse_container_response(R"({"AccessKeyId":"","SecretAccessKey":"leak"})");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().kind == ErrorKind::corrupt);
  CHECK_FALSE(contains(parsed.error().message, "leak"));
}

// --- the provider order in the configuration -------------------------------------------------

Vars base(Vars extra) {
  Vars vars{{"S3_BUCKET", "erp-backups"}, {"AWS_REGION", "eu-west-3"}};
  for (auto& [name, value] : extra) vars[name] = value;
  return vars;
}

Result<config::S3Config> load(Vars vars) {
  return config::load_s3_config(config::MapEnvironment(std::move(vars)));
}

TEST_CASE("static keys come first, then web identity, then container credentials") {
  using Source = config::S3Config::CredentialSource;
  TempFile token("eyJ");
  const Vars web{{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                 {"AWS_WEB_IDENTITY_TOKEN_FILE", token.path()}};
  const Vars container{
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials"},
      {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token.path()}};
  const Vars keys{{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "s"}};

  Vars all = base(web);
  all.insert(container.begin(), container.end());
  all.insert(keys.begin(), keys.end());
  CHECK(load(all).value().credential_source == Source::static_keys);

  Vars no_keys = base(web);
  no_keys.insert(container.begin(), container.end());
  const auto web_config = load(no_keys).value();
  CHECK(web_config.credential_source == Source::web_identity);
  CHECK(web_config.web_identity.role_arn == "arn:aws:iam::1:role/r");
  CHECK(web_config.web_identity.sts_endpoint == "https://sts.eu-west-3.amazonaws.com");
  CHECK(web_config.web_identity.session_name.starts_with("erp-backup-"));

  const auto container_config = load(base(container)).value();
  CHECK(container_config.credential_source == Source::container);
  CHECK(container_config.container.url == "http://169.254.170.23/v1/credentials");
  CHECK(container_config.container.token_file == token.path());

  Vars relative = base({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"}});
  CHECK(load(relative).value().container.url == "http://169.254.170.2/v2/credentials/abc");

  Vars sts = base(web);
  sts["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:5000";
  sts["AWS_ROLE_SESSION_NAME"] = "nightly";
  const auto sts_config = load(sts).value();
  CHECK(sts_config.web_identity.sts_endpoint == "http://127.0.0.1:5000");
  CHECK(sts_config.web_identity.session_name == "nightly");

  // Like the SDKs: without AWS_ENDPOINT_URL_STS the global endpoint serves STS too (MinIO).
  Vars global = base(web);
  global["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9000";
  CHECK(load(global).value().web_identity.sts_endpoint == "http://127.0.0.1:9000");
}

TEST_CASE("a provider configured by halves is a configuration problem, not a fall-through") {
  TempFile token("eyJ");
  const auto no_file = load(base({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}}));
  REQUIRE_FALSE(no_file.has_value());
  CHECK(no_file.error().kind == ErrorKind::config);
  CHECK(contains(no_file.error().message,
                 "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"));

  // Listed with the other S3 problems at once.
  Vars both = base({{"AWS_WEB_IDENTITY_TOKEN_FILE", "/no/such/token"},
                    {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/"}});
  both.erase("S3_BUCKET");
  const auto no_arn = load(both);
  REQUIRE_FALSE(no_arn.has_value());
  CHECK(contains(no_arn.error().message, "missing S3_BUCKET"));
  CHECK(contains(no_arn.error().message,
                 "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"));
  CHECK(contains(no_arn.error().message, "AWS_WEB_IDENTITY_TOKEN_FILE: cannot read the file"));

  const auto remote_http =
      load(base({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://credentials.example.com/x"}}));
  REQUIRE_FALSE(remote_http.has_value());
  CHECK(contains(remote_http.error().message, "plain http is only allowed"));
}

}  // namespace
}  // namespace erp::s3
