// Verification of stored backup sets (SPEC §2 `verify`, issue 8): every object of a set is read
// back from the bucket and compared with its manifest, and each stream is opened the way a
// restore would open it.
//
//   db:   object → sha256 → [zstd -d, DB_COMPRESSION=zstd sets] → pg_restore --list (the TOC
//         must parse and list the manifest's table count, partitions apart on both sides:
//         app/restore_db_dump.h; every byte is still read, decoded and hashed after pg_restore
//         has the TOC); app/dump_source.h
//   docs: object → sha256 → zstd -d → tar walk (file, directory, symlink and hard-link counts and
//         content bytes must equal the manifest's documents record)
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
};

struct SetReport {
  std::string id;
  std::vector<std::string> problems;  // set-level (no manifest, a stream failed) and per stream
  std::vector<StreamCheck> streams;
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
