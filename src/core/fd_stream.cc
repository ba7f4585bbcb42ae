#include "core/fd_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace erp {

Result<std::size_t> FdSource::read(std::span<char> buffer) {
  for (;;) {
    if (cancellation_.cancelled()) return make_error(ErrorKind::cancelled, "input read cancelled");
    pollfd fds[2] = {{fd_, POLLIN, 0}, {cancellation_.wait_fd(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::permanent, std::string("poll: ") + std::strerror(errno));
    }
    if (fds[1].revents != 0) continue;  // loop to report the cancellation
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR || errno == EAGAIN) continue;
    return make_error(ErrorKind::permanent, std::string("read: ") + std::strerror(errno));
  }
}

std::size_t widen_pipe(int fd, std::size_t bytes) {
  struct stat status {};
  if (fstat(fd, &status) != 0 || !S_ISFIFO(status.st_mode)) return 0;
  const int current = fcntl(fd, F_GETPIPE_SZ);
  if (current < 0) return 0;
  if (static_cast<std::size_t>(current) >= bytes) return static_cast<std::size_t>(current);
  const int widened = fcntl(fd, F_SETPIPE_SZ, static_cast<int>(bytes));
  return static_cast<std::size_t>(widened < 0 ? current : widened);
}

Result<void> FdSink::write(std::span<const char> data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::permanent, std::string("write: ") + std::strerror(errno));
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace erp
