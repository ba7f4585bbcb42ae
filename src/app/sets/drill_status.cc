#include "app/sets/drill_status.h"

#include <algorithm>
#include <tuple>

#include "app/sets/newest_manifest.h"
#include "catalog/catalog.h"
#include "catalog/manifest.h"
#include "core/time_format.h"
#include "s3/list_all_objects.h"

namespace erp::app {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// The store's failure for `key`, unless it only means the object is not a usable one: gone since
// the listing (not_found) or too large (corrupt). Those are the object's problem, not the look's.
bool object_problem(const Error& error) {
  return error.kind == ErrorKind::not_found || error.kind == ErrorKind::corrupt;
}

}  // namespace

Result<DrillStatus> drill_status(s3::ObjectStore& store, const catalog::KeyLayout& layout) {
  const std::string folder = layout.drill_prefix();
  auto listed = s3::list_all_objects(store, folder);
  if (!listed) return std::unexpected(listed.error().with_context("listing " + folder));
  struct Candidate {
    std::string drill_time;
    std::string key;
  };
  std::vector<Candidate> candidates;
  for (s3::ObjectInfo& object : *listed) {
    const auto parsed = layout.parse(object.key);
    if (parsed && parsed->kind == catalog::ObjectKind::drill_evidence)
      candidates.push_back({parsed->token, std::move(object.key)});
  }
  // A DRILL TIME is its UTC time: newest first; the key breaks ties (two sets drilled at once).
  std::ranges::sort(candidates, [](const Candidate& a, const Candidate& b) {
    return std::tie(a.drill_time, a.key) > std::tie(b.drill_time, b.key);
  });
  DrillStatus status;
  int reads = 0;
  for (const Candidate& candidate : candidates) {
    if (status.last_passed || reads++ == kDrillEvidenceReads) break;
    auto text = catalog::read_small_object(store, candidate.key);
    if (!text && !object_problem(text.error()))
      return std::unexpected(text.error().with_context("reading " + candidate.key));
    auto evidence = text ? catalog::parse_drill_evidence(*text)
                         : Result<catalog::DrillEvidence>(std::unexpected(text.error()));
    if (!evidence) {
      status.unreadable.push_back(candidate.key + ": " + evidence.error().message);
      continue;
    }
    if (!status.newest) status.newest = *evidence;
    if (evidence->passed) status.last_passed = std::move(*evidence);
  }
  return status;
}

std::optional<std::chrono::system_clock::time_point> drill_success_time(
    const catalog::DrillEvidence& evidence) {
  if (auto finished = parse_iso8601_utc(evidence.finished_at)) return finished;
  return parse_iso8601_utc(evidence.drilled_at);
}

std::optional<double> seconds_per_gib(const catalog::DrillEvidence& passed) {
  const std::uint64_t stored = passed.dump_bytes + passed.docs_bytes;
  if (!passed.passed || stored == 0) return std::nullopt;
  return passed.total_seconds / (static_cast<double>(stored) / kGiB);
}

std::optional<double> predicted_rto_seconds(const DrillStatus& status, std::uint64_t stored_bytes) {
  if (!status.last_passed) return std::nullopt;
  const auto rate = seconds_per_gib(*status.last_passed);
  if (!rate) return std::nullopt;
  return *rate * (static_cast<double>(stored_bytes) / kGiB);
}

Result<std::optional<std::uint64_t>> newest_complete_set_bytes(s3::ObjectStore& store,
                                                               const catalog::KeyLayout& layout) {
  auto newest = newest_complete_manifest(store, layout, kDrillEvidenceReads);
  if (!newest) return std::unexpected(newest.error());
  if (const auto& manifest = *newest) {
    std::uint64_t bytes = 0;
    if (manifest->db) bytes += manifest->db->bytes;
    if (manifest->docs) bytes += manifest->docs->bytes;
    return std::optional<std::uint64_t>(bytes);
  }
  return std::optional<std::uint64_t>();
}

}  // namespace erp::app
