// Verification of stored backup sets (SPEC §2 `verify`, issue 8): every object of a set is read
// back from the bucket and compared with its manifest, and each stream is opened the way a
// restore would open it.
//
//   db:   object → sha256 → [zstd -d, DB_COMPRESSION=zstd sets] → pg_restore --list (the TOC
//         must parse and list the manifest's table count, partitions apart on both sides:
//         app/restore/restore_db_dump.h; every byte is still read, decoded and hashed after
//         pg_restore has the TOC); app/restore/dump_source.h
//   docs: the docs read chain (app/restore/docs_read_chain.h: object → sha256 → zstd -d → tar)
//   through
//         the extractor's own checks (archive/archive_audit.h, archive/archive_policy.h): every
//         entry a restore would refuse (a '..' or absolute name, a file through a symlink, a hard
//         link to a later entry or outside the tree, a device, an empty or over-long name) is a
//         problem naming it; file, directory, symlink and hard-link counts and content bytes
//         must equal the manifest's documents record. Links that leave the tree — relative
//         targets resolved inside the archive, absolute ones outside the manifest's root (only
//         a report of where the backup's tree was, never a permission) — are a note: the set is
//         intact, and restore docs refuses it unless --keep-links-outside; a count that differs
//         from the manifest's record is a problem.
//
// Nothing is written anywhere: no file, no object.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "archive/tar_reader.h"
#include "catalog/catalog.h"
#include "core/cancellation.h"
#include "core/error.h"
#include "pg/pg_restore_list.h"
#include "s3/object_store.h"

namespace erp::app {

struct StreamCheck {
  std::string stream;  // "db" or "docs"
  std::string key;
  std::uint64_t bytes = 0;                   // read back
  std::string sha256;                        // of what was read back ("" when the read failed)
  std::optional<int> tables;                 // db: TABLE entries in the TOC, not partitions
  std::optional<archive::TarCounts> counts;  // docs: what the archive holds
  std::vector<std::string> problems;         // each names the key
  std::vector<std::string> notes;            // what a restore needs to know; not a failure
};

struct SetReport {
  std::string id;
  std::vector<std::string> problems;  // set-level (no manifest, a stream failed) and per stream
  std::vector<StreamCheck> streams;
  std::vector<std::string> notes;  // the streams' notes
  bool ok() const { return problems.empty(); }
};

// Which sets `which` names: an ID, "latest" (the newest complete set) or "--all" (every complete
// set, oldest first). Errors: not_found naming the ID / saying there is no complete set.
Result<std::vector<const catalog::CatalogSet*>> select_sets(const catalog::Catalog& catalog,
                                                            const std::string& which);

// Reads every object of `set` back and checks it against its manifest. Store errors other than a
// missing or damaged object (transient after retries, cancelled) end the check with that error;
// everything else is a problem in the report.
Result<SetReport> verify_set(s3::ObjectStore& store, const catalog::CatalogSet& set,
                             const pg::PgRestoreTool& pg_restore, const Cancellation& cancellation);

}  // namespace erp::app
