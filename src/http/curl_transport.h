// HttpTransport over one libcurl easy handle. The handle is reused between
// requests so the TCP/TLS connection stays open (connection reuse is the
// difference between ~1 and ~3 round trips per part).
//
// TLS verification is always on: peer and host name are checked on every HTTPS request and no
// option, setting or environment variable turns that off. The trusted CAs are the system store,
// or exactly the certificates in `ca_bundle` when one is given: the bundle *replaces* the system
// store (what the AWS CLI and SDKs do with AWS_CA_BUNDLE), so an operator can pin a private CA;
// one who wants both concatenates the system bundle and the private CA into one file.
// Not thread-safe: one instance per thread (a TransportPool, transport_pool.h, hands them out).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "http/transport.h"

namespace erp::http {

// How long a request can hang (the bound every command's is built from). An attempt gives up
//   - connecting (TCP and the TLS handshake): after min(connect_timeout, stall_timeout);
//   - once connected: when no byte has moved either way (request, response headers or body) for
//     stall_timeout, checked about once a second, so within stall_timeout + ~1 s of the last
//     byte; an endpoint that accepts and never answers is one such case;
//   - in all: after HttpRequest::timeout, when a request sets one.
// Such an attempt fails as transient ("HTTP GET failed: stalled: no byte moved for 30 s"), and
// the caller's retry policy (http/retry.h) decides whether to try again. A large part that keeps
// moving is never cut off: there is no overall limit unless the request asks for one.
struct TransportOptions {
  // Connecting includes TLS; a dead endpoint fails after this (or stall_timeout, if shorter)
  // instead of hanging.
  std::chrono::milliseconds connect_timeout{10'000};
  // Abort a transfer that moves no byte for this long: catches stalled servers without
  // limiting how long a large, healthy part may take.
  std::chrono::milliseconds stall_timeout{30'000};
  // PEM file of the only CAs trusted; empty = the system store (libcurl's default CA file and
  // directory). Set explicitly on every request: CAINFO to this file and CAPATH unset, because a
  // distribution's libcurl may carry a default CA directory that would otherwise still be trusted.
  std::string ca_bundle;
  // The setting the operator uses to name `ca_bundle` (e.g. "AWS_CA_BUNDLE"), quoted in the hint
  // of a certificate failure. The transport never reads it from the environment.
  std::string ca_setting = "the CA bundle setting";
  std::string user_agent = std::string("erp-backup/") + ERP_BACKUP_VERSION;
};

inline constexpr std::string_view kTlsCertificateCode = "TlsCertificate";

// The error for a failed libcurl transfer (`curl_code` is a CURLcode; `detail` is libcurl's
// error buffer, may be empty). Certificate failures (untrusted issuer, host name not in the
// certificate, unreadable CA file, ...) are permanent: the message says "TLS certificate
// verification failed", quotes libcurl's detail and ends with a hint naming
// `options.ca_setting`, e.g.
//   "HTTP PUT failed: TLS certificate verification failed: SSL certificate problem: unable to
//    get local issuer certificate (hint: the server's certificate must be signed by a CA in the
//    system store and name the endpoint's host; for a private CA set AWS_CA_BUNDLE to a PEM
//    file holding it)"
// Their Error::code is kTlsCertificateCode, so callers can treat them as the configuration
// problem they are. Resets, timeouts and refused connections are transient; everything else is
// permanent.
Error describe_curl_failure(int curl_code, std::string_view detail, std::string_view method,
                            const TransportOptions& options);

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

}  // namespace erp::http
