// Paths as the messages show them: archive entry names are raw bytes (a non-UTF-8 name is
// stored as it is), but a log line, an error message or JSON needs text.
#pragma once

#include <string>
#include <string_view>

namespace erp::archive {

// `raw` with every byte that is not part of valid UTF-8, and every control character, written
// as \xNN (and "\" as "\\"): safe in log lines, error messages and JSON. Used in write_tar's
// messages; apply it to TarSkip::path before showing or serialising it.
std::string printable_path(std::string_view raw);

}  // namespace erp::archive
