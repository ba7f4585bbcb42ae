// Error values shared by every module. Nothing throws across a module boundary:
// fallible functions return Result<T> = std::expected<T, Error>, and the ErrorKind
// decides what the caller does next (retry, give up, report a config problem, ...).
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace erp {

enum class ErrorKind {
  transient,  // worth retrying: 5xx, 429/SlowDown, connection reset, timeout
  permanent,  // retrying cannot help: 4xx, protocol violations, local I/O errors
  config,     // the operator's settings are missing or malformed (exit 2)
  cancelled,  // stopped by a signal or by a failure elsewhere in the job
  corrupt,    // stored data does not match what was expected (size, hash, format)
  not_found,  // the object, key or file does not exist
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::permanent;
  std::string message;  // what failed, with bucket/key/part; ends with "(hint: ...)" when fixable
  std::string code;     // machine-readable detail when there is one (the S3 error code)

  // Returns a copy whose message is "<context>: <message>", keeping the kind.
  Error with_context(std::string_view context) const;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> make_error(ErrorKind kind, std::string message,
                                         std::string code = {}) {
  return std::unexpected(Error{kind, std::move(message), std::move(code)});
}

}  // namespace erp
