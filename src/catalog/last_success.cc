#include "catalog/last_success.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "catalog/backup_id.h"
#include "core/time_format.h"

namespace erp::catalog {
namespace {

using nlohmann::ordered_json;

std::unexpected<Error> corrupt(const std::string& what) {
  return make_error(ErrorKind::corrupt,
                    "last-success.json: " + what +
                        " (hint: the object is rewritten by the next successful backup; "
                        "delete it to start afresh)");
}

ordered_json entry_json(const StreamSuccess& s) {
  return ordered_json{{"id", s.id}, {"finished_at", s.finished_at}, {"manifest", s.manifest}};
}

Result<StreamSuccess> entry_from(const ordered_json& j, const std::string& where) {
  if (!j.is_object()) return corrupt(where + " is not an object");
  StreamSuccess s;
  for (auto [field, target] : {std::pair{"id", &s.id}, std::pair{"finished_at", &s.finished_at},
                               std::pair{"manifest", &s.manifest}}) {
    const auto it = j.find(field);
    if (it == j.end() || !it->is_string())
      return corrupt(where + " has no string \"" + field + "\"");
    *target = it->get<std::string>();
  }
  if (!parse_backup_id(s.id))
    return corrupt(where + " names \"" + s.id + "\", which is not a backup ID");
  return s;
}

}  // namespace

LastSuccess record(LastSuccess previous, Stream stream, std::string id, std::string finished_at,
                   std::string manifest_key) {
  StreamSuccess success{std::move(id), std::move(finished_at), std::move(manifest_key)};
  (stream == Stream::db ? previous.db : previous.docs) = std::move(success);
  if (previous.db && previous.docs) previous.legacy.reset();
  return previous;
}

std::string to_json(const LastSuccess& last_success) {
  ordered_json j;
  j["format_version"] = kLastSuccessFormatVersion;
  ordered_json streams = ordered_json::object();
  for (Stream stream : kStreams) {
    if (const auto& success = last_success.of(stream))
      streams[std::string(to_string(stream))] = entry_json(*success);
  }
  j["streams"] = std::move(streams);
  if (last_success.legacy) j["legacy"] = entry_json(*last_success.legacy);
  return j.dump(2) + "\n";
}

Result<std::chrono::system_clock::time_point> success_time(
    Stream stream, const StreamSuccess& success, std::chrono::system_clock::time_point now) {
  const std::string what = "last-success.json: " + std::string(to_string(stream)) +
                           " finished_at \"" + success.finished_at + "\" (set " + success.id + ")";
  const auto finished = parse_iso8601_utc(success.finished_at);
  if (!finished) {
    return make_error(ErrorKind::corrupt,
                      what + " is not a time (hint: the next successful backup rewrites it)");
  }
  if (*finished > now + kMaxClockSkew) {
    return make_error(ErrorKind::corrupt,
                      what + " is in the future: now is " + format_iso8601_utc(now) +
                          " (hint: a clock was wrong when it was written, or the object was "
                          "changed by hand; check the clocks, then let a backup rewrite it)");
  }
  return std::min(*finished, now);
}

Result<LastSuccess> parse_last_success(std::string_view text) {
  const ordered_json j = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return corrupt("not a JSON object");
  LastSuccess result;
  const auto version = j.find("format_version");
  if (version == j.end()) {
    // The old format: one record for the whole run, streams unknown (see the header).
    auto legacy = entry_from(j, "the old-format record");
    if (!legacy) return std::unexpected(legacy.error());
    result.legacy = std::move(*legacy);
    return result;
  }
  if (!version->is_number_integer() || version->get<int>() != kLastSuccessFormatVersion)
    return corrupt("format_version " + version->dump() + " is not " +
                   std::to_string(kLastSuccessFormatVersion) + ", the one this tool reads");
  const auto streams = j.find("streams");
  if (streams == j.end() || !streams->is_object()) return corrupt("no \"streams\" object");
  for (const auto& [name, entry] : streams->items()) {
    const auto stream = parse_stream(name);
    if (!stream) return corrupt("unknown stream \"" + name + "\"");
    auto success = entry_from(entry, "streams." + name);
    if (!success) return std::unexpected(success.error());
    (*stream == Stream::db ? result.db : result.docs) = std::move(*success);
  }
  if (const auto legacy = j.find("legacy"); legacy != j.end()) {
    auto old = entry_from(*legacy, "legacy");
    if (!old) return std::unexpected(old.error());
    result.legacy = std::move(*old);
  }
  return result;
}

}  // namespace erp::catalog
