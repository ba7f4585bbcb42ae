// The HTTP transport interface below the S3 client. The libcurl implementation
// lives in curl_transport.*; unit tests substitute a scripted fake.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_stream.h"
#include "core/error.h"

namespace erp::http {

struct Header {
  std::string name;
  std::string value;
};

// Case-insensitive lookup; nullopt when absent.
std::optional<std::string_view> find_header(const std::vector<Header>& headers,
                                            std::string_view name);

struct HttpRequest {
  std::string method;           // "GET", "PUT", ...
  std::string url;              // scheme://host[:port]/path?query, already encoded once
  std::vector<Header> headers;  // sent exactly as given; Content-Length is set from body
  std::span<const char> body;   // borrowed until perform() returns
  bool has_body = false;        // true for PUT/POST even when body is empty
  // When set, only a response with exactly this status is streamed to the body sink; any
  // other 2xx fails the request instead (e.g. a ranged GET answered 200 with the whole
  // object would otherwise append the wrong bytes).
  long stream_status = 0;
  // Once requested, the request is not sent, or its transfer ends within about a second
  // (libcurl's progress callback runs about once a second on an idle connection) with
  // `cancelled`. Default: never stopped.
  std::stop_token stop;
  // The whole request (connect, send, answer) must end within this; 0 = no limit beyond the
  // transport's stall timeout. For cleanup requests that must not hold up an exit.
  std::chrono::milliseconds timeout{0};
};

struct HttpResponse {
  long status = 0;
  std::vector<Header> headers;
  std::string body;  // empty when the body was streamed to a sink
};

// One request at a time. Not thread-safe: each thread owns its own transport
// (it keeps that thread's connection alive between requests).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Sends `request` and returns the response for any HTTP status (status handling
  // is the caller's). If `body_sink` is given, a 2xx response body is streamed to it
  // (error bodies are always collected in HttpResponse::body so they can be parsed).
  // Errors: transient for resets, timeouts (the stall timeout and request.timeout) and
  // refused connections; cancelled when request.stop was requested (before or during the
  // transfer); permanent for TLS verification failures, malformed URLs and sink write
  // failures (the sink's own error is returned then).
  virtual Result<HttpResponse> perform(const HttpRequest& request, ByteSink* body_sink) = 0;
};

}  // namespace erp::http
