#include "s3/xml_replies.h"

#include <charconv>

#include <pugixml.hpp>

namespace erp::s3 {
namespace {

Result<pugi::xml_document> load(std::string_view body, const char* expected_root) {
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(body.data(), body.size());
  if (!parsed) {
    return make_error(ErrorKind::corrupt, std::string("unparseable XML reply (expected <") +
                                              expected_root + ">): " + parsed.description());
  }
  if (std::string_view(doc.document_element().name()) != expected_root) {
    return make_error(ErrorKind::corrupt, std::string("unexpected XML reply <") +
                                              doc.document_element().name() + ">, expected <" +
                                              expected_root + ">");
  }
  return doc;
}

std::string child_text(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_string();
}

}  // namespace

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#13;";  // a literal CR would be normalised away by the server's parser
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string strip_etag_quotes(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  // Some servers XML-escape the quotes inside listings.
  if (etag.starts_with("&quot;") && etag.ends_with("&quot;") && etag.size() >= 12) {
    etag = etag.substr(6, etag.size() - 12);
  }
  return std::string(etag);
}

bool is_unsupported_operation_code(std::string_view code) {
  return code == "NotImplemented" || code == "MethodNotAllowed" || code == "HTTP501" ||
         code == "HTTP405";
}

bool is_write_conflict_code(std::string_view code) {
  return code == "PreconditionFailed" || code == "HTTP412" || code == "ConditionalRequestConflict";
}

Result<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text) {
  const auto bad = [&] {
    return make_error(ErrorKind::corrupt, "malformed timestamp '" + std::string(text) +
                                              "' (expected YYYY-MM-DDTHH:MM:SS[.fff]Z)");
  };
  // Fixed positions: YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z.
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text.back() != 'Z') {
    return bad();
  }
  const auto number = [&](std::size_t at, std::size_t length, int& value) {
    const char* first = text.data() + at;
    const auto [ptr, ec] = std::from_chars(first, first + length, value);
    return ec == std::errc() && ptr == first + length && first[0] != '-' && first[0] != '+';
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day) || !number(11, 2, hour) ||
      !number(14, 2, minute) || !number(17, 2, second)) {
    return bad();
  }
  std::chrono::nanoseconds fraction{0};
  const std::string_view rest = text.substr(19, text.size() - 20);  // between seconds and 'Z'
  if (!rest.empty()) {
    if (rest.size() < 2 || rest[0] != '.' || rest.size() > 10) return bad();
    long long scale = 100'000'000;
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9') return bad();
      fraction += std::chrono::nanoseconds((c - '0') * scale);
      scale /= 10;
    }
  }
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return bad();  // 60: a leap second
  const auto time = std::chrono::sys_days{date} + std::chrono::hours{hour} +
                    std::chrono::minutes{minute} + std::chrono::seconds{second} + fraction;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(time);
}

bool is_transient_error_code(std::string_view code) {
  return code == "InternalError" || code == "SlowDown" || code == "ServiceUnavailable" ||
         code == "RequestTimeout" || code == "Throttling" || code == "ThrottlingException" ||
         code == "RequestLimitExceeded";
}

std::optional<S3ErrorBody> parse_error(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return std::nullopt;
  const pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "Error") return std::nullopt;
  return S3ErrorBody{child_text(root, "Code"),      child_text(root, "Message"),
                     child_text(root, "RequestId"), child_text(root, "Region"),
                     child_text(root, "Endpoint"),  child_text(root, "ServerTime")};
}

Result<std::string> parse_upload_id(std::string_view body) {
  auto doc = load(body, "InitiateMultipartUploadResult");
  if (!doc) return std::unexpected(doc.error());
  std::string upload_id = child_text(doc->document_element(), "UploadId");
  if (upload_id.empty()) return make_error(ErrorKind::corrupt, "reply has no UploadId");
  return upload_id;
}

Result<std::string> parse_complete_result(std::string_view body) {
  if (auto error = parse_error(body)) {
    return make_error(
        is_transient_error_code(error->code) ? ErrorKind::transient : ErrorKind::permanent,
        "CompleteMultipartUpload answered 200 with an error: " + error->code + ": " +
            error->message +
            (error->request_id.empty() ? std::string() : " (request id " + error->request_id + ")"),
        error->code);
  }
  // moto names the root CompleteMultipartUploadResponse; AWS, MinIO and GCS ...Result.
  const bool moto_style = body.find("<CompleteMultipartUploadResponse") != std::string_view::npos;
  auto doc =
      load(body, moto_style ? "CompleteMultipartUploadResponse" : "CompleteMultipartUploadResult");
  if (!doc) return std::unexpected(doc.error());
  std::string etag = strip_etag_quotes(child_text(doc->document_element(), "ETag"));
  if (etag.empty())
    return make_error(ErrorKind::corrupt, "CompleteMultipartUpload reply has no ETag");
  return etag;
}

Result<ListPage> parse_list_objects_v2(std::string_view body) {
  auto doc = load(body, "ListBucketResult");
  if (!doc) return std::unexpected(doc.error());
  const pugi::xml_node root = doc->document_element();
  ListPage page;
  for (const pugi::xml_node& item : root.children("Contents")) {
    ObjectInfo info;
    info.key = child_text(item, "Key");
    const std::string size = child_text(item, "Size");
    const auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), info.size);
    if (ec != std::errc() || ptr != size.data() + size.size()) {
      return make_error(ErrorKind::corrupt, "listing has a bad Size for key " + info.key);
    }
    info.etag = strip_etag_quotes(child_text(item, "ETag"));
    info.last_modified = child_text(item, "LastModified");
    page.objects.push_back(std::move(info));
  }
  for (const pugi::xml_node& prefix : root.children("CommonPrefixes")) {
    page.common_prefixes.push_back(child_text(prefix, "Prefix"));
  }
  if (std::string_view(root.child("IsTruncated").text().as_string()) == "true") {
    std::string token = child_text(root, "NextContinuationToken");
    if (token.empty()) {
      return make_error(ErrorKind::corrupt, "truncated listing without NextContinuationToken");
    }
    page.next_continuation_token = std::move(token);
  }
  return page;
}

Result<MultipartUploadPage> parse_list_multipart_uploads(std::string_view body) {
  auto doc = load(body, "ListMultipartUploadsResult");
  if (!doc) return std::unexpected(doc.error());
  const pugi::xml_node root = doc->document_element();
  MultipartUploadPage page;
  for (const pugi::xml_node& upload : root.children("Upload")) {
    MultipartUpload entry{child_text(upload, "Key"), child_text(upload, "UploadId")};
    if (const pugi::xml_node initiated = upload.child("Initiated")) {
      auto time = parse_timestamp(initiated.text().as_string());
      if (!time) {
        return std::unexpected(time.error().with_context("ListMultipartUploads: upload of " +
                                                         entry.key + " (" + entry.upload_id + ")"));
      }
      entry.initiated = *time;
    }
    page.uploads.push_back(std::move(entry));
  }
  if (std::string_view(root.child("IsTruncated").text().as_string()) == "true") {
    page.next_key_marker = child_text(root, "NextKeyMarker");
    if (page.next_key_marker->empty()) {
      return make_error(ErrorKind::corrupt, "truncated ListMultipartUploads without NextKeyMarker");
    }
    page.next_upload_id_marker = child_text(root, "NextUploadIdMarker");
  }
  return page;
}

Result<std::vector<DeleteFailure>> parse_delete_result(std::string_view body) {
  auto doc = load(body, "DeleteResult");
  if (!doc) return std::unexpected(doc.error());
  std::vector<DeleteFailure> failures;
  for (const pugi::xml_node& error : doc->document_element().children("Error")) {
    failures.push_back(
        {child_text(error, "Key"), child_text(error, "Code"), child_text(error, "Message")});
  }
  return failures;
}

std::string build_complete_multipart_upload(const std::vector<CompletedPart>& parts) {
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const CompletedPart& part : parts) {
    xml += "<Part><PartNumber>" + std::to_string(part.part_number) + "</PartNumber><ETag>\"" +
           escape_xml(part.etag) + "\"</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  return xml;
}

std::string build_delete_objects(const std::vector<std::string>& keys) {
  std::string xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
  for (const std::string& key : keys) xml += "<Object><Key>" + escape_xml(key) + "</Key></Object>";
  xml += "</Delete>";
  return xml;
}

}  // namespace erp::s3
