// The drill's human summary on standard output (--json prints the evidence instead): verdict,
// set, target, what was compared, each mismatch and problem, the time of each phase, and where
// the evidence went.
#pragma once

#include <ostream>
#include <string>

#include "catalog/drill_evidence.h"

namespace erp::app {

// `evidence_key`: where the evidence was written ("" when it was not).
void print_drill_summary(std::ostream& out, const catalog::DrillEvidence& evidence,
                         const std::string& evidence_key);

}  // namespace erp::app
