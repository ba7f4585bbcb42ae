#include "process/exit_status.h"

#include <cstring>

namespace erp::process {

std::string signal_name(int signal) {
  if (const char* abbreviation = sigabbrev_np(signal)) return std::string("SIG") + abbreviation;
  return "signal " + std::to_string(signal);
}

std::string ExitStatus::describe() const {
  if (signal != 0) {
    return "was killed by signal " + std::to_string(signal) + " (" + signal_name(signal) + ")";
  }
  return "exited with status " + std::to_string(exit_code);
}

Error exit_error(std::string_view name, const ExitStatus& status, std::string_view stderr_tail,
                 std::string_view detail) {
  std::string message = std::string(name) + " " + status.describe() + std::string(detail);
  if (!stderr_tail.empty()) message += ": " + std::string(stderr_tail);
  return Error{ErrorKind::permanent, std::move(message)};
}

}  // namespace erp::process
