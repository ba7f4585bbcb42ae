#include "app/commands/exit_code.h"

#include <csignal>

namespace erp::app {

ExitCode stopped_by(int signal_number) {
  if (signal_number == SIGINT) return ExitCode::interrupted;
  if (signal_number == SIGTERM) return ExitCode::terminated;
  return ExitCode::failed;
}

ExitCode exit_code_for(const Error& error, const Cancellation& cancellation) {
  if (cancellation.cancelled() && cancellation.signal_number() != 0) {
    return stopped_by(cancellation.signal_number());
  }
  if (error.kind == ErrorKind::config) return ExitCode::usage;
  return ExitCode::failed;
}

ExitCode failed_unless_stopped(const Cancellation& cancellation) {
  if (cancellation.cancelled() && cancellation.signal_number() != 0) {
    return stopped_by(cancellation.signal_number());
  }
  return ExitCode::failed;
}

}  // namespace erp::app
