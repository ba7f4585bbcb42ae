// The S3 side of the configuration (SPEC §3): every variable, its default, which of two
// names wins, the _FILE forms of the credentials, and the errors an operator sees.
#include "config/s3_config.h"

#include <doctest/doctest.h>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace erp::config {
namespace {

using namespace std::chrono_literals;
using Vars = std::map<std::string, std::string, std::less<>>;

constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kGiB = 1ull << 30;

// Distinctive enough that finding it anywhere in a message can only mean a leak.
constexpr std::string_view kSecret = "SeCrEt/zq8Kx+LEAKCANARY+Wq0pT9vR2mN5";
constexpr std::string_view kToken = "ToKeN/FwoGZXIvYXdzELEAKCANARY//token";

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The three required variables; tests add or override the rest.
Vars required(Vars extra = {}) {
  Vars vars{{"S3_BUCKET", "erp-backups"},
            {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
            {"AWS_SECRET_ACCESS_KEY", std::string(kSecret)}};
  for (auto& [name, value] : extra) vars[name] = value;
  return vars;
}

Result<S3Config> load(Vars vars) {
  return load_s3_config(MapEnvironment(std::move(vars)));
}

// A file that exists for the test's duration, e.g. a mounted secret.
class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("erp_s3_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// The lines of a multi-problem message that mention `name`.
std::vector<std::string> lines_naming(std::string_view message, std::string_view name) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= message.size()) {
    const std::size_t end = std::min(message.find('\n', start), message.size());
    const std::string_view line = message.substr(start, end - start);
    if (contains(line, name)) lines.emplace_back(line);
    start = end + 1;
  }
  return lines;
}

// --- defaults ---------------------------------------------------------------------

TEST_CASE("with only the required variables every other setting takes its documented default") {
  const auto config = load(required());
  REQUIRE(config.has_value());
  CHECK(config->bucket == "erp-backups");
  CHECK(config->region == "us-east-1");
  CHECK(config->endpoint == "https://s3.us-east-1.amazonaws.com");
  CHECK(config->addressing == s3::AddressingStyle::virtual_host);
  CHECK(config->payload_signing == s3::PayloadSigning::automatic);
  CHECK(config->access_key_id == "AKIDEXAMPLE");
  CHECK(config->secret_access_key.reveal() == kSecret);
  CHECK(config->session_token.empty());
  CHECK(config->ca_bundle.empty());
  CHECK(config->upload_concurrency == 4);
  CHECK(config->part_size == 8 * kMiB);
  CHECK(config->buffer_budget == 128 * kMiB);
  CHECK(config->stall_timeout == 30s);
  CHECK(config->max_attempts == 7);
}

TEST_CASE("without an endpoint the regional AWS endpoint of the signing region is used") {
  const auto config = load(required({{"AWS_REGION", "eu-west-3"}}));
  REQUIRE(config.has_value());
  CHECK(config->endpoint == "https://s3.eu-west-3.amazonaws.com");
  CHECK(config->region == "eu-west-3");
  CHECK(config->addressing == s3::AddressingStyle::virtual_host);
}

TEST_CASE("an endpoint makes path style the default addressing") {
  SUBCASE("AWS_ENDPOINT_URL") {
    const auto config = load(required({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"}}));
    REQUIRE(config.has_value());
    CHECK(config->endpoint == "http://127.0.0.1:9000");
    CHECK(config->addressing == s3::AddressingStyle::path);
  }
  SUBCASE("AWS_ENDPOINT_URL_S3") {
    const auto config = load(required({{"AWS_ENDPOINT_URL_S3", "https://storage.googleapis.com"}}));
    REQUIRE(config.has_value());
    CHECK(config->endpoint == "https://storage.googleapis.com");
    CHECK(config->addressing == s3::AddressingStyle::path);
  }
}

TEST_CASE("AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL") {
  const auto config = load(required({{"AWS_ENDPOINT_URL_S3", "https://storage.googleapis.com"},
                                     {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"}}));
  REQUIRE(config.has_value());
  CHECK(config->endpoint == "https://storage.googleapis.com");
}

TEST_CASE("AWS_REGION wins over AWS_DEFAULT_REGION, which is used alone") {
  SUBCASE("both set") {
    const auto config =
        load(required({{"AWS_REGION", "eu-west-3"}, {"AWS_DEFAULT_REGION", "us-west-2"}}));
    REQUIRE(config.has_value());
    CHECK(config->region == "eu-west-3");
  }
  SUBCASE("only AWS_DEFAULT_REGION") {
    const auto config = load(required({{"AWS_DEFAULT_REGION", "us-west-2"}}));
    REQUIRE(config.has_value());
    CHECK(config->region == "us-west-2");
    CHECK(config->endpoint == "https://s3.us-west-2.amazonaws.com");
  }
  SUBCASE("auto, as GCS wants it") {
    const auto config = load(required(
        {{"AWS_REGION", "auto"}, {"AWS_ENDPOINT_URL_S3", "https://storage.googleapis.com"}}));
    REQUIRE(config.has_value());
    CHECK(config->region == "auto");
  }
}

TEST_CASE("an empty variable counts as unset, so the next name or the default applies") {
  const auto config = load(required({{"AWS_ENDPOINT_URL_S3", ""},
                                     {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"},
                                     {"AWS_REGION", ""},
                                     {"AWS_DEFAULT_REGION", "eu-central-1"},
                                     {"S3_UPLOAD_CONCURRENCY", ""},
                                     {"AWS_SESSION_TOKEN", ""}}));
  REQUIRE(config.has_value());
  CHECK(config->endpoint == "http://127.0.0.1:9000");
  CHECK(config->region == "eu-central-1");
  CHECK(config->upload_concurrency == 4);
  CHECK(config->session_token.empty());
}

TEST_CASE("S3_ADDRESSING_STYLE overrides the default in both directions") {
  SUBCASE("path on AWS") {
    const auto config = load(required({{"S3_ADDRESSING_STYLE", "path"}}));
    REQUIRE(config.has_value());
    CHECK(config->addressing == s3::AddressingStyle::path);
  }
  SUBCASE("virtual with an endpoint") {
    const auto config = load(required(
        {{"AWS_ENDPOINT_URL", "http://minio.local:9000"}, {"S3_ADDRESSING_STYLE", "virtual"}}));
    REQUIRE(config.has_value());
    CHECK(config->addressing == s3::AddressingStyle::virtual_host);
  }
}

// --- virtual-hosted style and dotted bucket names ------------------------------------

TEST_CASE("a bucket with a dot falls back to path style on AWS's HTTPS endpoint") {
  const auto config = load(required({{"S3_BUCKET", "erp.backups.example"}}));
  REQUIRE(config.has_value());
  CHECK(config->endpoint == "https://s3.us-east-1.amazonaws.com");
  CHECK(config->addressing == s3::AddressingStyle::path);
}

TEST_CASE("a bucket without a dot keeps virtual-hosted style on AWS") {
  const auto config = load(required({{"S3_BUCKET", "erp-backups"}}));
  REQUIRE(config.has_value());
  CHECK(config->addressing == s3::AddressingStyle::virtual_host);
}

TEST_CASE("S3_ADDRESSING_STYLE=virtual with a dotted bucket over HTTPS is refused with a hint") {
  const auto config = load(required({{"S3_BUCKET", "erp.backups"},
                                     {"AWS_ENDPOINT_URL_S3", "https://s3.example.com"},
                                     {"S3_ADDRESSING_STYLE", "virtual"}}));
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().kind == ErrorKind::config);
  CHECK(contains(config.error().message,
                 "S3_ADDRESSING_STYLE=virtual cannot reach bucket 'erp.backups' over HTTPS"));
  CHECK(contains(config.error().message, "(hint: set S3_ADDRESSING_STYLE=path"));
}

TEST_CASE("a dotted bucket is addressed as asked where no certificate is involved") {
  SUBCASE("virtual over plain HTTP") {
    const auto config = load(required({{"S3_BUCKET", "erp.backups"},
                                       {"AWS_ENDPOINT_URL_S3", "http://minio.local:9000"},
                                       {"S3_ADDRESSING_STYLE", "virtual"}}));
    REQUIRE(config.has_value());
    CHECK(config->addressing == s3::AddressingStyle::virtual_host);
  }
  SUBCASE("path over HTTPS") {
    const auto config =
        load(required({{"S3_BUCKET", "erp.backups"}, {"S3_ADDRESSING_STYLE", "path"}}));
    REQUIRE(config.has_value());
    CHECK(config->addressing == s3::AddressingStyle::path);
  }
}

TEST_CASE("resolve_addressing: every combination of style, endpoint and bucket name") {
  using s3::AddressingStyle;
  struct Row {
    std::string_view bucket, endpoint;
    bool explicit_endpoint;
    std::optional<AddressingStyle> requested;
    std::optional<AddressingStyle> expected;  // nullopt: refused
  };
  constexpr auto path = AddressingStyle::path;
  constexpr auto virt = AddressingStyle::virtual_host;
  const std::string_view aws = "https://s3.eu-west-3.amazonaws.com";
  const std::vector<Row> rows = {
      {"plain", aws, false, std::nullopt, virt},
      {"with.dot", aws, false, std::nullopt, path},
      {"with.dot", aws, false, path, path},
      {"with.dot", aws, false, virt, std::nullopt},
      {"plain", aws, false, virt, virt},
      {"plain", "https://minio:9000", true, std::nullopt, path},
      {"with.dot", "https://minio:9000", true, std::nullopt, path},
      {"with.dot", "https://minio:9000", true, virt, std::nullopt},
      {"plain", "https://minio:9000", true, virt, virt},
      {"with.dot", "http://minio:9000", true, virt, virt},
      {"with.dot", "http://minio:9000", true, std::nullopt, path},
  };
  for (const Row& row : rows) {
    CAPTURE(row.bucket);
    CAPTURE(row.endpoint);
    CAPTURE(row.requested.has_value());
    const auto got =
        resolve_addressing(row.bucket, row.endpoint, row.explicit_endpoint, row.requested);
    if (row.expected) {
      REQUIRE(got.has_value());
      CHECK(*got == *row.expected);
    } else {
      REQUIRE_FALSE(got.has_value());
      CHECK(got.error().kind == ErrorKind::config);
    }
  }
}

TEST_CASE("S3_PAYLOAD_SIGNING accepts auto, always and never") {
  const std::pair<std::string, s3::PayloadSigning> cases[] = {
      {"auto", s3::PayloadSigning::automatic},
      {"always", s3::PayloadSigning::always},
      {"never", s3::PayloadSigning::never}};
  for (const auto& [text, mode] : cases) {
    CAPTURE(text);
    const auto config = load(required({{"S3_PAYLOAD_SIGNING", text}}));
    REQUIRE(config.has_value());
    CHECK(config->payload_signing == mode);
  }
}

TEST_CASE("the tuning variables are read with their units") {
  const auto config = load(required({{"S3_UPLOAD_CONCURRENCY", "16"},
                                     {"S3_PART_SIZE", "16MiB"},
                                     {"S3_BUFFER_BUDGET", "1GiB"},
                                     {"S3_STALL_TIMEOUT", "2m"},
                                     {"S3_MAX_ATTEMPTS", "3"}}));
  REQUIRE(config.has_value());
  CHECK(config->upload_concurrency == 16);
  CHECK(config->part_size == 16 * kMiB);
  CHECK(config->buffer_budget == kGiB);
  CHECK(config->stall_timeout == 2min);
  CHECK(config->max_attempts == 3);
}

TEST_CASE("the tuning limits are inclusive") {
  SUBCASE("smallest") {
    const auto config = load(required({{"S3_UPLOAD_CONCURRENCY", "1"},
                                       {"S3_PART_SIZE", "5MiB"},
                                       {"S3_STALL_TIMEOUT", "1s"},
                                       {"S3_MAX_ATTEMPTS", "1"}}));
    REQUIRE(config.has_value());
    CHECK(config->upload_concurrency == 1);
    CHECK(config->part_size == 5 * kMiB);
    CHECK(config->stall_timeout == 1s);
    CHECK(config->max_attempts == 1);
  }
  SUBCASE("largest") {
    const auto config = load(required({{"S3_UPLOAD_CONCURRENCY", "64"},
                                       {"S3_PART_SIZE", "5GiB"},
                                       {"S3_BUFFER_BUDGET", "10GiB"},
                                       {"S3_MAX_ATTEMPTS", "20"}}));
    REQUIRE(config.has_value());
    CHECK(config->upload_concurrency == 64);
    CHECK(config->part_size == 5 * kGiB);
    CHECK(config->max_attempts == 20);
  }
  SUBCASE("a budget of exactly two parts") {
    const auto config = load(required({{"S3_PART_SIZE", "64MiB"}, {"S3_BUFFER_BUDGET", "128MiB"}}));
    REQUIRE(config.has_value());
    CHECK(config->buffer_budget == 2 * config->part_size);
  }
}

TEST_CASE("AWS_SESSION_TOKEN is optional and kept as a Secret") {
  const auto config = load(required({{"AWS_SESSION_TOKEN", std::string(kToken)}}));
  REQUIRE(config.has_value());
  CHECK(config->session_token.reveal() == kToken);
}

// A self-signed CA (EC P-256, valid until 2126), made with `openssl req -x509` for these tests.
constexpr std::string_view kCaCertificate =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBmzCCAUGgAwIBAgIUfDbsMRYs/yzYK4V82F/szAGMO5YwCgYIKoZIzj0EAwIw\n"
    "IjEgMB4GA1UEAwwXZXJwLWJhY2t1cCB1bml0IHRlc3QgQ0EwIBcNMjYxMTMwMTU1\n"
    "OTA5WhgPMjEyNjExMDYxNTU5MDlaMCIxIDAeBgNVBAMMF2VycC1iYWNrdXAgdW5p\n"
    "dCB0ZXN0IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEI7qHWGiYpG5z9Ep8\n"
    "wzLFJ7GTY91xjqLyzSpdf07yjdtp+2k7mySnxH3cjbCGRESTEd2qrsdyuvpm4H0c\n"
    "yNiHtqNTMFEwHQYDVR0OBBYEFMwUHx9WkkchVOx7iCyMqy+oC/klMB8GA1UdIwQY\n"
    "MBaAFMwUHx9WkkchVOx7iCyMqy+oC/klMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZI\n"
    "zj0EAwIDSAAwRQIgDXg4f+bkqDMs/jRPvx7wBsyW+xfUGQqnvEIb/3ABUOYCIQDX\n"
    "GNloPhtxoqL/xR5jJjARdzrFo9Gu4zuBf04jhanSFg==\n"
    "-----END CERTIFICATE-----\n";

TEST_CASE("AWS_CA_BUNDLE names a readable PEM file of certificates") {
  const TempFile bundle(kCaCertificate);
  const auto config = load(required({{"AWS_CA_BUNDLE", bundle.path()}}));
  REQUIRE(config.has_value());
  CHECK(config->ca_bundle == bundle.path());
}

TEST_CASE(
    "an AWS_CA_BUNDLE of several certificates, e.g. the system bundle plus one, is accepted") {
  const TempFile bundle(std::string(kCaCertificate) + "\n# a comment between blocks\n" +
                        std::string(kCaCertificate));
  const auto config = load(required({{"AWS_CA_BUNDLE", bundle.path()}}));
  REQUIRE(config.has_value());
  CHECK(config->ca_bundle == bundle.path());
}

TEST_CASE("an AWS_CA_BUNDLE without a certificate is a config error naming it, at load time") {
  SUBCASE("a truncated PEM block") {
    const TempFile bundle("-----BEGIN CERTIFICATE-----\n");
    const auto config = load(required({{"AWS_CA_BUNDLE", bundle.path()}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().kind == ErrorKind::config);
    CHECK(contains(config.error().message,
                   "AWS_CA_BUNDLE: " + bundle.path() + " holds no PEM certificate (hint:"));
  }
  SUBCASE("text that is not PEM at all") {
    const TempFile bundle("not a certificate\n");
    const auto config = load(required({{"AWS_CA_BUNDLE", bundle.path()}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(contains(config.error().message, "holds no PEM certificate"));
  }
  SUBCASE("a file that does not exist") {
    const auto config = load(required({{"AWS_CA_BUNDLE", "/nonexistent/ca.pem"}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(
        contains(config.error().message, "AWS_CA_BUNDLE: cannot read /nonexistent/ca.pem (hint:"));
  }
}

// --- the _FILE forms -------------------------------------------------------------

TEST_CASE("each credential can be read from NAME_FILE, dropping one trailing newline") {
  const TempFile key_id("AKIDFROMFILE\n");
  const TempFile secret(std::string(kSecret) + "\n");
  const TempFile token(std::string(kToken) + "\r\n");
  const auto config = load({{"S3_BUCKET", "erp-backups"},
                            {"AWS_ACCESS_KEY_ID_FILE", key_id.path()},
                            {"AWS_SECRET_ACCESS_KEY_FILE", secret.path()},
                            {"AWS_SESSION_TOKEN_FILE", token.path()}});
  REQUIRE(config.has_value());
  CHECK(config->access_key_id == "AKIDFROMFILE");
  CHECK(config->secret_access_key.reveal() == kSecret);
  CHECK(config->session_token.reveal() == kToken);
}

TEST_CASE("read_value_or_file reads NAME, or NAME_FILE without its one trailing newline") {
  SUBCASE("neither set") {
    const auto value = read_value_or_file(MapEnvironment({}), "PGPASSWORD");
    REQUIRE(value.has_value());
    CHECK_FALSE(value->has_value());
  }
  SUBCASE("the variable itself") {
    const auto value = read_value_or_file(MapEnvironment(Vars{{"PGPASSWORD", "pw"}}), "PGPASSWORD");
    REQUIRE(value.has_value());
    CHECK(**value == "pw");
  }
  SUBCASE("a file without a newline is taken as is") {
    const TempFile file("pw");
    const auto value =
        read_value_or_file(MapEnvironment(Vars{{"PGPASSWORD_FILE", file.path()}}), "PGPASSWORD");
    REQUIRE(value.has_value());
    CHECK(**value == "pw");
  }
  SUBCASE("only one trailing newline is dropped") {
    const TempFile file("pw\n\n");
    const auto value =
        read_value_or_file(MapEnvironment(Vars{{"PGPASSWORD_FILE", file.path()}}), "PGPASSWORD");
    REQUIRE(value.has_value());
    CHECK(**value == "pw\n");
  }
  SUBCASE("inner newlines and spaces are kept") {
    const TempFile file(" p w\nx \n");
    const auto value =
        read_value_or_file(MapEnvironment(Vars{{"PGPASSWORD_FILE", file.path()}}), "PGPASSWORD");
    REQUIRE(value.has_value());
    CHECK(**value == " p w\nx ");
  }
}

TEST_CASE("NAME and NAME_FILE both set is an error naming both") {
  const TempFile secret(std::string(kSecret) + "\n");
  const auto config = load(required({{"AWS_SECRET_ACCESS_KEY_FILE", secret.path()}}));
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().kind == ErrorKind::config);
  CHECK(contains(config.error().message, "AWS_SECRET_ACCESS_KEY and AWS_SECRET_ACCESS_KEY_FILE"));
  CHECK(contains(config.error().message, "(hint:"));
  CHECK_FALSE(contains(config.error().message, kSecret));
}

// The value of NAME_FILE is not echoed: an operator who pasted the secret itself into it by
// mistake must not find the secret in the log.
TEST_CASE("an unreadable NAME_FILE is an error naming the variable, not its value, with a hint") {
  const std::string missing =
      (std::filesystem::temp_directory_path() / "erp_s3_config_test_no_such_file").string();
  const auto config = load({{"S3_BUCKET", "erp-backups"},
                            {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                            {"AWS_SECRET_ACCESS_KEY_FILE", missing}});
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().kind == ErrorKind::config);
  const auto lines = lines_naming(config.error().message, "AWS_SECRET_ACCESS_KEY_FILE");
  REQUIRE(lines.size() == 1);
  CHECK_FALSE(contains(lines[0], missing));
  CHECK(contains(lines[0], "(hint:"));
}

TEST_CASE("an empty NAME_FILE is an error, not an empty credential") {
  const TempFile empty("");
  const auto config = load({{"S3_BUCKET", "erp-backups"},
                            {"AWS_ACCESS_KEY_ID_FILE", empty.path()},
                            {"AWS_SECRET_ACCESS_KEY", std::string(kSecret)}});
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().kind == ErrorKind::config);
  CHECK(lines_naming(config.error().message, "AWS_ACCESS_KEY_ID_FILE").size() == 1);
}

// --- errors -----------------------------------------------------------------------

TEST_CASE("with nothing set, one error lists every missing variable, each with a hint") {
  const auto config = load({});
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().kind == ErrorKind::config);
  for (const std::string_view name : {"S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}) {
    CAPTURE(name);
    const auto lines =
        lines_naming(config.error().message, std::string("missing ") + std::string(name));
    REQUIRE(lines.size() == 1);
    CHECK(contains(lines[0], "(hint:"));
  }
  CHECK_FALSE(contains(config.error().message, "AWS_SESSION_TOKEN"));  // optional
}

TEST_CASE("each missing required variable is reported alone when the others are set") {
  for (const std::string_view name : {"S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}) {
    CAPTURE(name);
    Vars vars = required();
    vars.erase(vars.find(name));
    const auto config = load(vars);
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().kind == ErrorKind::config);
    CHECK(contains(config.error().message, "missing " + std::string(name) + " (hint:"));
  }
}

struct Malformed {
  std::string_view variable;
  std::string_view value;
};

constexpr Malformed kMalformed[] = {
    {"S3_PART_SIZE", "4MiB"},     // below S3's 5 MiB minimum part
    {"S3_PART_SIZE", "5242879"},  // one byte below
    {"S3_PART_SIZE", "6GiB"},     // above S3's 5 GiB maximum part
    {"S3_PART_SIZE", "eight"},
    {"S3_UPLOAD_CONCURRENCY", "0"},
    {"S3_UPLOAD_CONCURRENCY", "65"},
    {"S3_UPLOAD_CONCURRENCY", "-1"},
    {"S3_UPLOAD_CONCURRENCY", "4x"},
    {"S3_ADDRESSING_STYLE", "bogus"},
    {"S3_PAYLOAD_SIGNING", "sometimes"},
    {"S3_BUFFER_BUDGET", "lots"},
    {"S3_BUFFER_BUDGET", "128TiB"},
    {"S3_STALL_TIMEOUT", "500ms"},  // below 1 s
    {"S3_STALL_TIMEOUT", "10x"},
    {"S3_MAX_ATTEMPTS", "0"},
    {"S3_MAX_ATTEMPTS", "21"},
    {"AWS_ENDPOINT_URL", "127.0.0.1:9000"},  // no scheme
    {"AWS_ENDPOINT_URL", "ftp://host"},
    {"AWS_ENDPOINT_URL", "http://"},  // no host
    {"AWS_ENDPOINT_URL_S3", "https://host/?x=1"},
    {"AWS_ENDPOINT_URL", "http://127.0.0.1:abc"},  // found late before issue 17: exit 1
    {"AWS_ENDPOINT_URL", "http://minio local:9000"},
    {"AWS_CA_BUNDLE", "/nonexistent/erp-ca.pem"},
    {"AWS_REGION", "eu west"},  // found late before issue 17: SignatureDoesNotMatch, exit 1
    {"AWS_REGION", "eu-west-3/s3"},
    {"AWS_DEFAULT_REGION", "us east 1"},
    {"S3_BUCKET", "s3://erp-backups"},
    {"S3_BUCKET", "erp-backups/prod"},
    {"S3_BUCKET", "erp backups"},
    {"S3_BUCKET", "ab"},
};

TEST_CASE("a malformed value is a config error naming the variable and the value, with a hint") {
  for (const auto& [variable, value] : kMalformed) {
    CAPTURE(variable);
    CAPTURE(value);
    const auto config = load(required({{std::string(variable), std::string(value)}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().kind == ErrorKind::config);
    const auto lines = lines_naming(config.error().message, variable);
    REQUIRE(lines.size() == 1);
    CHECK(contains(lines[0], value));
    CHECK(contains(lines[0], "(hint:"));
  }
}

TEST_CASE("a buffer budget smaller than two parts is an error naming both variables") {
  const auto config = load(required({{"S3_PART_SIZE", "64MiB"}, {"S3_BUFFER_BUDGET", "100MiB"}}));
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().kind == ErrorKind::config);
  const auto lines = lines_naming(config.error().message, "S3_BUFFER_BUDGET");
  REQUIRE(lines.size() == 1);
  CHECK(contains(lines[0], "S3_PART_SIZE"));
  CHECK(contains(lines[0], "(hint:"));
}

TEST_CASE("several malformed values are all reported in one error, one per line") {
  const auto config = load({{"S3_UPLOAD_CONCURRENCY", "0"},
                            {"S3_ADDRESSING_STYLE", "bogus"},
                            {"S3_PART_SIZE", "1MiB"},
                            {"AWS_SECRET_ACCESS_KEY", std::string(kSecret)}});
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().kind == ErrorKind::config);
  const std::string& message = config.error().message;
  for (const std::string_view name : {"S3_BUCKET", "AWS_ACCESS_KEY_ID", "S3_UPLOAD_CONCURRENCY",
                                      "S3_ADDRESSING_STYLE", "S3_PART_SIZE"}) {
    CAPTURE(name);
    CHECK(lines_naming(message, name).size() == 1);
  }
}

TEST_CASE("no configuration error ever contains the secret or the session token") {
  SUBCASE("set directly, with every other variable malformed") {
    Vars vars = required({{"AWS_SESSION_TOKEN", std::string(kToken)}});
    for (const auto& [variable, value] : kMalformed) vars[std::string(variable)] = value;
    const auto config = load(vars);
    REQUIRE_FALSE(config.has_value());
    CHECK_FALSE(contains(config.error().message, kSecret));
    CHECK_FALSE(contains(config.error().message, kToken));
  }
  SUBCASE("both forms set") {
    const TempFile secret(std::string(kSecret) + "\n");
    const TempFile token(std::string(kToken) + "\n");
    const auto config = load(required({{"AWS_SECRET_ACCESS_KEY_FILE", secret.path()},
                                       {"AWS_SESSION_TOKEN", std::string(kToken)},
                                       {"AWS_SESSION_TOKEN_FILE", token.path()}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(contains(config.error().message, "AWS_SESSION_TOKEN and AWS_SESSION_TOKEN_FILE"));
    CHECK_FALSE(contains(config.error().message, kSecret));
    CHECK_FALSE(contains(config.error().message, kToken));
  }
  SUBCASE("read from files, with the bucket missing") {
    const TempFile secret(std::string(kSecret) + "\n");
    const auto config =
        load({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY_FILE", secret.path()}});
    REQUIRE_FALSE(config.has_value());
    CHECK_FALSE(contains(config.error().message, kSecret));
  }
}

// --- parse_byte_size / parse_duration ---------------------------------------------

struct SizeCase {
  std::string_view text;
  std::uint64_t bytes;
};

constexpr SizeCase kSizes[] = {
    {"0", 0},
    {"1048576", 1048576},
    {"7b", 7},
    {"7B", 7},
    {"10k", 10'000},
    {"10kb", 10'000},
    {"10KiB", 10 * 1024},
    {"5MB", 5'000'000},
    {"5m", 5'000'000},
    {"8MiB", 8 * kMiB},
    {"8mib", 8 * kMiB},
    {"8MIB", 8 * kMiB},
    {"1GB", 1'000'000'000},
    {"1g", 1'000'000'000},
    {"1GiB", kGiB},
    {"16GiB", 16 * kGiB},
};

TEST_CASE("parse_byte_size reads a number with an optional decimal or binary unit") {
  for (const auto& [text, bytes] : kSizes) {
    CAPTURE(text);
    const auto parsed = parse_byte_size(text);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == bytes);
  }
}

TEST_CASE("parse_byte_size rejects anything else as a config error") {
  for (const std::string_view text :
       {"", "MiB", "-1", "+1", "1.5MiB", "8 MiB", " 8MiB", "8TiB", "8MiBs", "0x10",
        "99999999999999999999",  // does not fit 64 bits
        "17179869184GiB"}) {     // 2^34 GiB = 2^64 bytes
    CAPTURE(text);
    const auto parsed = parse_byte_size(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().kind == ErrorKind::config);
  }
}

struct DurationCase {
  std::string_view text;
  std::chrono::milliseconds duration;
};

const DurationCase kDurations[] = {
    {"0", 0ms},   {"90", 90s},  {"30s", 30s}, {"500ms", 500ms},
    {"2m", 2min}, {"26h", 26h}, {"7d", 168h}, {"1000ms", 1s},
};

TEST_CASE("parse_duration reads a number with ms, s, m, h or d; a bare number is seconds") {
  for (const auto& [text, duration] : kDurations) {
    CAPTURE(text);
    const auto parsed = parse_duration(text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->count() == duration.count());
  }
}

TEST_CASE("parse_duration rejects anything else as a config error") {
  for (const std::string_view text : {"", "s", "-5s", "1.5h", "10x", "10 s", "5w", "3dd"}) {
    CAPTURE(text);
    const auto parsed = parse_duration(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().kind == ErrorKind::config);
  }
}

// parse_byte_size refuses a value that does not fit; parse_duration should too, instead of
// multiplying past the range of a signed 64-bit count (undefined behaviour, in practice a
// wrapped, possibly small or negative, duration).
TEST_CASE("parse_duration rejects a duration too large to represent") {
  for (const std::string_view text :
       {"106751991167301d", "9223372036854775807s", "18446744073709551615ms"}) {
    CAPTURE(text);
    const auto parsed = parse_duration(text);
    CHECK_FALSE(parsed.has_value());
  }
}

// --- values that could only fail at the server (issue 17) -------------------------------

TEST_CASE("a credential with a space, line break or control character is refused, unquoted") {
  struct Case {
    const char* variable;
    std::string value;
  };
  const Case cases[] = {
      {"AWS_ACCESS_KEY_ID", "AKID EXAMPLE"},
      {"AWS_SECRET_ACCESS_KEY", std::string(kSecret) + "\r"},  // pasted from a CRLF file
      {"AWS_SESSION_TOKEN", std::string(kToken) + "\nsecond line"},
      {"AWS_SESSION_TOKEN", std::string(kToken) + " "},
      {"AWS_SESSION_TOKEN", std::string(kToken) + "\xc3\xa9"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.variable);
    const auto config = load(required({{c.variable, c.value}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().kind == ErrorKind::config);
    const auto lines = lines_naming(config.error().message, c.variable);
    REQUIRE(lines.size() == 1);
    CHECK(contains(lines[0], "holds a space, a line break or another character"));
    CHECK(contains(lines[0], "(hint:"));
    CHECK_FALSE(contains(config.error().message, kSecret));
    CHECK_FALSE(contains(config.error().message, kToken));
    CHECK_FALSE(contains(config.error().message, "AKID EXAMPLE"));
  }
}

TEST_CASE("a credential read from a file with a blank line after it names the _FILE variable") {
  const TempFile secret(std::string(kSecret) + "\n\n");
  const auto config = load({{"S3_BUCKET", "erp-backups"},
                            {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                            {"AWS_SECRET_ACCESS_KEY_FILE", secret.path()}});
  REQUIRE_FALSE(config.has_value());
  CHECK(contains(config.error().message, "AWS_SECRET_ACCESS_KEY_FILE holds a space, a line break"));
  CHECK(contains(config.error().message, "a blank line or a second line after the value stays"));
  CHECK_FALSE(contains(config.error().message, kSecret));
}

TEST_CASE("a session token that is a script's placeholder for nothing is refused with a hint") {
  for (const char* placeholder : {"None", "null", "undefined"}) {
    CAPTURE(placeholder);
    const auto config = load(required({{"AWS_SESSION_TOKEN", placeholder}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(contains(config.error().message,
                   "AWS_SESSION_TOKEN is '" + std::string(placeholder) + "', a placeholder"));
    CHECK(contains(config.error().message, "leave AWS_SESSION_TOKEN unset with long-term keys"));
  }
  // A real token passes.
  CHECK(load(required({{"AWS_SESSION_TOKEN", std::string(kToken)}})).has_value());
}

TEST_CASE("a region is a name: letters, digits, '-', '_' and '.'") {
  for (const char* region :
       {"eu-west-3", "auto", "us-east-1", "garage", "my_zone", "rgw.default"}) {
    CAPTURE(region);
    CHECK(load(required({{"AWS_REGION", region}})).has_value());
  }
}

TEST_CASE("a bucket name passes in the forms S3, GCS and legacy AWS buckets take") {
  for (const char* bucket : {"erp-backups", "erp.backups.example.com", "Legacy_Bucket", "abc"}) {
    CAPTURE(bucket);
    CHECK(load(required({{"S3_BUCKET", bucket}, {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"}}))
              .has_value());
  }
  const auto url = load(required({{"S3_BUCKET", "s3://erp-backups"}}));
  REQUIRE_FALSE(url.has_value());
  CHECK(contains(url.error().message, "the bucket's name alone"));
  CHECK(contains(url.error().message, "AWS_ENDPOINT_URL_S3"));
}

TEST_CASE("an endpoint with credentials in it is refused and never quoted with them") {
  for (const char* variable : {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"}) {
    CAPTURE(variable);
    const auto config =
        load(required({{variable, "https://minio:SeCrEtPASSWORD@minio.local:9000"}}));
    REQUIRE_FALSE(config.has_value());
    CHECK(contains(config.error().message, "malformed " + std::string(variable) +
                                               " 'https://<redacted>@minio.local:9000'"));
    CHECK(contains(config.error().message, "no credentials in the URL"));
    CHECK_FALSE(contains(config.error().message, "SeCrEtPASSWORD"));
  }
}

TEST_CASE("the STS endpoint and the container credentials URI are never quoted with credentials") {
  const TempFile token("web-identity-token");
  const auto web = load({{"S3_BUCKET", "erp-backups"},
                         {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/erp"},
                         {"AWS_WEB_IDENTITY_TOKEN_FILE", token.path()},
                         {"AWS_ENDPOINT_URL_STS", "https://u:SeCrEtPASSWORD@sts.local"}});
  REQUIRE_FALSE(web.has_value());
  CHECK(contains(web.error().message,
                 "malformed AWS_ENDPOINT_URL_STS 'https://<redacted>@sts.local'"));
  CHECK_FALSE(contains(web.error().message, "SeCrEtPASSWORD"));

  const auto container =
      load({{"S3_BUCKET", "erp-backups"},
            {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://u:SeCrEtPASSWORD@127.0.0.1/creds"}});
  REQUIRE_FALSE(container.has_value());
  CHECK(contains(container.error().message, "malformed AWS_CONTAINER_CREDENTIALS_FULL_URI"));
  CHECK_FALSE(contains(container.error().message, "SeCrEtPASSWORD"));
}

TEST_CASE("a relative container credentials URI that makes no URL is refused at load time") {
  CHECK(load({{"S3_BUCKET", "erp-backups"},
              {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc?x=1"}})
            .has_value());
  const auto config = load({{"S3_BUCKET", "erp-backups"},
                            {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/a b"}});
  REQUIRE_FALSE(config.has_value());
  CHECK(contains(config.error().message, "malformed AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
}

TEST_CASE("a container authorization token with a line break is refused, unquoted") {
  const auto config =
      load({{"S3_BUCKET", "erp-backups"},
            {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/creds"},
            {"AWS_CONTAINER_AUTHORIZATION_TOKEN", std::string(kToken) + "\nX-Injected: 1"}});
  REQUIRE_FALSE(config.has_value());
  CHECK(contains(config.error().message, "AWS_CONTAINER_AUTHORIZATION_TOKEN holds a space"));
  CHECK_FALSE(contains(config.error().message, kToken));
}

TEST_CASE("AWS_ROLE_SESSION_NAME follows STS's rule") {
  const TempFile token("web-identity-token");
  const auto with_name = [&](const char* name) {
    return load({{"S3_BUCKET", "erp-backups"},
                 {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/erp"},
                 {"AWS_WEB_IDENTITY_TOKEN_FILE", token.path()},
                 {"AWS_ROLE_SESSION_NAME", name}});
  };
  CHECK(with_name("erp-backup-prod").has_value());
  CHECK(with_name("a.b@c=d,e+f_g").has_value());
  for (const std::string& bad : {std::string("x"), std::string("erp backup"),
                                 std::string("erp/backup"), std::string(65, 'a')}) {
    CAPTURE(bad);
    const auto config = with_name(bad.c_str());
    REQUIRE_FALSE(config.has_value());
    CHECK(contains(config.error().message, "malformed AWS_ROLE_SESSION_NAME"));
  }
}

}  // namespace
}  // namespace erp::config
