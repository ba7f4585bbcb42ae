// One S3 operation as S3Client sends it: what goes on the wire and how errors describe it.
// Private to the client's implementation files (s3_client.cc, s3_client_bucket.cc,
// s3_client_versions.cc), which define S3Client's members; nothing else includes it.
#pragma once

#include <iterator>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
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

// ListMultipartUploads (second marker upload-id-marker) and ListObjectVersions
// (version-id-marker): `call` without markers is sent page after page with key-marker and the
// second marker from the page before, each body parsed by `parse` into a Page whose `items` are
// collected. A page whose next markers are the ones just sent would list the same page for ever:
// corrupt.
template <typename Page, typename Item, typename Parse>
Result<std::vector<Item>> S3Client::list_by_markers(Call call, std::string_view second_marker,
                                                    std::vector<Item> Page::*items,
                                                    std::optional<std::string> Page::*next_second,
                                                    Parse parse) {
  std::vector<Item> listed;
  std::string key_marker;
  std::string second;
  const QueryParams query = call.query;
  for (;;) {
    call.query = query;
    if (!key_marker.empty()) call.query.emplace_back("key-marker", key_marker);
    if (!second.empty()) call.query.emplace_back(std::string(second_marker), second);
    auto response = execute(call);
    if (!response) return std::unexpected(response.error());
    Result<Page> page = parse(response->body);
    if (!page) return std::unexpected(page.error().with_context("s3://" + bucket()));
    std::ranges::move((*page).*items, std::back_inserter(listed));
    if (!page->next_key_marker) break;
    const std::string next = ((*page).*next_second).value_or("");
    if (*page->next_key_marker == key_marker && next == second) {
      return make_error(ErrorKind::corrupt,
                        std::string(call.operation) + " s3://" + bucket() +
                            ": pagination does not advance (the next markers are the ones just "
                            "sent: key '" +
                            key_marker + "', " + std::string(second_marker) + " '" + second + "')");
    }
    key_marker = *page->next_key_marker;
    second = next;
  }
  return listed;
}

}  // namespace erp::s3
