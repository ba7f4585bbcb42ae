#include "process/stderr_pump.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace erp::process {
namespace {

constexpr std::size_t kTailTextBytes = 2000;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

StderrPump::StderrPump(OwnedFd stderr_fd, OwnedFd stop_fd, std::size_t tail_lines,
                       LineCallback on_line)
    : fd_(std::move(stderr_fd)),
      stop_fd_(std::move(stop_fd)),
      tail_lines_(tail_lines),
      on_line_(std::move(on_line)) {}

StderrPump::~StderrPump() {
  finish();
}

Result<void> StderrPump::start() {
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& error) {
    return make_error(ErrorKind::permanent, error.what());
  }
  return {};
}

void StderrPump::emit(std::string& line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  {
    std::lock_guard lock(tail_mutex_);
    if (tail_lines_ > 0) {
      tail_.push_back(line);
      while (tail_.size() > tail_lines_) tail_.pop_front();
    }
  }
  if (on_line_) {
    try {
      on_line_(line);
    } catch (...) {
      // The callback's contract says it does not throw; a thread must not die of it.
    }
  }
  line.clear();
}

void StderrPump::feed(std::string& line, std::string_view chunk) {
  while (!chunk.empty()) {
    const auto newline = chunk.find('\n');
    const std::string_view piece = chunk.substr(0, newline);
    const std::size_t room = kMaxStderrLine - line.size();
    if (piece.size() > room) {
      // A line longer than the cap: hand over what fits and go on with the rest.
      line.append(piece.substr(0, room));
      emit(line);
      chunk.remove_prefix(room);
      continue;
    }
    line.append(piece);
    if (newline == std::string_view::npos) return;
    emit(line);
    chunk.remove_prefix(newline + 1);
  }
}

void StderrPump::run() {
  std::string line;
  char buffer[4096];
  bool stop = false;
  const int fd = fd_.get();
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) {
      // Asked to stop: take what is already in the pipe, without waiting for more.
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      stop = true;
    }
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      feed(line, std::string_view(buffer, static_cast<std::size_t>(n)));
      if (!stop) continue;
      while (true) {
        const ssize_t more = ::read(fd, buffer, sizeof buffer);
        if (more <= 0) break;
        feed(line, std::string_view(buffer, static_cast<std::size_t>(more)));
      }
      break;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EOF, EAGAIN after a stop, or a read error: nothing more will come
  }
  if (!line.empty()) emit(line);
  std::lock_guard lock(done_mutex_);
  done_ = true;
  done_cv_.notify_all();
}

void StderrPump::finish() noexcept {
  if (!thread_.joinable()) return;
  {
    std::unique_lock lock(done_mutex_);
    if (!done_cv_.wait_for(lock, kStderrDrainBound, [this] { return done_; })) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto written = ::write(stop_fd_.get(), &one, sizeof one);
    }
  }
  thread_.join();
  fd_ = OwnedFd();
  stop_fd_ = OwnedFd();
}

std::vector<std::string> StderrPump::tail() const {
  std::lock_guard lock(tail_mutex_);
  return {tail_.begin(), tail_.end()};
}

std::string tail_text(const std::vector<std::string>& lines) {
  // Newest lines matter most (the error is usually last): walk backwards within the budget.
  std::vector<std::string_view> kept;
  std::size_t bytes = 0;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    const std::string_view line = trim(*it);
    if (line.empty()) continue;
    if (!kept.empty() && bytes + line.size() + 3 > kTailTextBytes) break;
    kept.push_back(line.substr(0, kTailTextBytes));
    bytes += line.size() + 3;
  }
  std::string text;
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
    if (!text.empty()) text += " | ";
    text.append(*it);
  }
  return text;
}

}  // namespace erp::process
