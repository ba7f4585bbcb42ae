// The drill's documents check (issue 21): the set's archive extracted with restore docs' own
// machinery (app/restore/docs_staging.h: the safe extractor, the object's size and SHA-256
// checked against the manifest at the end) into a private directory of the work directory,
// then what was written compared with the manifest's documents record: files, directories,
// symbolic links, hard links, content bytes; the directory is removed before returning.
//
// The extraction keeps links that leave the tree as links (never followed, never written
// through; the directory is private and goes at once) so that they are counted like the
// backup counted them; setuid/setgid bits are dropped; owners are never restored.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/drill_evidence.h"
#include "catalog/manifest.h"
#include "core/cancellation.h"
#include "core/error.h"
#include "s3/object_store.h"

namespace erp::app {

struct DocsCheckResult {
  std::vector<catalog::DrillCheck> mismatches;  // each count or digest that differs
  std::vector<std::string> problems;            // the extraction failed (why, naming the key)
  std::uint64_t stored_bytes = 0;               // of the archive (the manifest's)
  std::chrono::milliseconds elapsed{0};
  bool ok() const { return mismatches.empty() && problems.empty(); }
};

// `manifest` holds a committed docs stream. Errors (the check could not be made at all):
// config for an unusable work directory, cancelled on a signal. Anything the archive or the
// store did wrong is a problem of the result, not an error.
Result<DocsCheckResult> check_set_docs(s3::ObjectStore& store, const catalog::Manifest& manifest,
                                       const std::filesystem::path& work_dir,
                                       const Cancellation& cancellation);

}  // namespace erp::app
