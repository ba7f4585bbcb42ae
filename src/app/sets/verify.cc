#include "app/sets/verify.h"

#include "app/restore/docs_read_chain.h"
#include "app/restore/dump_source.h"
#include "app/restore/restore_db_dump.h"
#include "app/sets/record_check.h"
#include "archive/archive_audit.h"
#include "archive/printable_path.h"
#include "codec/sha256_source.h"

namespace erp::app {
namespace {

// A read that failed because the object is missing or damaged is the set's problem; any other
// failure (the network, a signal) is the run's.
bool is_object_problem(const Error& error) {
  return error.kind == ErrorKind::not_found || error.kind == ErrorKind::corrupt;
}

// Size and hash against the record (app/sets/record_check.h); the stream's own checks come from the
// caller.
void compare_with_record(const catalog::StreamRecord& record, const codec::Sha256Source& hashed,
                         StreamCheck& check) {
  check.bytes = hashed.bytes();
  check.sha256 = hashed.hex();
  for (std::string& difference : record_differences(record, hashed.bytes(), hashed.hex())) {
    check.problems.push_back(std::move(difference));
  }
}

Result<StreamCheck> check_db(s3::ObjectStore& store, const catalog::Manifest& manifest,
                             const pg::PgRestoreTool& pg_restore,
                             const Cancellation& cancellation) {
  const catalog::StreamRecord& record = *manifest.db;
  StreamCheck check{.stream = "db", .key = record.key};
  auto dump = DumpSource::open(store, record);
  if (!dump) {
    if (!is_object_problem(dump.error())) return std::unexpected(dump.error());
    check.problems.push_back(dump.error().message);  // names the key
    return check;
  }
  // pg_restore --list reads the decompressed archive: its PGDMP signature and TOC; the whole
  // archive is read (every zstd frame decoded and its checksum checked) and hashed as stored.
  auto toc = pg::list_toc((*dump)->archive(), pg_restore, cancellation);
  if (!toc) {
    if (!is_object_problem(toc.error())) return std::unexpected(toc.error());
    check.problems.push_back(record.key + ": " + toc.error().message);
    return check;
  }
  compare_with_record(record, (*dump)->stored(), check);
  check.tables = toc->tables;  // not partitions: what the manifest counts
  if (manifest.database) {
    if (auto problem = toc_table_problem(*toc, *manifest.database, record.key)) {
      check.problems.push_back(std::move(*problem));
    }
  }
  return check;
}

// The links an archive holds that leave the tree, against what its manifest records.
void compare_links(const catalog::StreamRecord& record, const catalog::DocumentsRecord* expected,
                   const archive::LinksOutside& found, StreamCheck& check) {
  if (found.total == 0) return;
  std::string text = record.key + ": " + std::to_string(found.total) + " symbolic link" +
                     (found.total == 1 ? "" : "s") +
                     " leave the documents tree; restore docs refuses the set unless "
                     "--keep-links-outside (or --absolute-links-under for absolute targets): ";
  for (std::size_t i = 0; i < found.listed.size() && i < 5; ++i) {
    text += (i ? ", '" : "'") + archive::printable_path(found.listed[i].path) + "' -> '" +
            archive::printable_path(found.listed[i].target) + "'";
  }
  if (found.total > std::min<std::uint64_t>(found.listed.size(), 5)) text += ", ...";
  check.notes.push_back(std::move(text));
  if (expected != nullptr && expected->links_outside_total &&
      *expected->links_outside_total != found.total) {
    check.problems.push_back(record.key + ": the archive holds " + std::to_string(found.total) +
                             " links that leave the tree, the manifest records " +
                             std::to_string(*expected->links_outside_total));
  }
}

Result<StreamCheck> check_docs(s3::ObjectStore& store, const catalog::Manifest& manifest,
                               const Cancellation& cancellation) {
  const catalog::StreamRecord& record = *manifest.docs;
  StreamCheck check{.stream = "docs", .key = record.key};
  const catalog::DocumentsRecord* expected = manifest.documents ? &*manifest.documents : nullptr;
  auto object_problem = [&](const Error& error) -> Result<StreamCheck> {
    if (!is_object_problem(error)) return std::unexpected(error);
    check.problems.push_back(record.key + ": " + error.message);
    return check;
  };
  auto chain = DocsReadChain::open(store, record);
  if (!chain) return object_problem(chain.error());
  // The extractor's own checks (archive/archive_policy.h): what restore would refuse, verify
  // reports. The manifest's root only tells which absolute links pointed into the backed-up
  // tree; it permits nothing.
  std::vector<std::string> roots;
  if (expected != nullptr && !expected->root.empty()) roots.push_back(expected->root);
  auto audit = archive::audit_tar((*chain)->reader(), roots, cancellation);
  if (!audit) return object_problem(audit.error());
  if (auto drained = (*chain)->drain(); !drained) return object_problem(drained.error());
  compare_with_record(record, (*chain)->stored(), check);
  check.counts = audit->counts;
  for (const std::string& refusal : audit->refusals) {
    check.problems.push_back(record.key + ": restore would refuse " + refusal);
  }
  if (audit->refusals_total > audit->refusals.size()) {
    check.problems.push_back(record.key + ": ... " +
                             std::to_string(audit->refusals_total - audit->refusals.size()) +
                             " more entries restore would refuse");
  }
  compare_links(record, expected, audit->links_outside, check);
  if (expected == nullptr) return check;
  auto compare = [&](const char* what, std::uint64_t found, std::uint64_t recorded) {
    if (found != recorded) {
      check.problems.push_back(record.key + ": the archive holds " + std::to_string(found) + " " +
                               what + ", the manifest says " + std::to_string(recorded));
    }
  };
  const archive::TarCounts& counts = audit->counts;
  compare("files", counts.files, expected->files);
  compare("directories", counts.directories, expected->directories);
  compare("symlinks", counts.symlinks, expected->symlinks);
  compare("hard links", counts.hardlinks, expected->hardlinks);
  compare("content bytes", counts.content_bytes, expected->uncompressed_bytes);
  compare("entries of other types", counts.other, 0);
  return check;
}

}  // namespace

Result<std::vector<const catalog::CatalogSet*>> select_sets(const catalog::Catalog& catalog,
                                                            const std::string& which) {
  std::vector<const catalog::CatalogSet*> chosen;
  if (which == "--all") {
    for (const auto& set : catalog.sets)
      if (set.complete) chosen.push_back(&set);
    if (chosen.empty()) return make_error(ErrorKind::not_found, "there is no complete backup set");
    return chosen;
  }
  auto set = catalog::find_set(catalog, which);
  if (!set) return std::unexpected(set.error());
  return std::vector<const catalog::CatalogSet*>{*set};
}

Result<SetReport> verify_set(s3::ObjectStore& store, const catalog::CatalogSet& set,
                             const pg::PgRestoreTool& pg_restore,
                             const Cancellation& cancellation) {
  SetReport report{.id = set.id};
  if (!set.manifest) {
    report.problems.push_back("set " + set.id + ": " +
                              (set.problem.empty() ? std::string("no manifest") : set.problem));
    return report;
  }
  const catalog::Manifest& manifest = *set.manifest;
  for (const auto* stream : {&manifest.db, &manifest.docs}) {
    if (*stream && (*stream)->status != catalog::StreamStatus::committed) {
      report.problems.push_back((*stream)->key + ": the manifest says the stream " +
                                std::string(catalog::to_string((*stream)->status)));
    }
  }
  const bool db = manifest.db && manifest.db->status == catalog::StreamStatus::committed;
  const bool docs = manifest.docs && manifest.docs->status == catalog::StreamStatus::committed;
  if (db) {
    auto check = check_db(store, manifest, pg_restore, cancellation);
    if (!check) return std::unexpected(check.error());
    report.streams.push_back(std::move(*check));
  }
  if (docs) {
    auto check = check_docs(store, manifest, cancellation);
    if (!check) return std::unexpected(check.error());
    report.streams.push_back(std::move(*check));
  }
  if (!db && !docs) report.problems.push_back("set " + set.id + ": the manifest names no stream");
  for (const StreamCheck& check : report.streams) {
    report.problems.insert(report.problems.end(), check.problems.begin(), check.problems.end());
    report.notes.insert(report.notes.end(), check.notes.begin(), check.notes.end());
  }
  return report;
}

}  // namespace erp::app
