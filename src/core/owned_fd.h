// OwnedFd: a file descriptor closed when the object goes (-1: none). Move-only; release()
// hands the descriptor to a new owner (fdopendir, a caller) without closing it.
#pragma once

#include <unistd.h>

#include <utility>

namespace erp {

class OwnedFd {
 public:
  explicit OwnedFd(int fd = -1) : fd_(fd) {}
  ~OwnedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int get() const { return fd_; }
  // The descriptor, no longer owned (-1 afterwards).
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace erp
