#include "fakes/scripted_transport.h"

#include "s3/xml_replies.h"

#include <algorithm>
#include <cctype>
#include <memory>

namespace erp::testing {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// What the pool hands out: forwards to the shared scripted transport.
class Forwarder final : public http::HttpTransport {
 public:
  explicit Forwarder(ScriptedTransport& target) : target_(target) {}
  Result<http::HttpResponse> perform(const http::HttpRequest& request,
                                     ByteSink* body_sink) override {
    return target_.perform(request, body_sink);
  }

 private:
  ScriptedTransport& target_;
};

}  // namespace

std::optional<std::string> RecordedRequest::header(std::string_view name) const {
  for (const http::Header& h : headers) {
    if (same_name(h.name, name)) return h.value;
  }
  return std::nullopt;
}

int RecordedRequest::header_count(std::string_view name) const {
  return static_cast<int>(std::ranges::count_if(
      headers, [&](const http::Header& h) { return same_name(h.name, name); }));
}

std::string RecordedRequest::path() const {
  const auto scheme_end = url.find("://");
  const std::size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const std::size_t path_start = url.find('/', authority);
  const std::size_t query_start = url.find('?', authority);
  if (path_start == std::string::npos || path_start > query_start) return "/";
  return url.substr(
      path_start, query_start == std::string::npos ? std::string::npos : query_start - path_start);
}

std::string RecordedRequest::query() const {
  const std::size_t query_start = url.find('?');
  return query_start == std::string::npos ? std::string() : url.substr(query_start + 1);
}

std::vector<std::string> RecordedRequest::signed_headers() const {
  std::vector<std::string> names;
  const auto authorization = header("Authorization");
  if (!authorization) return names;
  constexpr std::string_view kLabel = "SignedHeaders=";
  const std::size_t start = authorization->find(kLabel);
  if (start == std::string::npos) return names;
  const std::size_t end = authorization->find(',', start);
  const std::string list = authorization->substr(
      start + kLabel.size(),
      end == std::string::npos ? std::string::npos : end - start - kLabel.size());
  std::size_t at = 0;
  while (at <= list.size()) {
    const std::size_t next = std::min(list.find(';', at), list.size());
    if (next > at) names.push_back(list.substr(at, next - at));
    at = next + 1;
  }
  return names;
}

Reply Reply::ok(std::string body, std::vector<http::Header> headers) {
  return with_status(200, std::move(body), std::move(headers));
}

Reply Reply::with_status(long status, std::string body, std::vector<http::Header> headers) {
  Reply reply;
  reply.status = status;
  reply.body = std::move(body);
  reply.headers = std::move(headers);
  return reply;
}

Reply Reply::s3_error(long status, std::string_view code, std::string_view message,
                      std::string_view request_id) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" +
                     s3::escape_xml(code) + "</Code><Message>" + s3::escape_xml(message) +
                     "</Message><RequestId>" + s3::escape_xml(request_id) + "</RequestId></Error>";
  return with_status(status, std::move(body), {{"Content-Type", "application/xml"}});
}

Reply Reply::transport_error(Error error) {
  Reply reply;
  reply.status = 0;
  reply.error = std::move(error);
  return reply;
}

Reply Reply::broken_body(std::string delivered, Error error) {
  Reply reply = with_status(206, std::move(delivered));
  reply.error = std::move(error);
  return reply;
}

void ScriptedTransport::push(Reply reply) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(reply));
}

void ScriptedTransport::push(std::vector<Reply> replies) {
  std::lock_guard lock(mutex_);
  for (Reply& reply : replies) queue_.push_back(std::move(reply));
}

void ScriptedTransport::set_responder(Responder responder) {
  std::lock_guard lock(mutex_);
  responder_ = std::move(responder);
}

void ScriptedTransport::set_chunk_size(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  chunk_size_ = std::max<std::size_t>(1, bytes);
}

Result<http::HttpResponse> ScriptedTransport::perform(const http::HttpRequest& request,
                                                      ByteSink* body_sink) {
  RecordedRequest recorded{.method = request.method,
                           .url = request.url,
                           .headers = request.headers,
                           .body = std::string(request.body.begin(), request.body.end()),
                           .has_body = request.has_body,
                           .had_sink = body_sink != nullptr,
                           .stoppable = request.stop.stop_possible(),
                           .timeout = request.timeout};
  // Like the real transport: a request whose stop is already requested is never sent.
  if (request.stop.stop_requested()) {
    return make_error(ErrorKind::cancelled, "HTTP " + request.method + " not sent: stopped");
  }
  std::optional<Reply> reply;
  Responder responder;
  std::size_t chunk_size = 0;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(recorded);
    chunk_size = chunk_size_;
    if (!queue_.empty()) {
      reply = std::move(queue_.front());
      queue_.pop_front();
    } else {
      responder = responder_;
    }
  }
  if (!reply && responder) reply = responder(recorded);
  if (!reply) {
    return make_error(ErrorKind::permanent, "scripted transport: nothing scripted for " +
                                                request.method + " " + request.url);
  }

  const bool success = reply->status >= 200 && reply->status < 300;
  if (reply->error && !(body_sink != nullptr && success)) return std::unexpected(*reply->error);

  http::HttpResponse response{.status = reply->status, .headers = reply->headers, .body = {}};
  if (body_sink != nullptr && success) {
    // Streamed the way libcurl streams: in pieces, stopping at the sink's first error.
    for (std::size_t at = 0; at < reply->body.size(); at += chunk_size) {
      const std::size_t size = std::min(chunk_size, reply->body.size() - at);
      if (auto written = body_sink->write({reply->body.data() + at, size}); !written) {
        return std::unexpected(written.error());
      }
    }
    if (reply->error) return std::unexpected(*reply->error);
  } else {
    response.body = std::move(reply->body);
  }
  return response;
}

http::TransportPool::Factory ScriptedTransport::factory() {
  return [this]() -> std::unique_ptr<http::HttpTransport> {
    return std::make_unique<Forwarder>(*this);
  };
}

std::vector<RecordedRequest> ScriptedTransport::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t ScriptedTransport::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

RecordedRequest ScriptedTransport::request(std::size_t index) const {
  std::lock_guard lock(mutex_);
  return requests_.at(index);
}

std::size_t ScriptedTransport::unanswered() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t ScriptedTransport::chunk_size() const {
  std::lock_guard lock(mutex_);
  return chunk_size_;
}

}  // namespace erp::testing
