#include "app/verify.h"

#include "app/dump_source.h"
#include "app/restore_db_dump.h"
#include "codec/sha256_source.h"
#include "codec/zstd_source.h"
#include "s3/object_source.h"

namespace erp::app {
namespace {

// A read that failed because the object is missing or damaged is the set's problem; any other
// failure (the network, a signal) is the run's.
bool is_object_problem(const Error& error) {
  return error.kind == ErrorKind::not_found || error.kind == ErrorKind::corrupt;
}

// Size and hash against the record; the stream's own checks come from the caller.
void compare_with_record(const catalog::StreamRecord& record, const codec::Sha256Source& hashed,
                         StreamCheck& check) {
  check.bytes = hashed.bytes();
  check.sha256 = hashed.hex();
  if (hashed.bytes() != record.bytes) {
    check.problems.push_back(record.key + ": " + std::to_string(hashed.bytes()) +
                             " bytes stored, the manifest says " + std::to_string(record.bytes));
  }
  if (hashed.hex() != record.sha256) {
    check.problems.push_back(record.key + ": SHA-256 " + hashed.hex() + ", the manifest says " +
                             record.sha256);
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

Result<StreamCheck> check_docs(s3::ObjectStore& store, const catalog::Manifest& manifest) {
  const catalog::StreamRecord& record = *manifest.docs;
  StreamCheck check{.stream = "docs", .key = record.key};
  s3::ObjectSource object(store, record.key);
  codec::Sha256Source hashed(object);
  auto decoder = codec::ZstdSource::create(hashed);
  if (!decoder) return std::unexpected(decoder.error());
  auto counts = archive::count_tar(**decoder);
  // The tar's end-of-archive blocks may leave padding unread: the hash covers every byte.
  if (counts) {
    if (auto drained = hashed.drain(); !drained) counts = std::unexpected(drained.error());
  }
  if (!counts) {
    if (!is_object_problem(counts.error())) return std::unexpected(counts.error());
    check.problems.push_back(record.key + ": " + counts.error().message);
    return check;
  }
  compare_with_record(record, hashed, check);
  check.counts = *counts;
  if (!manifest.documents) return check;
  const catalog::DocumentsRecord& expected = *manifest.documents;
  auto compare = [&](const char* what, std::uint64_t found, std::uint64_t recorded) {
    if (found != recorded) {
      check.problems.push_back(record.key + ": the archive holds " + std::to_string(found) + " " +
                               what + ", the manifest says " + std::to_string(recorded));
    }
  };
  compare("files", counts->files, expected.files);
  compare("directories", counts->directories, expected.directories);
  compare("symlinks", counts->symlinks, expected.symlinks);
  compare("hard links", counts->hardlinks, expected.hardlinks);
  compare("content bytes", counts->content_bytes, expected.uncompressed_bytes);
  compare("entries of other types", counts->other, 0);
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
    auto check = check_docs(store, manifest);
    if (!check) return std::unexpected(check.error());
    report.streams.push_back(std::move(*check));
  }
  if (!db && !docs) report.problems.push_back("set " + set.id + ": the manifest names no stream");
  for (const StreamCheck& check : report.streams) {
    report.problems.insert(report.problems.end(), check.problems.begin(), check.problems.end());
  }
  return report;
}

}  // namespace erp::app
