#include "doctor/reply_log.h"

#include "s3/xml_replies.h"

namespace erp::doctor {

void ReplyLog::add(Reply reply) {
  std::lock_guard lock(mutex_);
  replies_.push_back(std::move(reply));
}

std::size_t ReplyLog::size() const {
  std::lock_guard lock(mutex_);
  return replies_.size();
}

std::vector<Reply> ReplyLog::since(std::size_t first) const {
  std::lock_guard lock(mutex_);
  if (first >= replies_.size()) return {};
  return {replies_.begin() + static_cast<std::ptrdiff_t>(first), replies_.end()};
}

Result<http::HttpResponse> RecordingTransport::perform(const http::HttpRequest& request,
                                                       ByteSink* body_sink) {
  auto response = inner_->perform(request, body_sink);
  Reply reply{.method = request.method, .url = request.url};
  if (response) {
    reply.status = response->status;
    reply.headers = response->headers;
    reply.body = response->body.substr(0, kKeptBody);
    if (auto error = s3::parse_error(response->body)) reply.error_code = error->code;
  } else {
    reply.transport_error = response.error().message;
  }
  log_.add(std::move(reply));
  return response;
}

bool has_query_parameter(std::string_view url, std::string_view name) {
  const auto question = url.find('?');
  if (question == std::string_view::npos) return false;
  std::string_view query = url.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.substr(0, pair.find('=')) == name) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace erp::doctor
