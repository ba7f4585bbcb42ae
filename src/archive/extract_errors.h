// The two kinds of error the extractor and its helpers (directory_chain, tree_merge) report,
// worded alike everywhere: a hostile entry (corrupt) and a failed system call (permanent).
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "archive/printable_path.h"
#include "core/error.h"

namespace erp::archive {

// `shown` (an entry_label()) refused for `why`: kind corrupt.
inline std::unexpected<Error> hostile(const std::string& shown, const std::string& why) {
  return make_error(
      ErrorKind::corrupt,
      shown + ": " + why + " (refused: nothing was written outside the target directory)");
}

// A corrupt error from archive_policy (already naming the entry) as the extractor reports it.
inline std::unexpected<Error> hostile(const Error& policy_error) {
  return make_error(ErrorKind::corrupt, policy_error.message +
                                            " (refused: nothing was written outside the target "
                                            "directory)");
}

// `call` on `path` failed with errno: kind permanent. Reads errno first.
inline std::unexpected<Error> system_error(const std::string& shown, const char* call,
                                           const std::string& path) {
  const int code = errno;
  return make_error(ErrorKind::permanent,
                    shown + ": " + call + " " + printable_path(path) + ": " + std::strerror(code));
}

// Opening the directory `dir` (shown as `what`, e.g. "target directory") failed with `code`:
// not_found for ENOENT, else permanent; a symbolic link (ELOOP under O_NOFOLLOW) gets a hint.
inline std::unexpected<Error> directory_open_error(std::string_view what, const std::string& dir,
                                                   int code) {
  return make_error(code == ENOENT ? ErrorKind::not_found : ErrorKind::permanent,
                    std::string(what) + " " + printable_path(dir) + ": " + std::strerror(code) +
                        (code == ELOOP ? " (it is a symbolic link; name the real directory)" : ""));
}

}  // namespace erp::archive
