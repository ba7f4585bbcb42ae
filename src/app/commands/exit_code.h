// The process exit codes (SPEC §2), the only values a command or main returns, and the mapping
// from a failure to one of them.
#pragma once

#include <expected>
#include <string>

#include "core/cancellation.h"
#include "core/error.h"

namespace erp::app {

enum class ExitCode : int {
  ok = 0,
  failed = 1,
  usage = 2,  // usage or configuration; nothing was done
  partial = 3,
  interrupted = 130,  // 128 + SIGINT
  terminated = 143,   // 128 + SIGTERM
};

constexpr int to_int(ExitCode code) {
  return static_cast<int>(code);
}

// How a job that a command runs (or composes with others) ended when it did not succeed: the
// exit code and what failed, already logged by the job.
struct Failure {
  ExitCode code = ExitCode::failed;
  std::string what;  // "restore refused: the dump cannot be used", "backup partial"
};
using Outcome = std::expected<void, Failure>;

// ok, or the failure's code.
constexpr ExitCode exit_code_of(const Outcome& outcome) {
  return outcome ? ExitCode::ok : outcome.error().code;
}

// The code for a run stopped by `signal_number` (SIGINT or SIGTERM; any other: failed).
ExitCode stopped_by(int signal_number);

// The exit code for a failed command: stopped_by(signal) when a signal cancelled it, usage for
// a configuration error, else failed.
ExitCode exit_code_for(const Error& error, const Cancellation& cancellation);

// `failed` unless a signal stopped the run (then stopped_by it): for a failure that is no Error.
ExitCode failed_unless_stopped(const Cancellation& cancellation);

}  // namespace erp::app
