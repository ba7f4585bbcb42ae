// The pipes between this process and a child (process/spawn.cc): both ends close-on-exec and
// above the standard descriptors, so that the child's dup2 onto 0/1/2 always happens (a
// dup2(fd, fd) would be a no-op that keeps close-on-exec set).
#pragma once

#include "core/error.h"

namespace erp::process {

// Closes `fd` when it is open and sets it to -1. Idempotent.
void close_fd(int& fd) noexcept;

// A pipe's two ends (-1: none or closed). Plain descriptors: spawn hands each end to its
// owner (the child, the ChildProcess) or closes it.
struct Pipe {
  int read = -1;
  int write = -1;
  void close_both() noexcept {
    close_fd(read);
    close_fd(write);
  }
};

// A new pipe, both ends >= 3 and close-on-exec. Errors: permanent, with the errno text.
Result<Pipe> make_pipe();

}  // namespace erp::process
