#include "app/object_commands.h"

namespace erp::app {

int exit_code_for(const Error& error, const Cancellation& cancellation) {
  if (cancellation.cancelled() && cancellation.signal_number() != 0) {
    return 128 + cancellation.signal_number();
  }
  if (error.kind == ErrorKind::config) return 2;
  return 1;
}

}  // namespace erp::app
