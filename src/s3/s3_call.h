// One S3 operation as S3Client sends it: what goes on the wire and how errors describe it.
// Private to the client's implementation files (s3_client.cc, s3_client_bucket.cc,
// s3_client_versions.cc), which define S3Client's members; nothing else includes it.
#pragma once

#include <span>
#include <stop_token>
#include <string_view>
#include <vector>

#include "http/transport.h"
#include "s3/s3_client.h"
#include "s3/sigv4.h"

namespace erp::s3 {

struct S3Client::Call {
  std::string_view operation;  // S3 API name, for messages
  std::string_view method;
  std::string_view key;         // empty for bucket-level operations
  std::string_view version_id;  // the version addressed (messages only: the query carries it)
  bool bucket_level = false;
  QueryParams query;
  std::vector<http::Header> headers;
  std::span<const char> body;
  bool has_body = false;
  long stream_status = 0;  // see HttpRequest::stream_status
  std::stop_token stop;    // the caller's own stop, on top of the client's
  bool cleanup = false;    // abort: runs after a stop, once, within abort_timeout
};

}  // namespace erp::s3
