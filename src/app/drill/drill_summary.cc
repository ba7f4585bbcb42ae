#include "app/drill/drill_summary.h"

#include <iomanip>

namespace erp::app {

void print_drill_summary(std::ostream& out, const catalog::DrillEvidence& evidence,
                         const std::string& evidence_key) {
  out << "drill " << (evidence.passed ? "PASSED" : "FAILED") << ": set " << evidence.set_id
      << " into " << evidence.target << " PostgreSQL "
      << (evidence.target_server_version.empty() ? "?" : evidence.target_server_version)
      << " (jobs " << evidence.jobs << ")\n";
  out << "  rows:      " << evidence.tables_compared << " tables compared ("
      << evidence.row_count_method << ")\n";
  out << "  documents: "
      << (evidence.docs_compared ? "entries, bytes and SHA-256 compared" : "none") << "\n";
  for (const catalog::DrillCheck& check : evidence.mismatches) {
    out << "  " << (check.failing ? "MISMATCH " : "differs  ") << check.what << ": expected "
        << check.expected << ", found " << check.found << "\n";
  }
  if (evidence.mismatches_omitted > 0) {
    out << "  ... " << evidence.mismatches_omitted << " more mismatches\n";
  }
  for (const std::string& problem : evidence.problems) out << "  PROBLEM  " << problem << "\n";
  out << std::fixed << std::setprecision(1) << "  seconds:   download " << evidence.download_seconds
      << ", restore " << evidence.restore_seconds << ", documents " << evidence.docs_seconds
      << ", check " << evidence.check_seconds << ", total " << evidence.total_seconds << "\n";
  out << "  evidence:  " << (evidence_key.empty() ? "not written" : evidence_key) << "\n";
}

}  // namespace erp::app
