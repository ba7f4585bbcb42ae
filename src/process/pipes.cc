#include "process/pipes.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/errno_text.h"

namespace erp::process {
namespace {

// `fd` itself when it is >= 3, else a close-on-exec copy >= 3 (and `fd` closed).
Result<int> above_stdio(int fd) {
  if (fd >= 3) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  const int error = errno;
  ::close(fd);
  if (moved < 0)
    return make_error(ErrorKind::permanent, "fcntl(F_DUPFD_CLOEXEC): " + errno_text(error));
  return moved;
}

}  // namespace

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

Result<Pipe> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return make_error(ErrorKind::permanent, "pipe2: " + errno_text(errno));
  Pipe pipe;
  auto read_end = above_stdio(fds[0]);
  if (!read_end) {
    ::close(fds[1]);
    return std::unexpected(read_end.error());
  }
  pipe.read = *read_end;
  auto write_end = above_stdio(fds[1]);
  if (!write_end) {
    close_fd(pipe.read);
    return std::unexpected(write_end.error());
  }
  pipe.write = *write_end;
  return pipe;
}

}  // namespace erp::process
