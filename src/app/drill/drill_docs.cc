#include "app/drill/drill_docs.h"

#include "app/drill/private_dir.h"
#include "app/restore/docs_staging.h"
#include "archive/staging_area.h"
#include "config/restore_docs_config.h"

namespace erp::app {
namespace {

using Clock = std::chrono::steady_clock;

void compare(DocsCheckResult& result, const std::string& what, std::uint64_t expected,
             std::uint64_t found) {
  if (expected == found) return;
  result.mismatches.push_back(catalog::DrillCheck{
      .what = what, .expected = std::to_string(expected), .found = std::to_string(found)});
}

}  // namespace

Result<DocsCheckResult> check_set_docs(s3::ObjectStore& store, const catalog::Manifest& manifest,
                                       const std::filesystem::path& work_dir,
                                       const Cancellation& cancellation) {
  const auto started = Clock::now();
  DocsCheckResult result;
  const catalog::StreamRecord& record = *manifest.docs;
  result.stored_bytes = record.bytes;
  auto dir = PrivateDir::make(work_dir, "docs");
  if (!dir) return std::unexpected(dir.error());
  archive::ExtractOptions options =
      extract_options_for(manifest, (*dir)->path(), config::RestoreDocsConfig{},
                          DocsRestoreRequest{.keep_links_outside = true});
  options.restore_owners = false;
  auto finish = [&]() -> Result<DocsCheckResult> {
    if (auto removed = (*dir)->remove(); !removed) {
      result.problems.push_back("the extracted documents could not be removed: " +
                                removed.error().message);
    }
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    if (cancellation.cancelled()) return make_error(ErrorKind::cancelled, "stopped by a signal");
    return std::move(result);
  };
  auto area = archive::StagingArea::open((*dir)->path());
  if (!area) return std::unexpected(area.error());
  if (auto made = (*area)->create(manifest.id); !made) return std::unexpected(made.error());
  auto staged = stage_set_docs(store, manifest, **area, options, cancellation);
  if (!staged) {
    result.problems.push_back("documents " + record.key + ": " + staged.error().message);
    area->reset();
    return finish();
  }
  const archive::ExtractStats stats = (*staged)->stats();
  const catalog::DocumentsRecord expected = manifest.documents.value_or(catalog::DocumentsRecord{});
  compare(result, "docs files", expected.files, stats.files);
  compare(result, "docs directories", expected.directories, stats.directories);
  compare(result, "docs symlinks", expected.symlinks, stats.symlinks);
  compare(result, "docs hardlinks", expected.hardlinks, stats.hardlinks);
  compare(result, "docs bytes", expected.uncompressed_bytes, stats.bytes);
  // stage_set_docs compared the object's size and SHA-256 with the manifest's (it fails
  // otherwise): the digest read is the recorded one.
  staged->reset();
  area->reset();
  return finish();
}

}  // namespace erp::app
