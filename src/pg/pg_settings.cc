#include "pg/pg_settings.h"

#include <algorithm>
#include <array>

namespace erp::pg {

namespace {

// From "Environment Variables" in the libpq chapter of the PostgreSQL manual. Keywords that
// have no variable (keepalives, ...) cannot reach pg_dump without a conninfo string in argv,
// so they are not accepted at all.
constexpr std::array<PgKeywordVariable, 31> kKeywordVariables{{
    {"host", "PGHOST"},
    {"hostaddr", "PGHOSTADDR"},
    {"port", "PGPORT"},
    {"dbname", "PGDATABASE"},
    {"user", "PGUSER"},
    {"passfile", "PGPASSFILE"},
    {"require_auth", "PGREQUIREAUTH"},
    {"channel_binding", "PGCHANNELBINDING"},
    {"service", "PGSERVICE"},
    {"options", "PGOPTIONS"},
    {"application_name", "PGAPPNAME"},
    {"sslmode", "PGSSLMODE"},
    {"requiressl", "PGREQUIRESSL"},
    {"sslnegotiation", "PGSSLNEGOTIATION"},
    {"sslcompression", "PGSSLCOMPRESSION"},
    {"sslcert", "PGSSLCERT"},
    {"sslkey", "PGSSLKEY"},
    {"sslcertmode", "PGSSLCERTMODE"},
    {"sslrootcert", "PGSSLROOTCERT"},
    {"sslcrl", "PGSSLCRL"},
    {"sslcrldir", "PGSSLCRLDIR"},
    {"sslsni", "PGSSLSNI"},
    {"requirepeer", "PGREQUIREPEER"},
    {"ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION"},
    {"ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION"},
    {"gssencmode", "PGGSSENCMODE"},
    {"krbsrvname", "PGKRBSRVNAME"},
    {"gsslib", "PGGSSLIB"},
    {"connect_timeout", "PGCONNECT_TIMEOUT"},
    {"client_encoding", "PGCLIENTENCODING"},
    {"target_session_attrs", "PGTARGETSESSIONATTRS"},
}};

const PgKeywordVariable* find_keyword(std::string_view keyword) {
  const auto it = std::find_if(kKeywordVariables.begin(), kKeywordVariables.end(),
                               [keyword](const auto& entry) { return entry.keyword == keyword; });
  return it == kKeywordVariables.end() ? nullptr : &*it;
}

std::string param_or(const std::map<std::string, std::string>& params, const std::string& key,
                     std::string_view fallback) {
  const auto it = params.find(key);
  return it == params.end() || it->second.empty() ? std::string(fallback) : it->second;
}

}  // namespace

std::span<const PgKeywordVariable> pg_environment_variables() {
  return kKeywordVariables;
}

PgSettings PgSettings::clone() const {
  return PgSettings{params, Secret(std::string(password.reveal()))};
}

Result<void> PgSettings::validate() const {
  for (const auto& [keyword, value] : params) {
    if (keyword == "password") {
      return make_error(ErrorKind::config,
                        "the database password was given as a connection parameter "
                        "(hint: it belongs in PGPASSWORD or PGPASSWORD_FILE)");
    }
    if (find_keyword(keyword) == nullptr) {
      return make_error(ErrorKind::config,
                        "unsupported PostgreSQL connection parameter '" + keyword +
                            "' (hint: only parameters with a PG* environment variable are "
                            "passed to pg_dump)");
    }
  }
  return {};
}

Result<PgConninfo> PgSettings::conninfo(const char* application_name) const {
  if (auto valid = validate(); !valid) return std::unexpected(valid.error());
  PgConninfo arrays;
  for (const auto& [keyword, value] : params) {
    arrays.keywords.push_back(keyword.c_str());
    arrays.values.push_back(value.c_str());
  }
  if (!password.empty()) {
    arrays.keywords.push_back("password");
    // A Secret's bytes live in a std::string, so the view is NUL-terminated.
    arrays.values.push_back(password.reveal().data());
  }
  if (application_name != nullptr) {
    arrays.keywords.push_back("fallback_application_name");
    arrays.values.push_back(application_name);
  }
  arrays.keywords.push_back(nullptr);
  arrays.values.push_back(nullptr);
  return arrays;
}

Result<void> PgSettings::add_to_environment(process::ChildEnvironment& environment) const {
  if (auto valid = validate(); !valid) return std::unexpected(valid.error());
  for (const auto& [keyword, value] : params) {
    environment.set(find_keyword(keyword)->variable, value);
  }
  if (!password.empty()) environment.set_secret("PGPASSWORD", password);
  return {};
}

std::string PgSettings::target() const {
  std::string host = param_or(params, "host", "");
  if (host.empty()) host = param_or(params, "hostaddr", "(default socket)");
  return host + ":" + param_or(params, "port", "5432");
}

std::string PgSettings::user() const {
  return param_or(params, "user", "(default user)");
}

std::string PgSettings::database() const {
  return param_or(params, "dbname", "(default database)");
}

std::string redact_password(std::string text, const Secret& password) {
  const std::string_view secret = password.reveal();
  if (secret.size() < 4) return text;
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + Secret::kRedacted.size())) {
    text.replace(at, secret.size(), Secret::kRedacted);
  }
  return text;
}

}  // namespace erp::pg
