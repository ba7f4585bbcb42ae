#include "catalog/manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/enum_names.h"

namespace erp::catalog {
namespace {

using nlohmann::ordered_json;

// `text` cut to at most `limit` bytes, ending in "..." when cut. The cut may split a UTF-8
// sequence; dump() replaces what is left of it.
std::string bounded(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  return text.substr(0, limit - 3) + "...";
}

// The deepest nesting of arrays and objects in `text`, counting brackets outside strings.
// Stops counting at `limit` + 1: that is all the caller needs to know. Malformed text is
// the parser's to report; this only has to be right for text that would parse.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

ordered_json stream_json(const StreamRecord& s) {
  ordered_json j;
  j["key"] = s.key;
  j["status"] = to_string(s.status);
  j["bytes"] = s.bytes;
  j["sha256"] = s.sha256;
  j["parts"] = s.parts;
  j["etag"] = s.etag;
  j["compression"] = s.compression;
  j["producer_exit_status"] =
      s.producer_exit_status ? ordered_json(*s.producer_exit_status) : ordered_json(nullptr);
  if (!s.error.empty()) j["error"] = bounded(s.error, kMaxErrorBytes);
  return j;
}

StreamRecord stream_from(const ordered_json& j) {
  StreamRecord s;
  s.key = j.at("key").get<std::string>();
  auto status = parse_stream_status(j.at("status").get<std::string>());
  if (!status) throw std::invalid_argument(status.error().message);
  s.status = *status;
  s.bytes = j.value("bytes", std::uint64_t{0});
  s.sha256 = j.value("sha256", "");
  s.parts = j.value("parts", 0);
  s.etag = j.value("etag", "");
  s.compression = j.value("compression", "");
  if (j.contains("producer_exit_status") && !j["producer_exit_status"].is_null()) {
    s.producer_exit_status = j["producer_exit_status"].get<int>();
  }
  s.error = j.value("error", "");
  return s;
}

// The row counts' JSON with the first tables whose names fit `budget` bytes of text; the
// others are counted in tables_omitted (see RowCountsRecord). An entry costs its name (escapes
// included), its number and the pretty print's indentation.
ordered_json row_counts_json(const RowCountsRecord& counts, std::size_t budget) {
  ordered_json tables = ordered_json::object();
  std::size_t used = 0;
  std::uint64_t omitted = counts.tables_omitted;
  for (std::size_t i = 0; i < counts.tables.size(); ++i) {
    const TableRowsRecord& table = counts.tables[i];
    const std::size_t cost = ordered_json(table.table)
                                 .dump(-1, ' ', false, ordered_json::error_handler_t::replace)
                                 .size() +
                             34;
    if (used + cost > budget) {
      omitted += counts.tables.size() - i;
      break;
    }
    used += cost;
    tables[table.table] = table.rows ? ordered_json(*table.rows) : ordered_json(nullptr);
  }
  return {{"method", counts.method},
          {"snapshot", counts.snapshot},
          {"tables", std::move(tables)},
          {"large_objects", counts.large_objects},
          {"tables_omitted", omitted},
          {"fallback_reason", bounded(counts.fallback_reason, kMaxErrorBytes)}};
}

RowCountsRecord row_counts_from(const ordered_json& j) {
  if (!j.is_object()) throw std::invalid_argument("\"row_counts\" is not an object");
  RowCountsRecord counts;
  counts.method = j.at("method").get<std::string>();
  counts.snapshot = j.value("snapshot", "");
  counts.fallback_reason = j.value("fallback_reason", "");
  counts.large_objects = j.value("large_objects", std::int64_t{0});
  counts.tables_omitted = j.value("tables_omitted", std::uint64_t{0});
  if (j.contains("tables")) {
    const auto& tables = j["tables"];
    if (!tables.is_object()) throw std::invalid_argument("\"row_counts.tables\" is not an object");
    for (const auto& [name, rows] : tables.items()) {
      TableRowsRecord table{.table = name};
      if (!rows.is_null()) table.rows = rows.get<std::int64_t>();
      counts.tables.push_back(std::move(table));
    }
  }
  return counts;
}

}  // namespace

constexpr EnumName<StreamStatus> kStatusNames[] = {{StreamStatus::committed, "committed"},
                                                   {StreamStatus::failed, "failed"},
                                                   {StreamStatus::not_run, "not-run"}};

std::string_view to_string(StreamStatus status) {
  return name_of(kStatusNames, status);
}

Result<StreamStatus> parse_stream_status(std::string_view text) {
  if (auto status = value_named(kStatusNames, text)) return *status;
  return make_error(ErrorKind::corrupt, "unknown stream status '" + std::string(text) + "'");
}

Result<StoredCompression> stored_compression(const StreamRecord& record) {
  if (record.compression == "zstd") return StoredCompression::zstd;
  if (record.compression == "none" || record.compression.empty()) return StoredCompression::none;
  return make_error(ErrorKind::corrupt,
                    record.key + ": the manifest records compression '" + record.compression +
                        "', which this erp-backup cannot read (hint: a newer erp-backup wrote "
                        "it; use that version)");
}

bool Manifest::complete() const {
  if (!db && !docs) return false;
  if (db && db->status != StreamStatus::committed) return false;
  if (docs && docs->status != StreamStatus::committed) return false;
  return true;
}

std::string to_json(const Manifest& m) {
  ordered_json j;
  j["format_version"] = m.format_version;
  j["id"] = m.id;
  j["env"] = m.env;
  j["status"] = m.complete() ? "complete" : "incomplete";
  j["started_at"] = m.started_at;
  j["finished_at"] = m.finished_at;
  j["tool_version"] = m.tool_version;
  j["host"] = m.host;
  if (m.database) {
    j["database"] = {{"server_version", m.database->server_version},
                     {"pg_dump_version", m.database->pg_dump_version},
                     {"database", m.database->database},
                     {"tables", m.database->tables},
                     {"llx_tables", m.database->llx_tables}};
  }
  if (m.source) {
    j["source"] = {{"host", m.source->host},
                   {"port", m.source->port},
                   {"database", m.source->database},
                   {"system_identifier", m.source->system_identifier}};
  }
  ordered_json streams = ordered_json::object();
  if (m.db) streams["db"] = stream_json(*m.db);
  if (m.docs) {
    ordered_json docs = stream_json(*m.docs);
    if (m.documents) {
      const DocumentsRecord& d = *m.documents;
      docs["root"] = d.root;
      docs["files"] = d.files;
      docs["directories"] = d.directories;
      docs["symlinks"] = d.symlinks;
      docs["hardlinks"] = d.hardlinks;
      docs["uncompressed_bytes"] = d.uncompressed_bytes;
      // The list is as long as the tree has problems (DOCS_ON_ERROR=skip); the manifest keeps
      // the first entries that fit kMaxSkippedBytes and counts the rest, so that it always
      // stays readable (see the header). An entry costs its JSON (escapes included) plus the
      // indentation of the pretty print.
      ordered_json skipped = ordered_json::array();
      std::size_t used = 0;
      std::uint64_t omitted = d.skipped_omitted;
      for (std::size_t i = 0; i < d.skipped.size(); ++i) {
        ordered_json entry = {{"path", d.skipped[i].path}, {"reason", d.skipped[i].reason}};
        const std::size_t cost =
            entry.dump(-1, ' ', false, ordered_json::error_handler_t::replace).size() + 32;
        if (used + cost > kMaxSkippedBytes) {
          omitted += d.skipped.size() - i;
          break;
        }
        used += cost;
        skipped.push_back(std::move(entry));
      }
      docs["skipped"] = skipped;
      if (omitted > 0) docs["skipped_omitted"] = omitted;
      if (d.links_outside_total) {
        ordered_json links = ordered_json::array();
        for (const LinkRecord& link : d.links_outside) {
          links.push_back({{"path", link.path}, {"target", link.target}});
        }
        docs["links_outside"] = links;
        docs["links_outside_total"] = *d.links_outside_total;
      }
    }
    streams["docs"] = docs;
  }
  j["streams"] = streams;
  if (m.object_lock) {
    const ObjectLockRecord& lock = *m.object_lock;
    j["object_lock"] = {
        {"mode", lock.mode},
        {"retain_until", lock.retain_until},
        {"enforced", lock.enforced ? ordered_json(*lock.enforced) : ordered_json(nullptr)},
        {"checked_at", lock.checked_at ? ordered_json(*lock.checked_at) : ordered_json(nullptr)}};
  }
  if (m.database && m.database->row_counts) {
    // Last, into what the rest leaves of kMaxManifestBytes: a documents tree whose skipped and
    // link lists took their whole shares leaves less than kMaxRowCountBytes (kept: room for the
    // record's own members, its fallback_reason cut to kMaxErrorBytes).
    const std::size_t rest = j.dump(2, ' ', false, ordered_json::error_handler_t::replace).size();
    const std::size_t kept = rest + kMaxErrorBytes + 1024;
    const std::size_t left = kept < kMaxManifestBytes ? kMaxManifestBytes - kept : 0;
    j["database"]["row_counts"] =
        row_counts_json(*m.database->row_counts, std::min(kMaxRowCountBytes, left));
  }
  // Invalid UTF-8 in paths (non-UTF-8 file names) is replaced, not fatal.
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

Result<Manifest> parse_manifest(std::string_view text) {
  if (text.size() > kMaxManifestBytes) {
    return make_error(ErrorKind::corrupt, "manifest is not valid: " + std::to_string(text.size()) +
                                              " bytes, more than the " +
                                              std::to_string(kMaxManifestBytes) +
                                              " a manifest may have");
  }
  if (nesting_depth(text, kMaxManifestDepth) > kMaxManifestDepth) {
    return make_error(ErrorKind::corrupt, "manifest is not valid: nested deeper than " +
                                              std::to_string(kMaxManifestDepth) + " levels");
  }
  try {
    const ordered_json j = ordered_json::parse(text);
    Manifest m;
    m.format_version = j.at("format_version").get<int>();
    if (m.format_version != kManifestFormatVersion) {
      return make_error(ErrorKind::corrupt,
                        "manifest format_version " + std::to_string(m.format_version) +
                            " is not supported (hint: a newer erp-backup wrote it)");
    }
    m.id = j.at("id").get<std::string>();
    m.env = j.value("env", "");
    m.started_at = j.value("started_at", "");
    m.finished_at = j.value("finished_at", "");
    m.tool_version = j.value("tool_version", "");
    m.host = j.value("host", "");
    if (j.contains("database")) {
      const auto& d = j["database"];
      m.database =
          DatabaseRecord{d.value("server_version", ""), d.value("pg_dump_version", ""),
                         d.value("database", ""), d.value("tables", 0), d.value("llx_tables", 0)};
      // Absent with BACKUP_ROW_COUNTS=off, after a failed count, and before issue 21.
      if (d.contains("row_counts")) m.database->row_counts = row_counts_from(d["row_counts"]);
    }
    if (j.contains("source")) {
      const auto& source = j["source"];
      m.source = SourceRecord{source.value("host", ""), source.value("port", ""),
                              source.value("database", ""), source.value("system_identifier", "")};
    }
    const auto& streams = j.at("streams");
    if (!streams.is_object()) throw std::invalid_argument("\"streams\" is not an object");
    for (const auto& [name, value] : streams.items()) {
      if (name != "db" && name != "docs")
        throw std::invalid_argument("unknown stream \"" + name + "\"");
    }
    if (streams.contains("db")) m.db = stream_from(streams["db"]);
    if (streams.contains("docs")) {
      const auto& docs = streams["docs"];
      m.docs = stream_from(docs);
      DocumentsRecord d;
      d.root = docs.value("root", "");
      d.files = docs.value("files", std::uint64_t{0});
      d.directories = docs.value("directories", std::uint64_t{0});
      d.symlinks = docs.value("symlinks", std::uint64_t{0});
      d.hardlinks = docs.value("hardlinks", std::uint64_t{0});
      d.uncompressed_bytes = docs.value("uncompressed_bytes", std::uint64_t{0});
      d.skipped_omitted = docs.value("skipped_omitted", std::uint64_t{0});
      if (docs.contains("skipped")) {
        for (const auto& entry : docs["skipped"]) {
          d.skipped.push_back({entry.value("path", ""), entry.value("reason", "")});
        }
      }
      // Both optional: a manifest from before issue 17 has neither.
      if (docs.contains("links_outside_total")) {
        d.links_outside_total = docs["links_outside_total"].get<std::uint64_t>();
      }
      if (docs.contains("links_outside")) {
        for (const auto& link : docs["links_outside"]) {
          d.links_outside.push_back({link.value("path", ""), link.value("target", "")});
        }
      }
      m.documents = std::move(d);
    }
    if (j.contains("object_lock")) {
      const auto& lock = j["object_lock"];
      if (!lock.is_object()) throw std::invalid_argument("\"object_lock\" is not an object");
      ObjectLockRecord record;
      record.mode = lock.at("mode").get<std::string>();
      record.retain_until = lock.value("retain_until", "");
      if (lock.contains("enforced") && !lock["enforced"].is_null()) {
        record.enforced = lock["enforced"].get<bool>();
      }
      if (lock.contains("checked_at") && !lock["checked_at"].is_null()) {
        record.checked_at = lock["checked_at"].get<std::string>();
      }
      m.object_lock = std::move(record);
    }
    return m;
  } catch (const nlohmann::json::exception& error) {
    return make_error(ErrorKind::corrupt, std::string("manifest is not valid: ") + error.what());
  } catch (const std::invalid_argument& error) {
    return make_error(ErrorKind::corrupt, std::string("manifest is not valid: ") + error.what());
  }
}

}  // namespace erp::catalog
