#include "app/sets/status.h"

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "catalog/manifest.h"
#include "config/s3_config.h"
#include "core/time_format.h"

namespace erp::app {

std::vector<StreamStatusLine> judge_streams(const catalog::LastSuccess& last,
                                            catalog::StreamSet expected,
                                            std::chrono::system_clock::time_point now,
                                            std::chrono::seconds max_age) {
  std::vector<StreamStatusLine> lines;
  for (catalog::Stream stream : catalog::kStreams) {
    if (!expected.has(stream)) continue;
    StreamStatusLine line{.stream = stream, .last = last.of(stream)};
    if (line.last) {
      if (auto finished = catalog::success_time(stream, *line.last, now)) {
        line.age = std::chrono::duration_cast<std::chrono::seconds>(now - *finished);
        line.fresh = *line.age <= max_age;
      } else {
        line.problem = finished.error().message;
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

namespace {

// Why the manifest and the object do not back `line`'s recorded success ("" when they do).
// Errors: the store's, other than not_found.
Result<std::string> manifest_problem(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                                     const StreamStatusLine& line) {
  const catalog::StreamSuccess& success = *line.last;
  const std::string stream(catalog::to_string(line.stream));
  const std::string key = layout.manifest_key(success.id);
  const std::string where =
      "last-success.json: " + stream + " (set " + success.id + ", " + success.finished_at + ")";
  const std::string hint =
      " (hint: the manifest is the commit point; a success without it did not happen. "
      "erp-backup list shows the sets; the next successful backup rewrites last-success.json)";
  if (success.manifest != key)
    return where + " names manifest " + success.manifest + ", not " + key + hint;
  auto text = catalog::read_small_object(store, key);
  if (!text) {
    if (text.error().kind == ErrorKind::not_found)
      return where + ": " + key + " does not exist" + hint;
    // Too large to be a manifest (or cut short): either way not one that backs a success.
    if (text.error().kind == ErrorKind::corrupt)
      return where + ": " + key + ": " + text.error().message + hint;
    return std::unexpected(text.error().with_context("reading " + key));
  }
  auto manifest = catalog::parse_manifest(*text);
  if (!manifest) return where + ": " + key + ": " + manifest.error().message + hint;
  if (std::string trust = catalog::trust_problem(*manifest, layout, success.id); !trust.empty())
    return where + ": " + key + ": " + trust + hint;
  const auto& record = line.stream == catalog::Stream::db ? manifest->db : manifest->docs;
  if (!record || record->status != catalog::StreamStatus::committed)
    return where + ": " + key + " does not record the " + stream + " stream as committed" + hint;
  if (manifest->finished_at != success.finished_at) {
    return where + ": " + key + " says the set finished at " + manifest->finished_at + hint;
  }
  auto object = store.head_object(record->key);
  if (!object) {
    if (object.error().kind == ErrorKind::not_found)
      return where + ": " + record->key + " does not exist" + hint;
    return std::unexpected(object.error().with_context("checking " + record->key));
  }
  if (object->size != record->bytes) {
    return where + ": " + record->key + " has " + std::to_string(object->size) +
           " bytes, the manifest says " + std::to_string(record->bytes) + hint;
  }
  return std::string();
}

}  // namespace

Result<void> check_manifests(s3::ObjectStore& store, const catalog::KeyLayout& layout,
                             std::vector<StreamStatusLine>& lines) {
  for (StreamStatusLine& line : lines) {
    if (!line.last || !line.problem.empty()) continue;
    auto problem = manifest_problem(store, layout, line);
    if (!problem) return std::unexpected(problem.error());
    if (!problem->empty()) {
      line.problem = std::move(*problem);
      line.fresh = false;
    }
  }
  return {};
}

}  // namespace erp::app
