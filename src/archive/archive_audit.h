// audit_tar: reads a whole archive and judges it the way a restore would, writing nothing (for
// verify, app/sets/verify.h): the counts the manifest records (TarCounts, every content byte read),
// every entry through archive/archive_policy.h's EntryChecker — the extractor's own name, type,
// link and limit checks — and the symbolic links that leave the tree.
//
// Without a target directory, "leaves the tree" is archive_policy's lexical judgement: relative
// targets inside the archive's namespace, absolute ones under `absolute_roots` (verify passes
// the manifest's root: a report of where the backup's tree was, never a permission).
//
// A refused entry is counted and listed, and the walk goes on (an entry that depends on it,
// such as a hard link to it, is refused too): the report names every problem, not only the
// first. Lists are bounded: the first kListedRefusals refusals and archive_policy's
// kListedLinks links, each with its total.
//
// Errors: the reader's (corrupt for a damaged or truncated archive, the input's own kinds);
// cancelled when `cancellation` is set (checked before each entry). Memory: EntryChecker's
// names, one read buffer. Borrows `reader`, which it walks to the archive's end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "archive/archive_policy.h"
#include "archive/tar_reader.h"
#include "core/cancellation.h"
#include "core/error.h"

namespace erp::archive {

inline constexpr std::size_t kListedRefusals = 20;

struct ArchiveAudit {
  TarCounts counts;
  std::vector<std::string> refusals;  // the first kListedRefusals, each naming its entry
  std::uint64_t refusals_total = 0;
  LinksOutside links_outside;
};

// `absolute_roots` that are not absolute paths without '..' are ignored.
Result<ArchiveAudit> audit_tar(TarReader& reader, const std::vector<std::string>& absolute_roots,
                               const Cancellation& cancellation);

}  // namespace erp::archive
