#include "core/cancellation.h"

#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <thread>

namespace erp {

Cancellation::Cancellation() : event_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Cancellation::~Cancellation() {
  if (event_fd_ >= 0) close(event_fd_);
}

void Cancellation::cancel(int signal_number) noexcept {
  bool expected = false;
  if (!cancelled_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return;
  signal_.store(signal_number, std::memory_order_release);
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = write(event_fd_, &one, sizeof one);
  source_.request_stop();
}

struct SignalWatcher::Impl {
  std::thread thread;
  std::atomic<bool> stopping{false};
};

namespace {

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);  // used only to wake the watcher when the program ends
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher(Cancellation& cancellation) : impl_(new Impl) {
  signal(SIGPIPE, SIG_IGN);
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  impl_->thread = std::thread([&cancellation, set, impl = impl_] {
    for (;;) {
      int received = 0;
      if (sigwait(&set, &received) != 0) continue;
      if (received == SIGUSR1) {
        if (impl->stopping.load()) return;
        continue;
      }
      cancellation.cancel(received);
    }
  });
}

SignalWatcher::~SignalWatcher() {
  impl_->stopping.store(true);
  pthread_kill(impl_->thread.native_handle(), SIGUSR1);
  impl_->thread.join();
  delete impl_;
}

}  // namespace erp
