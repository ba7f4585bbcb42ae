#include "core/stop.h"

#include <condition_variable>
#include <mutex>

namespace erp {

bool sleep_unless_stopped(std::chrono::milliseconds delay, std::stop_token stop) {
  if (stop.stop_requested()) return false;
  if (delay <= std::chrono::milliseconds::zero()) return true;
  // Nobody ever notifies this condition variable: condition_variable_any's stop-token wait
  // registers its own callback, so a stop request wakes the wait at once, and otherwise it
  // simply times out.
  std::mutex mutex;
  std::condition_variable_any never_notified;
  std::unique_lock lock(mutex);
  never_notified.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace erp
