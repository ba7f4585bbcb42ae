// The streams of a backup set (SPEC §4): the database dump and the documents archive.
// A full run commits both; `backup --only db|docs` commits one. Retention (§5) and
// last-success.json are decided per stream, so both need one name for "which stream".
// Pure, header-only.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace erp::catalog {

enum class Stream { db, docs };

// Every stream, in the order reports list them.
inline constexpr std::array<Stream, 2> kStreams{Stream::db, Stream::docs};

// "db", "docs": the names of `--only`, of manifest's "streams" and of last-success.json.
constexpr std::string_view to_string(Stream stream) {
  return stream == Stream::db ? "db" : "docs";
}

// The stream named `text` ("db" or "docs"), nullopt for anything else.
constexpr std::optional<Stream> parse_stream(std::string_view text) {
  for (Stream stream : kStreams)
    if (text == to_string(stream)) return stream;
  return std::nullopt;
}

// Which streams a set holds (committed). A value: two flags.
struct StreamSet {
  bool db = false;
  bool docs = false;

  static constexpr StreamSet both() { return {true, true}; }
  static constexpr StreamSet only(Stream stream) {
    return stream == Stream::db ? StreamSet{true, false} : StreamSet{false, true};
  }
  constexpr bool has(Stream stream) const { return stream == Stream::db ? db : docs; }
  constexpr void add(Stream stream) { (stream == Stream::db ? db : docs) = true; }
  constexpr bool empty() const { return !db && !docs; }

  friend constexpr bool operator==(const StreamSet&, const StreamSet&) = default;
};

// "db+docs", "db", "docs", or "-" for none.
inline std::string to_string(StreamSet streams) {
  std::string text;
  for (Stream stream : kStreams) {
    if (!streams.has(stream)) continue;
    if (!text.empty()) text += '+';
    text += to_string(stream);
  }
  return text.empty() ? "-" : text;
}

}  // namespace erp::catalog
