// A fake http::HttpTransport for unit tests of the S3 client: no sockets, every request
// recorded, every answer scripted.
//
// Answers come from a queue of Replies, in order; when the queue is empty the responder
// (if one is set) answers; with neither, the request fails with a permanent "nothing
// scripted" error, so an unexpected extra request shows up as a failing call rather than
// a hang. A request whose stop token is already requested is neither recorded nor answered: it
// fails with `cancelled`, as the real transport does before sending anything.
//
// A Reply is either an HTTP response (any status, headers, body) or a transport error.
// For a 2xx answer to a request made with a body sink (a streamed GET) the body is written
// into the sink in writes of at most chunk_size() bytes, as libcurl would; a Reply built
// with broken_body() writes its body and then returns its transport error, the way a
// connection reset in the middle of a GET looks to the client. Non-2xx bodies are always
// returned in HttpResponse::body (the client parses them), as the real transport does.
//
// Thread-safe: perform() and every inspecting method may be called from any thread.
// Use with http::TransportPool through factory(): every transport the pool creates
// forwards to this one, which must outlive the pool.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/transport.h"
#include "http/transport_pool.h"

namespace erp::testing {

// One request as the transport received it (copied: the client's body span is borrowed).
struct RecordedRequest {
  std::string method;
  std::string url;
  std::vector<http::Header> headers;
  std::string body;
  bool has_body = false;
  bool had_sink = false;                 // the client asked for the body to be streamed
  bool stoppable = false;                // the request carried a stop token that can be requested
  std::chrono::milliseconds timeout{0};  // the request's own deadline (0 = none)

  // Case-insensitive header lookup (first match); nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
  // How many headers carry `name` (case-insensitive).
  int header_count(std::string_view name) const;
  // "/bucket/key" part of the URL (after the authority, before '?'); "/" when empty.
  std::string path() const;
  // The raw query after '?', "" when none.
  std::string query() const;
  // The SignedHeaders list of the Authorization header, split on ';' ("" entries dropped).
  std::vector<std::string> signed_headers() const;
};

struct Reply {
  long status = 200;
  std::vector<http::Header> headers;
  std::string body;
  // Set: the transport fails with this error (after streaming `body` to the sink, when
  // the request has one and `status` is 2xx).
  std::optional<Error> error;

  static Reply ok(std::string body = {}, std::vector<http::Header> headers = {});
  static Reply with_status(long status, std::string body = {},
                           std::vector<http::Header> headers = {});
  // An S3 <Error> document with the given code, message and request id.
  static Reply s3_error(long status, std::string_view code, std::string_view message = {},
                        std::string_view request_id = {});
  // The connection failed before any answer (default: a transient reset).
  static Reply transport_error(Error error = {ErrorKind::transient, "reset"});
  // A 206 whose body breaks after `delivered` bytes with `error` (default: transient reset).
  static Reply broken_body(std::string delivered, Error error = {ErrorKind::transient, "reset"});
};

class ScriptedTransport final : public http::HttpTransport {
 public:
  using Responder = std::function<Reply(const RecordedRequest&)>;

  ScriptedTransport() = default;
  ScriptedTransport(const ScriptedTransport&) = delete;
  ScriptedTransport& operator=(const ScriptedTransport&) = delete;

  // --- Scripting ---
  // Appends replies to the queue.
  void push(Reply reply);
  void push(std::vector<Reply> replies);
  // Answers requests once the queue is empty (replaces any previous responder).
  // Called without the transport's lock held, possibly from several threads at once.
  void set_responder(Responder responder);
  // Largest single write into a body sink (default 64 KiB).
  void set_chunk_size(std::size_t bytes);

  // --- http::HttpTransport ---
  Result<http::HttpResponse> perform(const http::HttpRequest& request,
                                     ByteSink* body_sink) override;

  // A factory for http::TransportPool whose transports forward here.
  http::TransportPool::Factory factory();

  // --- Inspecting ---
  std::vector<RecordedRequest> requests() const;
  std::size_t request_count() const;
  RecordedRequest request(std::size_t index) const;  // index < request_count()
  std::size_t unanswered() const;                    // replies still queued
  std::size_t chunk_size() const;

 private:
  mutable std::mutex mutex_;
  std::deque<Reply> queue_;
  Responder responder_;
  std::vector<RecordedRequest> requests_;
  std::size_t chunk_size_ = 64 * 1024;
};

}  // namespace erp::testing
