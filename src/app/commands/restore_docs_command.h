// `erp-backup restore docs [ID|latest] [--target-dir DIR] [--subtree PATH] [--force]
// [--absolute-links-under PATH]... [--keep-links-outside] [--keep-setid]` (SPEC §6, issues 8
// and 17).
//
// The set: an ID, or `latest` (default) = the newest set whose docs stream was committed and
// whose archive is in the bucket. A set without a manifest, or whose manifest says the docs
// stream failed or did not run, is refused (exit 1) before anything is written.
//
// The target: --target-dir, else RESTORE_DOCUMENTS_DIR (neither: exit 2). It must be empty or
// absent (created, one level, 0755; removed again when the restore fails) unless --force (a
// non-empty one without it: exit 2, nothing touched). A staging directory left by a killed run
// (archive/staging_area.h) does not count as content; it is removed once the restore runs.
// `--subtree` must be a relative path without '..' (else exit 2, nothing touched).
//
// Nothing in the target changes until the whole object matched its manifest (issue 17):
//   1. links the manifest records as leaving the tree are refused (exit 1) before anything is
//      read or written, unless --keep-links-outside (app/restore/docs_staging.h);
//   2. the archive is extracted into a staging directory inside the target, read once and
//      checked (size and SHA-256 against the manifest, every entry by the extractor);
//   3. the move is planned (archive/tree_merge.h): every clash between the staged tree and the
//      target (a directory where the archive has a file, a mount point, a directory this user
//      cannot write) is refused, still with nothing changed;
//   4. the staged entries are renamed into place (--force: files and links of the archive's
//      names replaced, directories merged, everything else stays), then the staging directory
//      is removed.
// Any failure in 1–3 leaves the target exactly as it was (and no 0700 directory anywhere); a
// rename failing in 4 (the plan rules out every foreseeable cause) names how far it got, and a
// rerun with --force completes it. Two restores into one directory exclude each other (a lock
// on the directory, where its file system has flock).
//
// Absolute symlink targets are allowed only under the target directory, DOCUMENTS_DIR (where the
// application serves the documents) and each --absolute-links-under PATH — never under the
// manifest's root, which comes from the bucket. Setuid/setgid bits are dropped from files
// unless --keep-setid; the log counts them.
//
// Exit: 0 restored; 1 the set is unusable, a hostile entry (named), a link leaving the tree, a
// clash with the target, a store error or a hash mismatch; 2 usage or configuration; 128+N when
// stopped by a signal.
#pragma once

#include <string>
#include <vector>

#include "app/commands/context.h"

namespace erp::app {

// args: what follows `restore docs`.
ExitCode run_restore_docs(Context& context, const Arguments& args);

}  // namespace erp::app
