// `erp-backup restore docs [ID|latest] [--target-dir DIR] [--subtree PATH] [--force]
// [--absolute-links-under PATH]...` (SPEC §6, issue 8).
//
// Chain: ObjectSource(docs key) → Sha256Source → ZstdSource → TarReader → SafeExtractor
// (archive/safe_extractor.h: the checks, what --force replaces, how --subtree handles hard links
// whose first name lies outside the subtree).
//
// The set: an ID, or `latest` (default) = the newest set whose docs stream was committed and
// whose archive is in the bucket. A set without a manifest, or whose manifest says the docs
// stream failed or did not run, is refused (exit 1) before anything is written.
//
// The target: --target-dir, else RESTORE_DOCUMENTS_DIR (neither: exit 2). It must be empty or
// absent (created, one level, 0755) unless --force (a non-empty one without it: exit 2, nothing
// touched). Owners are restored when running as root.
//
// Absolute symlink targets are allowed only under the target directory, the documents root the
// backup was taken from (the manifest's, e.g. /var/www/documents), and each
// --absolute-links-under PATH; every other absolute link fails the restore.
//
// After the archive's end, the rest of the object is read and its size and SHA-256 compared
// with the manifest. A mismatch is exit 1 naming the key; the files were written already (the
// stream is checked as it is read, not before), and the message says so.
//
// Exit: 0 restored; 1 the set is unusable, a hostile entry (named), a store error or a hash
// mismatch; 2 usage or configuration; 128+N when stopped by a signal.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "app/context.h"
#include "archive/safe_extractor.h"
#include "catalog/catalog.h"

namespace erp::app {

// Extracts `set`'s documents archive (the set has a committed docs stream) into `target`, an
// existing directory, with `options` (absolute links are also allowed into `target` and into
// the manifest's documents root), then checks the object's size and SHA-256; returns the exit
// code. Used by `restore docs` and `refresh-sandbox`.
int restore_set_docs(Context& context, const catalog::CatalogSet& set,
                     const std::filesystem::path& target, archive::ExtractOptions options);

// args: what follows `restore docs`.
int run_restore_docs(Context& context, const std::vector<std::string>& args);

}  // namespace erp::app
