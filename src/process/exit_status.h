// How a child process ended (process/child_process.h), and the words for it in messages.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace erp::process {

// How a child ended.
struct ExitStatus {
  int exit_code = 0;  // the program's exit status, when it exited (signal == 0)
  int signal = 0;     // the signal that killed it; 0 when it exited
  bool success() const { return signal == 0 && exit_code == 0; }
  // "exited with status 1" or "was killed by signal 9 (SIGKILL)".
  std::string describe() const;
  friend bool operator==(const ExitStatus&, const ExitStatus&) = default;
};

// The permanent error for an unsuccessful end: "<name> <status.describe()><detail>: <tail>"
// (": <tail>" only when `stderr_tail` is non-empty), e.g.
// "pg_dump exited with status 1: pg_dump: error: connection to server ... failed".
Error exit_error(std::string_view name, const ExitStatus& status, std::string_view stderr_tail,
                 std::string_view detail = {});

// "SIGKILL" for 9; "signal 64" for numbers without a name.
std::string signal_name(int signal);

}  // namespace erp::process
