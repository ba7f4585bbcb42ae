// What the store answered, request by request, for the checks that judge the wire rather than
// the result: which store it is (its headers), its clock (Date), whether a batch delete was
// refused before the client fell back to single deletes, what a Complete answer held.
//
// RecordingTransport wraps the transport S3Client sends through (the doctor's own pool,
// doctor/probe_client.h) and appends one Reply per exchange to a ReplyLog. Nothing is changed
// on the way: the client under test is the one every command uses.
//
// Thread safety: ReplyLog is safe to use from several threads (its own mutex); each
// RecordingTransport, like every transport, serves one thread at a time. Cost: the headers of
// every reply and the first kKeptBody bytes of each non-streamed body, for the ~30 requests of a
// doctor run.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/transport.h"

namespace erp::doctor {

struct Reply {
  std::string method;
  std::string url;  // as sent (no credentials are ever in it: header auth)
  long status = 0;  // 0: no HTTP answer (see transport_error)
  std::vector<http::Header> headers;
  std::string body;             // the first kKeptBody bytes of a body not streamed to a sink
  std::string error_code;       // <Code> of an <Error> body, for any status
  std::string transport_error;  // why there was no HTTP answer (connection, TLS, stall)
};

inline constexpr std::size_t kKeptBody = 4096;

class ReplyLog {
 public:
  void add(Reply reply);
  std::size_t size() const;
  // The replies recorded from index `first` on (0: all), copied.
  std::vector<Reply> since(std::size_t first) const;

 private:
  mutable std::mutex mutex_;
  std::vector<Reply> replies_;
};

class RecordingTransport final : public http::HttpTransport {
 public:
  // `log` is borrowed and must outlive the transport.
  RecordingTransport(std::unique_ptr<http::HttpTransport> inner, ReplyLog& log)
      : inner_(std::move(inner)), log_(log) {}

  Result<http::HttpResponse> perform(const http::HttpRequest& request,
                                     ByteSink* body_sink) override;

 private:
  std::unique_ptr<http::HttpTransport> inner_;
  ReplyLog& log_;
};

// Whether `url`'s query holds the parameter `name` ("delete" in ".../bucket?delete",
// "uploadId" in "...?uploadId=x"). Pure.
bool has_query_parameter(std::string_view url, std::string_view name);

}  // namespace erp::doctor
