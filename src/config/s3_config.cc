#include "config/s3_config.h"

#include "core/secret_file.h"

#include "config/choice_setting.h"
#include "config/problems.h"
#include "config/url_setting.h"
#include "upload/part_schedule.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <vector>

namespace erp::config {
namespace {

bool parse_integer(std::string_view text, std::uint64_t& value) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

std::optional<std::string> first_of(const Environment& env, std::string_view a,
                                    std::string_view b) {
  if (auto value = env.get(a)) return value;
  return env.get(b);
}

// The first of `a` and `b` that is set, by name: for messages about the one in use.
std::string_view first_set(const Environment& env, std::string_view a, std::string_view b) {
  return env.get(a) ? a : b;
}

// The endpoint a client of one service uses, as the SDKs pick it: `specific`
// (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_STS), else AWS_ENDPOINT_URL, else `fallback` (AWS's
// regional endpoint). A malformed URL is a problem, quoted with `example`, and leaves `endpoint`
// alone. True when one of the two variables was set.
bool read_endpoint(const Environment& env, std::string_view specific, std::string_view example,
                   std::string fallback, std::string& endpoint, Problems& problems) {
  const auto value = first_of(env, specific, "AWS_ENDPOINT_URL");
  if (!value) {
    endpoint = std::move(fallback);
    return false;
  }
  if (auto problem = url_setting_problem(first_set(env, specific, "AWS_ENDPOINT_URL"), *value,
                                         {.example = example})) {
    problems.add(*problem);
  } else {
    endpoint = *value;
  }
  return true;
}

// A credential as the signer sends it: one line of printable ASCII. What else turns up in
// practice is a copy-paste or a mounted file gone wrong (a second line, a blank line after the
// value, a trailing space, a "\r" pasted into a variable) or a script's placeholder for "no value":
// each would only fail later, at the server, as an opaque SignatureDoesNotMatch or InvalidToken.
// The value is never quoted: it is a secret.
void check_credential(std::string_view name, std::string_view value, Problems& problems) {
  const bool printable = std::ranges::all_of(value, [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f;
  });
  if (!printable) {
    problems.add(std::string(name) +
                 " holds a space, a line break or another character no credential has (hint: "
                 "copy it again as one line; of a file only one trailing line break (\\n or "
                 "\\r\\n) is dropped, so a blank line or a second line after the value stays)");
    return;
  }
  std::string lower(value.substr(0, 16));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view placeholder : {"none", "null", "nil", "<nil>", "undefined"}) {
    if (value.size() != placeholder.size() || lower != placeholder) continue;
    problems.add(std::string(name) + " is '" + std::string(value) +
                 "', a placeholder a script printed for a missing value (hint: " +
                 (name.starts_with("AWS_SESSION_TOKEN")
                      ? "leave AWS_SESSION_TOKEN unset with long-term keys; temporary keys need "
                        "the token issued with them"
                      : "set the real value, or leave it unset") +
                 ")");
    return;
  }
}

// What S3 and its imitators accept in a bucket name, loosely: AWS's legacy names and GCS's
// longer ones included. What it catches is the common mistake: a URL or a path given for a name.
void check_bucket_name(std::string_view bucket, Problems& problems) {
  const std::string quoted = "malformed S3_BUCKET '" + std::string(bucket) + "' (hint: ";
  if (bucket.find("://") != std::string_view::npos) {
    problems.add(quoted +
                 "the bucket's name alone, e.g. erp-backups; the endpoint goes in "
                 "AWS_ENDPOINT_URL_S3, the key prefix in S3_PREFIX)");
    return;
  }
  if (bucket.find('/') != std::string_view::npos) {
    problems.add(quoted +
                 "the bucket's name alone, e.g. erp-backups; a key prefix goes in "
                 "S3_PREFIX)");
    return;
  }
  const bool valid =
      bucket.size() >= 3 && bucket.size() <= 255 && std::ranges::all_of(bucket, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
      });
  if (!valid) {
    problems.add(quoted +
                 "3 to 63 lower-case letters, digits, '.' and '-' on AWS; no spaces or other "
                 "characters on any store)");
  }
}

// A signing region names a scope in the signature ("20260101/eu-west-3/s3/aws4_request") and,
// on AWS's own endpoint, a host name: letters, digits, '-', '_' and '.'.
bool valid_region(std::string_view region) {
  return !region.empty() && region.size() <= 64 && std::ranges::all_of(region, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// STS's rule for RoleSessionName: 2 to 64 of [A-Za-z0-9+=,.@_-].
bool valid_session_name(std::string_view name) {
  return name.size() >= 2 && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) ||
                  std::string_view("+=,.@_-").find(c) != std::string_view::npos;
         });
}

bool any_set(const Environment& env, std::initializer_list<std::string_view> names) {
  for (const auto name : names) {
    if (env.get(name)) return true;
  }
  return false;
}

// Provider 1: static keys, each directly or as NAME_FILE.
void load_static_keys(const Environment& env, S3Config& config, Problems& problems) {
  const auto file_of = [&](std::string_view name) {
    return env.get(std::string(name) + "_FILE").value_or("");
  };
  if (auto key_id = read_value_or_file(env, "AWS_ACCESS_KEY_ID"); !key_id) {
    problems.add(key_id.error().message);
  } else if (!*key_id) {
    problems.add(
        "missing AWS_ACCESS_KEY_ID (hint: the S3/HMAC access key id, or AWS_ACCESS_KEY_ID_FILE)");
  } else {
    check_credential(first_set(env, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID_FILE"), **key_id,
                     problems);
    config.access_key_id = **key_id;
    config.key_files.access_key_id = file_of("AWS_ACCESS_KEY_ID");
  }
  if (auto secret = read_value_or_file(env, "AWS_SECRET_ACCESS_KEY"); !secret) {
    problems.add(secret.error().message);
  } else if (!*secret) {
    problems.add(
        "missing AWS_SECRET_ACCESS_KEY (hint: the S3/HMAC secret, or AWS_SECRET_ACCESS_KEY_FILE)");
  } else {
    check_credential(first_set(env, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY_FILE"),
                     **secret, problems);
    config.secret_access_key = Secret(std::move(**secret));
    config.key_files.secret_access_key = file_of("AWS_SECRET_ACCESS_KEY");
  }
  if (auto token = read_value_or_file(env, "AWS_SESSION_TOKEN"); !token) {
    problems.add(token.error().message);
  } else if (*token) {
    check_credential(first_set(env, "AWS_SESSION_TOKEN", "AWS_SESSION_TOKEN_FILE"), **token,
                     problems);
    config.session_token = Secret(std::move(**token));
    config.key_files.session_token = file_of("AWS_SESSION_TOKEN");
  }
}

// Provider 2: web identity (EKS IRSA).
void load_web_identity(const Environment& env, S3Config& config, Problems& problems) {
  s3::WebIdentityConfig& web = config.web_identity;
  if (auto arn = env.get("AWS_ROLE_ARN"); !arn) {
    problems.add(
        "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not (hint: the ARN of "
        "the IAM role to assume, arn:aws:iam::ACCOUNT:role/NAME)");
  } else if (!arn->starts_with("arn:")) {
    problems.add("malformed AWS_ROLE_ARN '" + *arn + "' (hint: arn:aws:iam::ACCOUNT:role/NAME)");
  } else {
    web.role_arn = *arn;
  }
  if (auto file = env.get("AWS_WEB_IDENTITY_TOKEN_FILE"); !file) {
    problems.add(
        "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not (hint: the path of "
        "the projected service-account token, set by EKS for IRSA)");
  } else if (!std::ifstream(*file)) {
    // Not echoed, like every NAME_FILE: a path may be a misplaced token.
    problems.add(
        "AWS_WEB_IDENTITY_TOKEN_FILE: cannot read the file it names (hint: is the "
        "service-account token projected at that path?)");
  } else {
    web.token_file = *file;
  }
  web.session_name = env.get("AWS_ROLE_SESSION_NAME").value_or("");
  if (!web.session_name.empty() && !valid_session_name(web.session_name)) {
    problems.add("malformed AWS_ROLE_SESSION_NAME '" + web.session_name +
                 "' (hint: 2 to 64 letters, digits and +=,.@_- as STS requires, e.g. "
                 "erp-backup-prod)");
  }
  if (web.session_name.empty()) {
    web.session_name =
        "erp-backup-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  }
  // Like the SDKs: the STS-specific endpoint, else the global one (MinIO answers STS at its
  // S3 endpoint), else the regional AWS endpoint.
  read_endpoint(env, "AWS_ENDPOINT_URL_STS", "a URL such as https://sts.eu-west-3.amazonaws.com",
                "https://sts." + config.region + ".amazonaws.com", web.sts_endpoint, problems);
}

// Plain http is only for the agents' link-local and loopback addresses (what the SDKs allow):
// anywhere else the keys would cross a network unencrypted.
bool allowed_container_url(std::string_view url) {
  if (url.starts_with("https://")) return true;
  if (!url.starts_with("http://")) return false;
  std::string_view host = url.substr(7);
  host = host.substr(0, host.find('/'));
  if (host.starts_with('[')) {
    host = host.substr(1, host.find(']') - 1);
    return host == "::1" || host == "fd00:ec2::23";
  }
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.starts_with("127.") || host == "169.254.170.2" ||
         host == "169.254.170.23";
}

// Provider 3: container credentials (EKS Pod Identity, ECS).
void load_container(const Environment& env, S3Config& config, Problems& problems) {
  s3::ContainerCredentialsConfig& container = config.container;
  if (auto relative = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    if (!relative->starts_with('/')) {
      problems.add("malformed AWS_CONTAINER_CREDENTIALS_RELATIVE_URI '" + *relative +
                   "' (hint: a path such as /v2/credentials/ID, set by ECS)");
    }
    container.url = "http://169.254.170.2" + *relative;
    container.url_variable = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
    if (relative->starts_with('/')) {
      if (auto problem =
              url_setting_problem("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", container.url,
                                  {.query_allowed = true,
                                   .example = "a path such as /v2/credentials/ID, set by ECS"})) {
        problems.add(*problem);
      }
    }
  } else if (auto full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    if (auto problem = url_setting_problem(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", *full,
            {.query_allowed = true,
             .example = "a URL such as http://169.254.170.23/v1/credentials"})) {
      problems.add(*problem);
    } else if (!allowed_container_url(*full)) {
      problems.add("AWS_CONTAINER_CREDENTIALS_FULL_URI '" + redact_userinfo(*full) +
                   "': plain http is only allowed to loopback, 169.254.170.2, 169.254.170.23 "
                   "or fd00:ec2::23 (hint: use https)");
    }
    container.url = *full;
    container.url_variable = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
  }
  // Like the SDKs, the file wins over the value (EKS sets the file and rotates it).
  if (auto file = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    if (!std::ifstream(*file)) {
      problems.add(
          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: cannot read the file it names (hint: is the "
          "Pod Identity token mounted at that path?)");
    }
    container.token_file = *file;
  } else if (auto token = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    check_credential("AWS_CONTAINER_AUTHORIZATION_TOKEN", *token, problems);
    container.token = Secret(std::move(*token));
  }
}

// The first provider configured, in the AWS SDKs' order. A provider is "configured" when any
// of its variables is set; its problems are then reported, never skipped for the next one.
void load_credentials(const Environment& env, S3Config& config, Problems& problems) {
  using Source = S3Config::CredentialSource;
  if (any_set(env, {"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID_FILE", "AWS_SECRET_ACCESS_KEY",
                    "AWS_SECRET_ACCESS_KEY_FILE"})) {
    config.credential_source = Source::static_keys;
    load_static_keys(env, config, problems);
  } else if (any_set(env, {"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"})) {
    config.credential_source = Source::web_identity;
    load_web_identity(env, config, problems);
  } else if (any_set(env, {"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"})) {
    config.credential_source = Source::container;
    load_container(env, config, problems);
  } else {
    problems.add(
        "missing AWS_ACCESS_KEY_ID (hint: the S3/HMAC access key id, or AWS_ACCESS_KEY_ID_FILE; "
        "or AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE for EKS IRSA; or "
        "AWS_CONTAINER_CREDENTIALS_FULL_URI for EKS Pod Identity/ECS)");
    problems.add(
        "missing AWS_SECRET_ACCESS_KEY (hint: the S3/HMAC secret, or AWS_SECRET_ACCESS_KEY_FILE)");
  }
}

}  // namespace

namespace {

// The X.509 certificates in the PEM file at `path`; nullopt when it cannot be opened. A file of
// anything else (a key, a DER certificate, garbage) counts zero.
std::optional<int> count_pem_certificates(const std::string& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!bio) return std::nullopt;
  STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr);
  ERR_clear_error();  // a trailing non-PEM part leaves errors on OpenSSL's thread queue
  if (infos == nullptr) return 0;
  int count = 0;
  for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
    if (sk_X509_INFO_value(infos, i)->x509 != nullptr) ++count;
  }
  sk_X509_INFO_pop_free(infos, X509_INFO_free);
  return count;
}

}  // namespace

std::optional<std::string> checked_ca_bundle(const Environment& env, std::string_view variable,
                                             std::string_view store_user, Problems& problems) {
  auto bundle = env.get(variable);
  if (!bundle) return std::nullopt;
  const std::string name(variable);
  const auto certificates = count_pem_certificates(*bundle);
  if (!certificates) {
    problems.add(name + ": cannot read " + *bundle + " (hint: a PEM file of CA certificates)");
    return std::nullopt;
  }
  if (*certificates == 0) {
    problems.add(name + ": " + *bundle +
                 " holds no PEM certificate (hint: a file of \"-----BEGIN CERTIFICATE-----\" "
                 "blocks; it replaces the system CA store" +
                 std::string(store_user) + ")");
    return std::nullopt;
  }
  return bundle;
}

Result<s3::AddressingStyle> resolve_addressing(std::string_view bucket, std::string_view endpoint,
                                               bool explicit_endpoint,
                                               std::optional<s3::AddressingStyle> requested) {
  const bool dotted_over_https =
      endpoint.starts_with("https://") && bucket.find('.') != std::string_view::npos;
  if (!requested) {
    // Path style is what MinIO, GCS-by-endpoint and test servers expect; AWS prefers virtual.
    if (explicit_endpoint || dotted_over_https) return s3::AddressingStyle::path;
    return s3::AddressingStyle::virtual_host;
  }
  if (*requested == s3::AddressingStyle::virtual_host && dotted_over_https) {
    return make_error(ErrorKind::config,
                      "S3_ADDRESSING_STYLE=virtual cannot reach bucket '" + std::string(bucket) +
                          "' over HTTPS: the dots in its name make a host name the endpoint's "
                          "wildcard certificate does not cover (hint: set "
                          "S3_ADDRESSING_STYLE=path, or leave it unset and dotted buckets use "
                          "path style)");
  }
  return *requested;
}

Result<std::uint64_t> parse_byte_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::uint64_t number = 0;
  if (!parse_integer(text.substr(0, digits), number)) {
    return make_error(ErrorKind::config, "not a size");
  }
  std::string unit(text.substr(digits));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::vector<std::pair<std::string_view, std::uint64_t>> kUnits = {
      {"", 1},
      {"b", 1},
      {"k", 1000},
      {"kb", 1000},
      {"kib", 1ull << 10},
      {"m", 1000'000},
      {"mb", 1000'000},
      {"mib", 1ull << 20},
      {"g", 1000'000'000},
      {"gb", 1000'000'000},
      {"gib", 1ull << 30}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) {
      if (number > UINT64_MAX / factor) return make_error(ErrorKind::config, "size too large");
      return number * factor;
    }
  }
  return make_error(ErrorKind::config, "unknown size unit '" + unit + "'");
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::uint64_t number = 0;
  if (!parse_integer(text.substr(0, digits), number)) {
    return make_error(ErrorKind::config, "not a duration");
  }
  const std::string_view unit = text.substr(digits);
  static const std::vector<std::pair<std::string_view, std::uint64_t>> kUnits = {
      {"ms", 1}, {"", 1000}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    if (number > static_cast<std::uint64_t>(INT64_MAX) / factor) {
      return make_error(ErrorKind::config, "duration too large");
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(number * factor));
  }
  return make_error(ErrorKind::config, "unknown duration unit '" + std::string(unit) + "'");
}

Result<std::optional<std::string>> read_value_or_file(const Environment& env,
                                                      std::string_view name) {
  const std::string file_name = std::string(name) + "_FILE";
  auto direct = env.get(name);
  auto path = env.get(file_name);
  if (direct && path) {
    return make_error(ErrorKind::config, std::string(name) + " and " + file_name +
                                             " are both set (hint: set only one of them)");
  }
  if (!path) return direct;
  auto value = read_secret_file(*path, file_name);
  if (!value) {
    // read_secret_file words it ("NAME_FILE: cannot read the file it names (hint: ...)"); here it
    // is the operator's setting, so it stops the run before anything starts.
    Error error = value.error();
    error.kind = ErrorKind::config;
    return std::unexpected(std::move(error));
  }
  return std::optional<std::string>(std::move(*value));
}

S3Config load_s3_config(const Environment& env, Problems& problems) {
  S3Config config;

  if (auto bucket = env.get("S3_BUCKET")) {
    check_bucket_name(*bucket, problems);
    config.bucket = *bucket;
  } else {
    problems.add("missing S3_BUCKET (hint: the bucket that holds backups)");
  }

  if (auto region = first_of(env, "AWS_REGION", "AWS_DEFAULT_REGION")) {
    if (valid_region(*region)) {
      config.region = *region;
    } else {
      problems.add("malformed " + std::string(first_set(env, "AWS_REGION", "AWS_DEFAULT_REGION")) +
                   " '" + *region +
                   "' (hint: a region name such as eu-west-3 or us-east-1, auto for GCS: "
                   "letters, digits, '-', '_' and '.')");
    }
  }

  const bool explicit_endpoint =
      read_endpoint(env, "AWS_ENDPOINT_URL_S3",
                    "a URL such as https://storage.googleapis.com or http://127.0.0.1:9000",
                    "https://s3." + config.region + ".amazonaws.com", config.endpoint, problems);

  const auto requested_style = parse_choice<s3::AddressingStyle>(
      env, "S3_ADDRESSING_STYLE",
      {{"path", s3::AddressingStyle::path}, {"virtual", s3::AddressingStyle::virtual_host}},
      "path or virtual");
  if (!requested_style) {
    problems.add(requested_style.error().message);
  } else {
    auto style =
        resolve_addressing(config.bucket, config.endpoint, explicit_endpoint, *requested_style);
    if (style)
      config.addressing = *style;
    else
      problems.add(style.error().message);
  }

  read_choice<s3::PayloadSigning>(env, "S3_PAYLOAD_SIGNING",
                                  {{"auto", s3::PayloadSigning::automatic},
                                   {"always", s3::PayloadSigning::always},
                                   {"never", s3::PayloadSigning::never}},
                                  "auto, always or never", config.payload_signing, problems);

  load_credentials(env, config, problems);

  if (auto bundle = checked_ca_bundle(env, kCaBundleVariable, "", problems)) {
    config.ca_bundle = *bundle;
  }

  if (auto text = env.get("S3_UPLOAD_CONCURRENCY")) {
    std::uint64_t value = 0;
    if (parse_integer(*text, value) && value >= 1 && value <= 64) {
      config.upload_concurrency = static_cast<int>(value);
    } else {
      problems.add("malformed S3_UPLOAD_CONCURRENCY '" + *text +
                   "' (hint: 1 to 64 parts in flight)");
    }
  }
  if (auto text = env.get("S3_PART_SIZE")) {
    auto size = parse_byte_size(*text);
    if (!size) {
      problems.add("malformed S3_PART_SIZE '" + *text + "' (hint: a size such as 8MiB)");
    } else if (auto in_range = upload::check_first_part_size(*size); !in_range) {
      problems.add("S3_PART_SIZE '" + *text + "': " + in_range.error().message);
    } else {
      config.part_size = *size;
    }
  }
  if (auto text = env.get("S3_BUFFER_BUDGET")) {
    auto size = parse_byte_size(*text);
    if (size)
      config.buffer_budget = *size;
    else
      problems.add("malformed S3_BUFFER_BUDGET '" + *text + "' (hint: e.g. 128MiB)");
  }
  if (auto text = env.get("S3_STALL_TIMEOUT")) {
    auto duration = parse_duration(*text);
    if (duration && duration->count() >= 1000)
      config.stall_timeout = *duration;
    else
      problems.add("malformed S3_STALL_TIMEOUT '" + *text + "' (hint: at least 1s, e.g. 30s)");
  }
  if (auto text = env.get("S3_MAX_ATTEMPTS")) {
    std::uint64_t value = 0;
    if (parse_integer(*text, value) && value >= 1 && value <= 20)
      config.max_attempts = static_cast<int>(value);
    else
      problems.add("malformed S3_MAX_ATTEMPTS '" + *text + "' (hint: 1 to 20)");
  }
  // Every stream needs at least two parts in memory (one filling, one in flight).
  if (config.buffer_budget < 2 * config.part_size) {
    problems.add("S3_BUFFER_BUDGET " + std::to_string(config.buffer_budget) +
                 " is smaller than two parts of S3_PART_SIZE " + std::to_string(config.part_size) +
                 " (hint: raise the budget or lower the part size)");
  }
  return config;
}

Result<S3Config> load_s3_config(const Environment& env) {
  Problems problems;
  return unless_problems(load_s3_config(env, problems), problems);
}

}  // namespace erp::config
