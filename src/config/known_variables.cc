#include "config/known_variables.h"

#include <algorithm>
#include <array>

namespace erp::config {
namespace {

constexpr bool kSafety = true;

// One line per variable, sorted. Read by tests/integration/test_readme.py: keep the form
// `{"NAME"` or `{"NAME", kSafety}` on one line.
constexpr KnownVariable kKnown[] = {
    {"AWS_ACCESS_KEY_ID"},
    {"AWS_ACCESS_KEY_ID_FILE"},
    {"AWS_CA_BUNDLE"},
    {"AWS_CONTAINER_AUTHORIZATION_TOKEN"},
    {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"},
    {"AWS_CONTAINER_CREDENTIALS_FULL_URI"},
    {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"},
    {"AWS_DEFAULT_REGION"},
    {"AWS_ENDPOINT_URL"},
    {"AWS_ENDPOINT_URL_S3"},
    {"AWS_ENDPOINT_URL_STS"},
    {"AWS_REGION"},
    {"AWS_ROLE_ARN"},
    {"AWS_ROLE_SESSION_NAME"},
    {"AWS_SECRET_ACCESS_KEY"},
    {"AWS_SECRET_ACCESS_KEY_FILE"},
    {"AWS_SESSION_TOKEN"},
    {"AWS_SESSION_TOKEN_FILE"},
    {"AWS_WEB_IDENTITY_TOKEN_FILE"},
    {"BACKUP_ENV"},
    {"BACKUP_REQUIRE_READONLY_ROLE", kSafety},
    {"BACKUP_ROW_COUNTS"},
    {"DB_COMPRESSION"},
    {"DB_ZSTD_LEVEL"},
    {"DOCS_ON_ERROR", kSafety},
    {"DOCS_ZSTD_LEVEL"},
    {"DOCS_ZSTD_THREADS"},
    {"DOCUMENTS_DIR"},
    {"LOG_FORMAT"},
    {"LOG_LEVEL"},
    {"METRICS_TEXTFILE"},
    {"OBJECT_LOCK_MARGIN", kSafety},
    {"OBJECT_LOCK_MODE", kSafety},
    {"PGPASSWORD"},
    {"PGPASSWORD_FILE"},
    {"PG_DUMP"},
    {"PG_RESTORE"},
    {"PRUNE_AFTER_BACKUP", kSafety},
    {"PUSHGATEWAY_CA_BUNDLE"},
    {"PUSHGATEWAY_INSTANCE"},
    {"PUSHGATEWAY_JOB"},
    {"PUSHGATEWAY_URL"},
    {"REFRESH_DOCS_SUBTREE"},
    {"RESTORE_DOCUMENTS_DIR"},
    {"RESTORE_DROP_OWNED", kSafety},
    {"RESTORE_EXCLUDE", kSafety},
    {"RESTORE_MIN_TABLES", kSafety},
    {"RESTORE_PGDATABASE"},
    {"RESTORE_PGHOST"},
    {"RESTORE_PGPASSWORD"},
    {"RESTORE_PGPASSWORD_FILE"},
    {"RESTORE_PGPORT"},
    {"RESTORE_PGSSLCERT"},
    {"RESTORE_PGSSLKEY"},
    {"RESTORE_PGSSLMODE"},
    {"RESTORE_PGSSLROOTCERT"},
    {"RESTORE_PGUSER"},
    {"RESTORE_REQUIRE_EXCLUSIVE", kSafety},
    {"RESTORE_ROLE"},
    {"RESTORE_SCRATCH_DIR"},
    {"RETENTION_DAILY_DAYS", kSafety},
    {"RETENTION_MIN_KEEP", kSafety},
    {"RETENTION_MONTHLY_MONTHS", kSafety},
    {"RETENTION_YEARLY_YEARS", kSafety},
    {"S3_ADDRESSING_STYLE"},
    {"S3_BUCKET"},
    {"S3_BUFFER_BUDGET"},
    {"S3_MAX_ATTEMPTS"},
    {"S3_PART_SIZE"},
    {"S3_PAYLOAD_SIGNING"},
    {"S3_PREFIX"},
    {"S3_STALL_TIMEOUT"},
    {"S3_UPLOAD_CONCURRENCY"},
    {"STALE_UPLOAD_AGE", kSafety},
};

// SPEC §3's settings of features to come. A lock, an encryption recipient or an off-site target
// the operator believes in but this binary ignores is a guarantee silently missing: safety.
constexpr KnownVariable kLater[] = {
    {"AGE_IDENTITY_FILE"},
    {"AGE_RECIPIENTS", kSafety},
    {"AGE_RECIPIENTS_FILE", kSafety},
    {"DRILL_TARGET"},
    {"DRILL_WORK_DIR"},
    {"S3_EXTRA_TARGETS", kSafety},
};

constexpr std::array<std::string_view, 15> kPrefixes = {
    "S3_",          "BACKUP_",      "RESTORE_", "RETENTION_", "DOCS_",
    "DB_",          "PUSHGATEWAY_", "METRICS_", "REFRESH_",   "STALE_",
    "OBJECT_LOCK_", "AGE_",         "DRILL_",   "PRUNE_",     "DOCUMENTS_",
};

}  // namespace

std::span<const KnownVariable> known_variables() {
  return kKnown;
}

std::span<const KnownVariable> later_version_variables() {
  return kLater;
}

std::span<const std::string_view> tool_prefixes() {
  return kPrefixes;
}

const KnownVariable* find_known_variable(std::string_view name) {
  const auto found = std::ranges::lower_bound(kKnown, name, {}, &KnownVariable::name);
  return found != std::end(kKnown) && found->name == name ? &*found : nullptr;
}

}  // namespace erp::config
