#include "core/fd_stream.h"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace erp {

TEST_CASE("widen_pipe grows a pipe's buffer and leaves other files alone") {
  int fds[2] = {-1, -1};
  REQUIRE(pipe(fds) == 0);
  // Linux's default is 64 KiB with 4 KiB pages (16 pages), which the widening is about.
  CHECK(fcntl(fds[0], F_GETPIPE_SZ) == 16 * sysconf(_SC_PAGESIZE));
  // Either end names the same pipe; the reader widens its stdin.
  const std::size_t widened = widen_pipe(fds[0], 1 << 20);
  CHECK(widened == static_cast<std::size_t>(fcntl(fds[0], F_GETPIPE_SZ)));
  CHECK(widened >= (1 << 20));
  // Asking for less than it holds never shrinks it.
  CHECK(widen_pipe(fds[0], 4096) == widened);
  close(fds[0]);
  close(fds[1]);

  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  CHECK(widen_pipe(fileno(file), 1 << 20) == 0);
  std::fclose(file);
  CHECK(widen_pipe(-1, 1 << 20) == 0);
}

}  // namespace erp
