// last-success.json (SPEC §2 `status`, §4): the last success of each stream, kept apart
// so that a `backup --only docs` run never makes the database look backed up. Pure:
// to_json / parse_last_success / record are functions of their arguments; `backup` reads
// the current object, records each stream it committed, and writes the result back
// after the manifest (the set's commit point).
//
// ## Format (format_version 2)
//     {
//       "format_version": 2,
//       "streams": {
//         "db":   {"id": "20261126T020000Z", "finished_at": "2026-11-26T02:14:09Z",
//                  "manifest": "erp/prod/manifests/20261126T020000Z.json"},
//         "docs": {"id": "20261126T140000Z", "finished_at": "2026-11-26T14:03:51Z",
//                  "manifest": "erp/prod/manifests/20261126T140000Z.json"}
//       }
//     }
// A stream that never succeeded is absent from "streams".
//
// ## The old format (written before issue 7, format_version absent)
//     {"id": "...", "finished_at": "...", "manifest": "..."}
// It was written after every run whose streams all committed, including `--only docs`
// runs, so it cannot tell which streams succeeded. It parses to a LastSuccess with no
// stream recorded and the old record kept in `legacy` for display only: `status` then
// reports every stream as never backed up until its next success (a false alarm for one
// night, rather than a database that looks backed up when it is not). The next write
// keeps `legacy` until every stream has been recorded, then drops it.
//
// ## Times in the future (issue 17)
// A finished_at later than now cannot be a success that happened. Clocks of the pod that
// wrote it and of the one reading it may differ by a little; more than kMaxClockSkew ahead is
// an error (a wrong clock, or a tampered object), never a fresh success: success_time()
// refuses it, `status` then fails and the last-success metric publishes 0 ("never").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/stream.h"
#include "core/error.h"

namespace erp::catalog {

inline constexpr int kLastSuccessFormatVersion = 2;

// How far ahead of the reader's clock a recorded time may be: clock skew between pods.
inline constexpr std::chrono::minutes kMaxClockSkew{10};

// One stream's last success: the set it was committed in.
struct StreamSuccess {
  std::string id;           // the set's ID, "YYYYMMDDTHHMMSSZ"
  std::string finished_at;  // ISO 8601 UTC, the manifest's finished_at
  std::string manifest;     // the set's manifest key

  friend bool operator==(const StreamSuccess&, const StreamSuccess&) = default;
};

struct LastSuccess {
  std::optional<StreamSuccess> db;
  std::optional<StreamSuccess> docs;
  // The record of an old-format file (see above): never any stream's success.
  std::optional<StreamSuccess> legacy;

  const std::optional<StreamSuccess>& of(Stream stream) const {
    return stream == Stream::db ? db : docs;
  }
  friend bool operator==(const LastSuccess&, const LastSuccess&) = default;
};

// `previous` with `stream`'s last success replaced by (id, finished_at, manifest_key);
// the other stream is copied unchanged. `legacy` is dropped once both streams are
// recorded. A run that committed both streams calls it twice.
LastSuccess record(LastSuccess previous, Stream stream, std::string id, std::string finished_at,
                   std::string manifest_key);

// The JSON above, 2-space indented, ending in a newline.
std::string to_json(const LastSuccess& last_success);

// When `success` finished, judged at `now`: its finished_at, or now when that is ahead of now
// by at most kMaxClockSkew (a success is never newer than the moment it is read). Errors:
// corrupt, naming the stream and the text, when finished_at is not ISO 8601 UTC
// ("2026-11-26T02:14:09Z") or lies more than kMaxClockSkew after now.
Result<std::chrono::system_clock::time_point> success_time(
    Stream stream, const StreamSuccess& success, std::chrono::system_clock::time_point now);

// Parses the current or the old format. Errors: ErrorKind::corrupt, naming the field,
// for text that is not a JSON object, a format_version other than 2, a stream entry that
// is not an object or lacks a string id / finished_at / manifest, an id that is not a
// backup ID, or a stream name other than db and docs (a newer tool's file: refusing is
// safer than rewriting it without that stream).
Result<LastSuccess> parse_last_success(std::string_view json);

}  // namespace erp::catalog
