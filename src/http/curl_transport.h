// HttpTransport over one libcurl easy handle. The handle is reused between
// requests so the TCP/TLS connection stays open (connection reuse is the
// difference between ~1 and ~3 round trips per part).
//
// TLS verification is always on; `ca_bundle` adds a CA file (AWS_CA_BUNDLE).
// Not thread-safe: one instance per thread (TransportPool hands them out).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/transport.h"

namespace erp::http {

struct TransportOptions {
  // Connecting includes TLS; a dead endpoint fails after this instead of hanging.
  std::chrono::milliseconds connect_timeout{10'000};
  // Abort a transfer that moves fewer than 1 byte/s for this long: catches stalled
  // servers without limiting how long a large, healthy part may take.
  std::chrono::milliseconds stall_timeout{30'000};
  std::string ca_bundle;  // empty = system store
  std::string user_agent = std::string("erp-backup/") + ERP_BACKUP_VERSION;
};

// Call once from main() before any thread starts (curl_global_init is not thread-safe).
void global_init();

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(TransportOptions options);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<HttpResponse> perform(const HttpRequest& request, ByteSink* body_sink) override;

 private:
  TransportOptions options_;
  void* handle_;  // CURL*
};

// A thread-safe pool of transports: take one for a request, give it back after.
// Keeps idle transports (and their open connections) for the next caller.
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
