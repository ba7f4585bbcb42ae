#include "config/unknown_variables.h"

#include <algorithm>
#include <cctype>
#include <numeric>

#include "config/known_variables.h"

namespace erp::config {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

// What the kubelet injects for every Service of the namespace (unless the pod sets
// enableServiceLinks: false): for Service "db" with port 5432/TCP named "pg",
//   DB_SERVICE_HOST, DB_SERVICE_PORT, DB_SERVICE_PORT_PG, DB_PORT=tcp://10.0.0.1:5432,
//   DB_PORT_5432_TCP, DB_PORT_5432_TCP_PROTO, DB_PORT_5432_TCP_PORT, DB_PORT_5432_TCP_ADDR.
// No setting of the tool has these shapes, so skipping them hides no typo.
bool is_service_link(const Environment& env, std::string_view name) {
  if (name.ends_with("_SERVICE_HOST") || name.ends_with("_SERVICE_PORT") ||
      name.find("_SERVICE_PORT_") != std::string_view::npos) {
    return true;
  }
  if (name.ends_with("_PORT")) {
    const std::string value = env.get(name).value_or("");
    if (value.starts_with("tcp://") || value.starts_with("udp://") ||
        value.starts_with("sctp://")) {
      return true;
    }
  }
  // X_PORT_<number>_<protocol>[_PROTO|_PORT|_ADDR]
  const auto port = name.rfind("_PORT_");
  if (port == std::string_view::npos) return false;
  std::string_view rest = name.substr(port + 6);
  const auto underscore = rest.find('_');
  if (underscore == std::string_view::npos || !all_digits(rest.substr(0, underscore))) {
    return false;
  }
  rest = rest.substr(underscore + 1);
  for (std::string_view protocol : {"TCP", "UDP", "SCTP"}) {
    if (rest == protocol) return true;
    if (rest.starts_with(protocol) && rest.size() > protocol.size() &&
        rest[protocol.size()] == '_') {
      const std::string_view field = rest.substr(protocol.size() + 1);
      return field == "PROTO" || field == "PORT" || field == "ADDR";
    }
  }
  return false;
}

bool has_tool_prefix(std::string_view upper_name) {
  return std::ranges::any_of(
      tool_prefixes(), [&](std::string_view prefix) { return upper_name.starts_with(prefix); });
}

// Names other backup tools and charts use for what this tool reads under another name: an edit
// distance would never lead from S3_ENDPOINT to AWS_ENDPOINT_URL_S3.
struct OtherToolsName {
  std::string_view name;
  std::string_view ours;
};
constexpr OtherToolsName kOtherToolsNames[] = {
    {"S3_ENDPOINT", "AWS_ENDPOINT_URL_S3"},
    {"S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"},
    {"S3_URL", "AWS_ENDPOINT_URL_S3"},
    {"S3_REGION", "AWS_REGION"},
    {"S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID"},
    {"S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"},
    {"S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"},
    {"S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"},
    {"S3_CA_BUNDLE", "AWS_CA_BUNDLE"},
    {"DB_HOST", "PGHOST"},
    {"DB_PORT", "PGPORT"},
    {"DB_NAME", "PGDATABASE"},
    {"DB_DATABASE", "PGDATABASE"},
    {"DB_USER", "PGUSER"},
    {"DB_USERNAME", "PGUSER"},
    {"DB_PASSWORD", "PGPASSWORD"},
    {"DB_PASS", "PGPASSWORD"},
};

// The libpq settings the restore target maps (config/restore_target_config.cc).
constexpr std::string_view kRestoreTargetHint =
    "the restore target takes only RESTORE_PGHOST, RESTORE_PGPORT, RESTORE_PGDATABASE, "
    "RESTORE_PGUSER, RESTORE_PGPASSWORD (or _FILE), RESTORE_PGSSLMODE, RESTORE_PGSSLROOTCERT, "
    "RESTORE_PGSSLCERT and RESTORE_PGSSLKEY";

std::size_t closeness_limit(std::size_t length) {
  if (length <= 7) return 1;
  if (length <= 15) return 2;
  return 3;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic-programming table: two back for the swap rule.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string nearest_known_name(std::string_view name) {
  const std::string wanted = upper(name);
  for (const OtherToolsName& other : kOtherToolsNames) {
    if (wanted == other.name) return std::string(other.ours);
  }
  std::string_view best;
  std::size_t best_distance = closeness_limit(wanted.size()) + 1;
  for (const KnownVariable& known : known_variables()) {
    const std::size_t distance = edit_distance(wanted, known.name);
    if (distance < best_distance) {
      best = known.name;
      best_distance = distance;
    }
  }
  return std::string(best);
}

std::string UnknownVariable::message() const {
  if (later_version) {
    return name + " is a setting of a later erp-backup than this one (" + ERP_BACKUP_VERSION +
           ") (hint: the deployment is newer than the image: run an image that supports " + name +
           ", or remove it)";
  }
  std::string hint;
  if (!suggestion.empty()) hint = "did you mean " + suggestion + "? ";
  if (name.starts_with("RESTORE_PG")) hint += std::string(kRestoreTargetHint) + "; ";
  hint += "erp-backup reads no variable named " + name +
          ", so it would have no effect; the README's settings tables list every one";
  return "unknown variable " + name + " (hint: " + hint + ")";
}

std::vector<UnknownVariable> find_unknown_variables(const Environment& env) {
  std::vector<UnknownVariable> unknown;
  for (const std::string& name : env.names()) {
    const std::string upper_name = upper(name);
    if (!has_tool_prefix(upper_name) || find_known_variable(name) != nullptr) continue;
    if (is_service_link(env, name)) continue;
    UnknownVariable report{.name = name};
    const auto later =
        std::ranges::find(later_version_variables(), std::string_view(name), &KnownVariable::name);
    if (later != later_version_variables().end()) {
      report.later_version = true;
      report.safety = later->safety;
    } else {
      report.suggestion = nearest_known_name(name);
      const KnownVariable* nearest = find_known_variable(report.suggestion);
      report.safety =
          (nearest != nullptr && nearest->safety) || upper_name.starts_with("RETENTION_");
    }
    unknown.push_back(std::move(report));
  }
  return unknown;
}

}  // namespace erp::config
