// A file for node-exporter's textfile collector, replaced atomically: the collector (which
// may read at any moment) sees the previous file or the new one, never a partial one.
//
//   1. write the whole text to `<path>.tmp.<pid>.<6 random characters>` in the same
//      directory (created exclusively, mode 0644; same directory so the rename cannot cross
//      file systems; the collector ignores the name because it does not end in .prom),
//   2. fsync it, 3. rename it over `path`, 4. fsync the directory (so the rename survives a
//      crash of the node).
// Any failure removes the temporary file and leaves `path` as it was.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "metrics/exposition.h"

namespace erp::metrics {

// Errors: permanent, naming the file, the step that failed and the system's reason, e.g.
// "cannot create /var/lib/textfile/erp-backup.prom.tmp.42.XXXXXX: Read-only file system".
Result<void> write_textfile_atomically(const std::string& path, std::string_view text);

// The file's content; nullopt when it does not exist. Errors: permanent for any other read
// failure.
Result<std::optional<std::string>> read_textfile(const std::string& path);

// One sample read back from exposition text.
struct ParsedSample {
  std::vector<Label> labels;  // in the order written
  double value = 0;
};

// The samples of family `name` in `text` (the format exposition.h writes: comment lines,
// `name value` or `name{label="value",...} value` with the format's escapes; an optional
// timestamp after the value is ignored). Other families are skipped. Errors: corrupt, with
// the line number, for a line of `name` that does not parse.
Result<std::vector<ParsedSample>> parse_samples(std::string_view text, std::string_view name);

}  // namespace erp::metrics
