#include "http/transport_pool.h"

namespace erp::http {

TransportPool::Lease TransportPool::take() {
  std::unique_lock lock(mutex_);
  if (!idle_.empty()) {
    auto transport = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(transport));
  }
  lock.unlock();
  return Lease(*this, factory_());
}

void TransportPool::give_back(std::unique_ptr<HttpTransport> transport) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(transport));
}

}  // namespace erp::http
