// What `status`, `list` and the metrics say about restore drills (issue 21): the newest drill
// evidence (catalog/drill_evidence.h) and the newest PASSING one, and from that the measured
// recovery time per GiB and the prediction for a set of a given size.
//
//   seconds_per_gib        total_seconds / (GiB stored of the drilled set: dump_bytes +
//                          docs_bytes), of the newest passing drill; nullopt without one, or
//                          when it recorded no stored bytes. A failed drill's time says nothing
//                          about how long a recovery takes, so it never feeds the prediction.
//   predicted_rto_seconds  seconds_per_gib × the GiB stored of a set (status: the newest
//                          complete set; list: each set).
//
// The newest evidence is the one with the largest DRILL TIME in its key (drills/<ID>-<DRILL
// TIME>.json; key_layout.h). An evidence object that cannot be read or parsed is named in
// `unreadable` (the caller logs a warning) and the next newest is tried: one damaged object
// must not hide every drill, nor fail `status`. At most kDrillEvidenceReads objects are read.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/drill_evidence.h"
#include "catalog/key_layout.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::app {

// A bound on the GETs of one look: a drill a week leaves 52 objects a year; when more than this
// many newest ones are all unreadable, something else is wrong and an older verdict would mislead.
inline constexpr int kDrillEvidenceReads = 16;

struct DrillStatus {
  std::optional<catalog::DrillEvidence> newest;       // nullopt: no readable evidence
  std::optional<catalog::DrillEvidence> last_passed;  // the newest with passed = true
  std::vector<std::string> unreadable;                // "<key>: <why>", newest first
};

// One listing of drills/ and GETs newest first until the newest passing evidence is found (or
// kDrillEvidenceReads were read). Errors: the store's, for the listing or a GET failing other
// than not_found (gone since the listing) or corrupt (too large).
Result<DrillStatus> drill_status(s3::ObjectStore& store, const catalog::KeyLayout& layout);

// The time the drill passed: its finished_at, else its drilled_at; nullopt when neither is an
// ISO 8601 UTC time. Pure.
std::optional<std::chrono::system_clock::time_point> drill_success_time(
    const catalog::DrillEvidence& evidence);

// See the header comment. Pure.
std::optional<double> seconds_per_gib(const catalog::DrillEvidence& passed);
std::optional<double> predicted_rto_seconds(const DrillStatus& status, std::uint64_t stored_bytes);

// The stored bytes (db + docs, as the manifest records them) of the newest complete set whose
// manifest is trusted, among the newest kDrillEvidenceReads manifests; nullopt when none.
// Errors: the store's, as lock_status's.
Result<std::optional<std::uint64_t>> newest_complete_set_bytes(s3::ObjectStore& store,
                                                               const catalog::KeyLayout& layout);

}  // namespace erp::app
