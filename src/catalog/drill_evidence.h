// The evidence a drill leaves (issue 21, SPEC §2 `drill`): one JSON object per drill at
//   <prefix>/<env>/drills/<ID>-<DRILL TIME>.json      (both YYYYMMDDTHHMMSSZ)
// written once (If-None-Match: * where the store has it), never overwritten, never deleted by
// prune (an audit record: key_layout.h's ObjectKind::drill_evidence, "never foreign"). It says
// which set was drilled, what was compared and found, how long each phase took, with which
// tools and servers, and whether it passed. `status`, `list` and the metrics read the newest
// one (by DRILL TIME) for the last drill and the predicted recovery time. Pure (to_json/parse).
//
// Bounded like the manifest (catalog/manifest.h "Bounds"): parse refuses more than
// kMaxDrillEvidenceBytes; to_json cuts the mismatch list (kMaxListedMismatches, the rest
// counted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace erp::catalog {

inline constexpr int kDrillEvidenceFormatVersion = 1;
inline constexpr std::size_t kMaxDrillEvidenceBytes = 256 * 1024;
inline constexpr std::size_t kMaxListedMismatches = 200;

struct DrillCheck {
  std::string what;      // "rows public.llx_societe", "large objects", "docs entries", ...
  std::string expected;  // as text: "12", "sha256:ab12..."
  std::string found;
  bool failing = true;  // false: reported only (estimate counts, "own" snapshot)
};

struct DrillEvidence {
  int format_version = kDrillEvidenceFormatVersion;
  std::string set_id;
  std::string drilled_at;  // ISO 8601 UTC: when the drill started (DRILL TIME in the key)
  std::string finished_at;
  bool passed = false;
  std::string target;  // "embedded" or "restore" (DRILL_TARGET)
  int jobs = 1;
  std::string tool_version;  // erp-backup's
  std::string host;
  std::string pg_restore_version;
  std::string target_server_version;  // the drill PostgreSQL's SHOW server_version
  std::string source_server_version;  // the manifest's
  // What was compared: tables' row counts (exact/estimate, snapshot dump/own), large objects,
  // the documents' entries, bytes and archive SHA-256.
  std::string row_count_method;  // "exact", "estimate", or "none" (the manifest had none)
  int tables_compared = 0;
  bool docs_compared = false;
  std::uint64_t dump_bytes = 0;        // stored bytes of the dump
  std::uint64_t docs_bytes = 0;        // stored bytes of the docs archive (0 without docs)
  std::vector<DrillCheck> mismatches;  // failing and reported-only; cut at kMaxListedMismatches
  std::uint64_t mismatches_omitted = 0;
  std::vector<std::string> problems;  // other failures (pg_restore errors, a docs error, ...)
  // Seconds per phase: download (--jobs), restore db, restore docs, checks, total. RTO is the
  // total (what bringing this set back took, end to end).
  double download_seconds = 0;
  double restore_seconds = 0;
  double docs_seconds = 0;
  double check_seconds = 0;
  double total_seconds = 0;
};

std::string to_json(const DrillEvidence& evidence);
// Errors: corrupt (too long, not JSON, wrong format_version, wrong field types).
Result<DrillEvidence> parse_drill_evidence(std::string_view json);

}  // namespace erp::catalog
