#include "app/drill/drill_record.h"

#include <algorithm>

namespace erp::app {

double seconds(std::chrono::duration<double> duration) {
  return duration.count();
}

void record_set(catalog::DrillEvidence& evidence, const catalog::Manifest& manifest) {
  evidence.set_id = manifest.id;
  if (manifest.database) {
    evidence.source_server_version = manifest.database->server_version;
    evidence.row_count_method =
        manifest.database->row_counts ? manifest.database->row_counts->method : "none";
  } else {
    evidence.row_count_method = "none";
  }
  evidence.dump_bytes = manifest.db ? manifest.db->bytes : 0;
  evidence.docs_bytes = manifest.docs ? manifest.docs->bytes : 0;
}

std::vector<std::string> unproven_by_manifest(const catalog::Manifest& manifest) {
  std::vector<std::string> problems;
  if (!manifest.db) return problems;
  if (!manifest.database || !manifest.database->row_counts) {
    problems.push_back(
        "row counts: the set's manifest has none (made with BACKUP_ROW_COUNTS=off, after a count "
        "that failed during the backup, or before row counts existed): the tables' data cannot "
        "be compared (hint: drill a set made with BACKUP_ROW_COUNTS=exact or estimate)");
    return problems;
  }
  if (const std::uint64_t omitted = manifest.database->row_counts->tables_omitted; omitted > 0) {
    problems.push_back("row counts: " + std::to_string(omitted) +
                       " tables' counts were left out of the manifest (its size limit): their "
                       "data cannot be compared");
  }
  return problems;
}

void record_restore(catalog::DrillEvidence& evidence, const RestoreDbReport& report) {
  evidence.jobs = report.jobs;
  evidence.pg_restore_version = report.pg_restore_version;
  evidence.target_server_version = report.target_server_version;
  evidence.tables_compared = report.tables_compared;
  evidence.download_seconds = seconds(report.download);
  evidence.restore_seconds = seconds(report.restore);
  evidence.check_seconds = seconds(report.check);
  for (const RowCountMismatch& mismatch : report.mismatches) {
    evidence.mismatches.push_back(catalog::DrillCheck{
        .what = mismatch.table == "(large objects)" ? "large objects" : "rows " + mismatch.table,
        .expected = mismatch.expected ? std::to_string(*mismatch.expected) : "unknown",
        .found = mismatch.missing        ? "missing"
                 : mismatch.restored < 0 ? "unknown"
                                         : std::to_string(mismatch.restored),
        .failing = mismatch.failing});
  }
}

void record_docs(catalog::DrillEvidence& evidence, const DocsCheckResult& docs) {
  evidence.docs_compared = true;
  evidence.docs_seconds = seconds(docs.elapsed);
  evidence.mismatches.insert(evidence.mismatches.end(), docs.mismatches.begin(),
                             docs.mismatches.end());
  evidence.problems.insert(evidence.problems.end(), docs.problems.begin(), docs.problems.end());
}

bool evidence_passes(const catalog::DrillEvidence& evidence) {
  return evidence.problems.empty() &&
         std::ranges::none_of(evidence.mismatches, &catalog::DrillCheck::failing);
}

}  // namespace erp::app
