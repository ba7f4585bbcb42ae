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
        .found = std::to_string(mismatch.restored),
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
