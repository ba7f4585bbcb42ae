// A thread-safe pool of transports: take one for a request, give it back after (the lease does).
// Keeps idle transports (and their open connections) for the next caller; makes a new one with
// the factory when none is idle, so a pool holds at most as many transports as were ever in use
// at once. Transports are never shared: each is used by one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "http/transport.h"

namespace erp::http {

class TransportPool {
 public:
  using Factory = std::function<std::unique_ptr<HttpTransport>()>;
  explicit TransportPool(Factory factory) : factory_(std::move(factory)) {}

  // A borrowed transport returned to the pool when the lease is destroyed.
  class Lease {
   public:
    Lease(TransportPool& pool, std::unique_ptr<HttpTransport> transport)
        : pool_(&pool), transport_(std::move(transport)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (transport_) pool_->give_back(std::move(transport_));
    }
    HttpTransport& operator*() { return *transport_; }
    HttpTransport* operator->() { return transport_.get(); }

   private:
    TransportPool* pool_;
    std::unique_ptr<HttpTransport> transport_;
  };

  Lease take();

 private:
  void give_back(std::unique_ptr<HttpTransport> transport);
  Factory factory_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<HttpTransport>> idle_;
};

}  // namespace erp::http
