// What a drill found, put into its evidence (catalog/drill_evidence.h). Pure.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "app/drill/drill_docs.h"
#include "app/restore/restore_db.h"
#include "catalog/drill_evidence.h"
#include "catalog/manifest.h"

namespace erp::app {

// The set's side: IDs, versions, the stored sizes the RTO per GiB is reckoned on, the method
// its row counts were taken with ("none" when the manifest holds none).
void record_set(catalog::DrillEvidence& evidence, const catalog::Manifest& manifest);

// What the set's manifest keeps the drill from proving, as problems (each fails the drill): a
// dump without row counts (BACKUP_ROW_COUNTS=off, a count that failed during the backup, or a
// set older than row counts), and tables whose counts the manifest left out (tables_omitted).
// A drill passes only when every table's data was compared.
std::vector<std::string> unproven_by_manifest(const catalog::Manifest& manifest);

// The database restore's side: versions, jobs, durations, the row counts compared and each
// mismatch ("rows schema.table", "large objects").
void record_restore(catalog::DrillEvidence& evidence, const RestoreDbReport& report);

// The documents' side: compared, their mismatches and problems, the time it took.
void record_docs(catalog::DrillEvidence& evidence, const DocsCheckResult& docs);

// Whether anything failing was found: a failing mismatch or a problem.
bool evidence_passes(const catalog::DrillEvidence& evidence);

double seconds(std::chrono::duration<double> duration);

}  // namespace erp::app
