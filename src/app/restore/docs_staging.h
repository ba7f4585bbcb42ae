// Staging a set's documents: the part of `restore docs` and `refresh-sandbox` that reads the
// bucket, writing only into a staging directory (archive/staging_area.h) inside the directory
// the documents are for. Nothing reaches that directory's own entries until stage_set_docs()
// returned: the commands then move the staged tree into place (restore docs: a merge,
// archive/tree_merge.h; refresh-sandbox: a swap of one subtree).
//
// Order, each step before the next (issue 17):
//   1. extract_options_for(): what the extractor allows — absolute links only under the final
//      directory, DOCUMENTS_DIR and --absolute-links-under (never the manifest's root, which
//      comes from the bucket); the manifest's content bytes and entry count as limits;
//   2. refuse_recorded_links(): the links the manifest records as leaving the tree, judged by
//      those options: refused before anything is read or written, unless --keep-links-outside
//      (the extractor's own check covers a manifest that lies);
//   3. stage_set_docs(): one read of the object through the docs read chain
//      (app/restore/docs_read_chain.h) into the extractor, the size and SHA-256 checked against the
//      manifest at the end; a second, also checked, read when hard links inside --subtree have
//      their first name outside it; the directories' metadata applied in staging; a subtree
//      that holds nothing is an error.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "archive/safe_extractor.h"
#include "archive/staging_area.h"
#include "catalog/manifest.h"
#include "config/restore_docs_config.h"
#include "core/cancellation.h"
#include "s3/object_store.h"

namespace erp::app {

struct DocsRestoreRequest {
  std::string subtree;                            // --subtree / REFRESH_DOCS_SUBTREE ("" = all)
  std::vector<std::string> absolute_links_under;  // --absolute-links-under PATH...
  bool keep_links_outside = false;                // --keep-links-outside
  bool keep_setid = false;                        // --keep-setid
};

// The extractor's options for restoring `manifest`'s documents into `final_dir` (absolute).
// Owners are restored when running as root.
// `dir` made absolute (against the working directory) and normal, without a trailing '/'
// ("/x/" → "/x"): the documents directory a restore writes into. Errors: config when the working
// directory cannot be read.
Result<std::filesystem::path> absolute_directory(const std::string& dir);

archive::ExtractOptions extract_options_for(const catalog::Manifest& manifest,
                                            const std::filesystem::path& final_dir,
                                            const config::RestoreDocsConfig& config,
                                            const DocsRestoreRequest& request);

// Errors: corrupt, listing the first recorded links (within the subtree) that `options` would
// refuse, how many there are, and the flags that allow them. Nothing is read or written.
Result<void> refuse_recorded_links(const catalog::Manifest& manifest,
                                   const archive::ExtractOptions& options);

// Extracts `manifest`'s documents (a committed docs stream) into `area`'s staging tree
// (create() called), as above. Returns
// the extractor, finished: its stats and its directories' metadata for the move. Errors: the
// extractor's (a hostile entry, corrupt), corrupt for a mismatch with the manifest (naming the
// key), not_found for a subtree the archive does not hold, the store's.
// Borrows everything for the call.
Result<std::unique_ptr<archive::SafeExtractor>> stage_set_docs(
    s3::ObjectStore& store, const catalog::Manifest& manifest, archive::StagingArea& area,
    const archive::ExtractOptions& options, const Cancellation& cancellation);

}  // namespace erp::app
