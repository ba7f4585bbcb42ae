#include "s3/xml_replies.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include <pugixml.hpp>

#include "s3/uri_encode.h"

namespace erp::s3 {
namespace {

constexpr std::string_view kBlanks = " \t\r\n";

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The text of `name` under `node`, as sent (keys keep their blanks: "a " and "a" are two keys).
std::string child_text(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_string();
}

// The same without surrounding blanks: for codes, numbers, booleans, ETags and times, which a
// pretty-printing server may wrap in line breaks.
std::string trimmed_child(const pugi::xml_node& node, const char* name) {
  return std::string(trim(node.child(name).text().as_string()));
}

S3ErrorBody read_error(const pugi::xml_node& root) {
  return S3ErrorBody{trimmed_child(root, "Code"),      trimmed_child(root, "Message"),
                     trimmed_child(root, "RequestId"), trimmed_child(root, "Region"),
                     trimmed_child(root, "Endpoint"),  trimmed_child(root, "ServerTime"),
                     trimmed_child(root, "Details")};
}

// The first 100 bytes of `body` in quotes, one printable line whatever a proxy sent: line breaks
// and tabs as spaces, other control and non-ASCII bytes as '?', "..." when cut.
std::string quoted_excerpt(std::string_view body) {
  constexpr std::size_t kExcerpt = 100;
  std::string excerpt = "\"";
  for (const char c : body.substr(0, kExcerpt)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r' || c == '\t') {
      excerpt += ' ';
    } else if (byte < 0x20 || byte >= 0x7f) {
      excerpt += '?';
    } else {
      excerpt += c;
    }
  }
  if (body.size() > kExcerpt) excerpt += "...";
  return excerpt + "\"";
}

// "empty body" or "body \"...\"", for the errors of a reply that is not the promised document.
std::string what_came(std::string_view body) {
  return trim(body).empty() ? std::string("empty body") : "body " + quoted_excerpt(body);
}

// A 200 reply whose body is an <Error>: the error it reports, named by its code.
std::unexpected<Error> error_reply(std::string_view operation, const S3ErrorBody& error) {
  return make_error(
      error_code_kind(error.code),
      std::string(operation) + " answered HTTP 200 with <Error> " + describe_error_body(error),
      error.code);
}

// Parses `body` as the reply of `operation`, whose root element must be one of `roots`.
// Whitespace before the document is skipped: AWS sends blanks to keep a long
// CompleteMultipartUpload alive, and an XML parser refuses a declaration that does not open the
// text. An <Error> root is the error it reports (error_reply); anything else is corrupt.
Result<pugi::xml_document> load(std::string_view body, std::string_view operation,
                                std::initializer_list<std::string_view> roots) {
  const auto first = body.find_first_not_of(kBlanks);
  const std::string_view document = first == std::string_view::npos ? "" : body.substr(first);
  const std::string expected = "<" + std::string(*roots.begin()) + ">";
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(document.data(), document.size());
  if (!parsed) {
    return make_error(ErrorKind::corrupt, std::string(operation) + " reply is not XML (expected " +
                                              expected + "; XML parser: " + parsed.description() +
                                              "): " + what_came(body));
  }
  const pugi::xml_node root = doc.document_element();
  const std::string_view name = root.name();
  if (name == "Error") return error_reply(operation, read_error(root));
  for (std::string_view wanted : roots) {
    if (name == wanted) return doc;
  }
  return make_error(ErrorKind::corrupt, std::string(operation) + " reply is <" + std::string(name) +
                                            ">, expected " + expected + ": " + what_came(body));
}

// <`name`> under `parent` as an XML Schema boolean; nullopt when the element is absent. `meaning`
// says what is unknown when it is neither true nor false.
Result<std::optional<bool>> boolean_child(const pugi::xml_node& parent, const char* name,
                                          std::string_view operation, std::string_view meaning) {
  const pugi::xml_node flag = parent.child(name);
  if (!flag) return std::optional<bool>{};
  const std::string_view text = trim(flag.text().as_string());
  if (iequals(text, "true") || text == "1") return std::optional<bool>{true};
  if (iequals(text, "false") || text == "0") return std::optional<bool>{false};
  return make_error(ErrorKind::corrupt, std::string(operation) + " reply has <" + name + ">" +
                                            std::string(text) + "</" + name +
                                            ">, neither true nor false: " + std::string(meaning));
}

// <IsTruncated> as an XML Schema boolean; nullopt when the element is absent.
Result<std::optional<bool>> truncated_flag(const pugi::xml_node& root, std::string_view operation) {
  return boolean_child(root, "IsTruncated", operation, "whether more entries follow is unknown");
}

// A decimal byte count (no sign, no fraction, within 64 bits).
std::optional<std::uint64_t> parse_size(std::string_view text) {
  text = trim(text);
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// A listing entry's <Size> as a decimal byte count. Errors: corrupt, "<says> a bad Size 'x' for
// <what>" or "<says> no Size for <what>".
Result<std::uint64_t> entry_size(const pugi::xml_node& entry, std::string_view says,
                                 std::string_view what) {
  const pugi::xml_node size = entry.child("Size");
  if (const auto bytes = parse_size(size.text().as_string()); size && bytes) return *bytes;
  return make_error(ErrorKind::corrupt,
                    std::string(says) +
                        (size ? " a bad Size '" + std::string(size.text().as_string()) + "'"
                              : std::string(" no Size")) +
                        " for " + std::string(what));
}

// Decodes listed `text` when the listing says it is URL-encoded; `what` names it in the error.
Result<std::string> listed_name(std::string text, bool url_encoded, std::string_view operation,
                                std::string_view what) {
  if (!url_encoded) return text;
  auto decoded = form_decode(text);
  if (!decoded) {
    return make_error(ErrorKind::corrupt, std::string(operation) + " reply has a malformed " +
                                              "URL-encoded " + std::string(what) + " '" + text +
                                              "' (<EncodingType>url</EncodingType>)");
  }
  return std::move(*decoded);
}

bool says_url_encoded(const pugi::xml_node& root) {
  return iequals(trim(root.child("EncodingType").text().as_string()), "url");
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

ErrorKind error_code_kind(std::string_view code) {
  if (is_transient_error_code(code)) return ErrorKind::transient;
  if (code == "NoSuchKey" || code == "NoSuchUpload") return ErrorKind::not_found;
  return ErrorKind::permanent;
}

std::optional<S3ErrorBody> parse_error(std::string_view body) {
  const auto first = body.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return std::nullopt;
  body = body.substr(first);
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return std::nullopt;
  const pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "Error") return std::nullopt;
  return read_error(root);
}

std::string describe_error_body(const S3ErrorBody& body) {
  std::string text = body.code.empty() ? "(no code)" : body.code;
  // RGW sends <Message></Message>: the code alone must still read as a complete statement.
  text += body.message.empty() ? " (no message)" : ": " + body.message;
  if (!body.details.empty()) text += " (" + body.details + ")";
  if (!body.request_id.empty()) text += " (request id " + body.request_id + ")";
  return text;
}

std::string describe_unreadable_body(std::string_view body) {
  if (trim(body).empty()) return "empty body";
  return "the body is not an S3 <Error> document: " + quoted_excerpt(body);
}

Result<std::string> parse_upload_id(std::string_view body) {
  auto doc = load(body, "CreateMultipartUpload", {"InitiateMultipartUploadResult"});
  if (!doc) return std::unexpected(doc.error());
  std::string upload_id = trimmed_child(doc->document_element(), "UploadId");
  if (upload_id.empty()) {
    return make_error(ErrorKind::corrupt, "CreateMultipartUpload reply has no UploadId");
  }
  return upload_id;
}

Result<std::string> parse_complete_result(std::string_view body) {
  // moto names the root CompleteMultipartUploadResponse; AWS, MinIO, GCS, RGW and s3rver
  // CompleteMultipartUploadResult.
  auto doc = load(body, "CompleteMultipartUpload",
                  {"CompleteMultipartUploadResult", "CompleteMultipartUploadResponse"});
  if (!doc) return std::unexpected(doc.error());
  // Empty when the store sent none (Ceph RGW 16: <ETag></ETag>): the object is complete all the
  // same, and the caller reads it back rather than calling it failed.
  return strip_etag_quotes(trimmed_child(doc->document_element(), "ETag"));
}

Result<ListPage> parse_list_objects_v2(std::string_view body) {
  constexpr std::string_view kOperation = "ListObjectsV2";
  auto doc = load(body, kOperation, {"ListBucketResult"});
  if (!doc) return std::unexpected(doc.error());
  const pugi::xml_node root = doc->document_element();
  const bool url_encoded = says_url_encoded(root);
  ListPage page;
  for (const pugi::xml_node& item : root.children("Contents")) {
    auto key = listed_name(child_text(item, "Key"), url_encoded, kOperation, "key");
    if (!key) return std::unexpected(key.error());
    if (key->empty()) {
      return make_error(ErrorKind::corrupt,
                        "ListObjectsV2 reply lists an object without a <Key> (after " +
                            (page.objects.empty() ? std::string("none") : page.objects.back().key) +
                            "): the listing cannot be trusted");
    }
    ObjectInfo info;
    info.key = std::move(*key);
    auto size = entry_size(item, "listing has", "key " + info.key);
    if (!size) return std::unexpected(size.error());
    info.size = *size;
    info.etag = strip_etag_quotes(trimmed_child(item, "ETag"));
    info.last_modified = trimmed_child(item, "LastModified");
    page.objects.push_back(std::move(info));
  }
  for (const pugi::xml_node& prefix : root.children("CommonPrefixes")) {
    auto name = listed_name(child_text(prefix, "Prefix"), url_encoded, kOperation, "prefix");
    if (!name) return std::unexpected(name.error());
    page.common_prefixes.push_back(std::move(*name));
  }
  auto truncated = truncated_flag(root, kOperation);
  if (!truncated) return std::unexpected(truncated.error());
  // The token is opaque: passed back exactly as sent.
  std::string token = child_text(root, "NextContinuationToken");
  const bool has_token = !trim(token).empty();
  if (truncated->value_or(has_token)) {
    if (!has_token) {
      return make_error(ErrorKind::corrupt,
                        "truncated listing without NextContinuationToken: the rest of it cannot "
                        "be asked for");
    }
    page.next_continuation_token = std::move(token);
  }
  return page;
}

Result<MultipartUploadPage> parse_list_multipart_uploads(std::string_view body) {
  constexpr std::string_view kOperation = "ListMultipartUploads";
  auto doc = load(body, kOperation, {"ListMultipartUploadsResult"});
  if (!doc) return std::unexpected(doc.error());
  const pugi::xml_node root = doc->document_element();
  const bool url_encoded = says_url_encoded(root);
  MultipartUploadPage page;
  for (const pugi::xml_node& upload : root.children("Upload")) {
    auto key = listed_name(child_text(upload, "Key"), url_encoded, kOperation, "key");
    if (!key) return std::unexpected(key.error());
    MultipartUpload entry{std::move(*key), trimmed_child(upload, "UploadId")};
    if (entry.key.empty() || entry.upload_id.empty()) {
      // Neither judged nor aborted without both: report the page as unreadable instead.
      return make_error(
          ErrorKind::corrupt,
          "ListMultipartUploads reply lists an upload without a " +
              std::string(entry.key.empty() ? "<Key>" : "<UploadId>") + " (" +
              (entry.key.empty() ? "upload id " + entry.upload_id : "key " + entry.key) + ")");
    }
    if (const pugi::xml_node initiated = upload.child("Initiated")) {
      auto time = parse_timestamp(trim(initiated.text().as_string()));
      if (!time) {
        return std::unexpected(time.error().with_context("ListMultipartUploads: upload of " +
                                                         entry.key + " (" + entry.upload_id + ")"));
      }
      entry.initiated = *time;
    }
    page.uploads.push_back(std::move(entry));
  }
  auto truncated = truncated_flag(root, kOperation);
  if (!truncated) return std::unexpected(truncated.error());
  std::string next_key = child_text(root, "NextKeyMarker");
  if (truncated->value_or(!next_key.empty())) {
    if (next_key.empty()) {
      return make_error(ErrorKind::corrupt, "truncated ListMultipartUploads without NextKeyMarker");
    }
    auto decoded = listed_name(std::move(next_key), url_encoded, kOperation, "NextKeyMarker");
    if (!decoded) return std::unexpected(decoded.error());
    page.next_key_marker = std::move(*decoded);
    page.next_upload_id_marker = trimmed_child(root, "NextUploadIdMarker");
  }
  return page;
}

namespace {

// One <Version> or <DeleteMarker> of a ListVersionsResult.
Result<ObjectVersion> read_version(const pugi::xml_node& entry, bool url_encoded) {
  constexpr std::string_view kOperation = "ListObjectVersions";
  auto key = listed_name(child_text(entry, "Key"), url_encoded, kOperation, "key");
  if (!key) return std::unexpected(key.error());
  ObjectVersion version;
  version.key = std::move(*key);
  version.version_id = trimmed_child(entry, "VersionId");
  version.delete_marker = std::string_view(entry.name()) == "DeleteMarker";
  const std::string what = version.delete_marker ? "a delete marker" : "a version";
  if (version.key.empty() || version.version_id.empty()) {
    // Without both it can be neither judged nor deleted: the listing cannot be trusted.
    return make_error(ErrorKind::corrupt,
                      "ListObjectVersions reply lists " + what + " without a " +
                          (version.key.empty() ? "<Key> (version id " + version.version_id + ")"
                                               : "<VersionId> (key " + version.key + ")"));
  }
  auto latest = boolean_child(
      entry, "IsLatest", kOperation,
      "whether " + version.key + " " + version.version_id + " is the current version is unknown");
  if (!latest) return std::unexpected(latest.error());
  version.is_latest = latest->value_or(false);
  version.last_modified = trimmed_child(entry, "LastModified");
  if (!version.delete_marker) {
    auto size = entry_size(entry, "ListObjectVersions reply has",
                           version.key + " version " + version.version_id);
    if (!size) return std::unexpected(size.error());
    version.size = *size;
  }
  return version;
}

}  // namespace

Result<ObjectVersionPage> parse_list_object_versions(std::string_view body) {
  constexpr std::string_view kOperation = "ListObjectVersions";
  auto doc = load(body, kOperation, {"ListVersionsResult"});
  if (!doc) return std::unexpected(doc.error());
  const pugi::xml_node root = doc->document_element();
  const bool url_encoded = says_url_encoded(root);
  ObjectVersionPage page;
  for (const pugi::xml_node& entry : root.children()) {
    const std::string_view name = entry.name();
    if (name != "Version" && name != "DeleteMarker") continue;
    auto version = read_version(entry, url_encoded);
    if (!version) return std::unexpected(version.error());
    page.versions.push_back(std::move(*version));
  }
  auto truncated = truncated_flag(root, kOperation);
  if (!truncated) return std::unexpected(truncated.error());
  std::string next_key = child_text(root, "NextKeyMarker");
  if (truncated->value_or(!next_key.empty())) {
    if (next_key.empty()) {
      return make_error(ErrorKind::corrupt,
                        "truncated ListObjectVersions without NextKeyMarker: the rest of it cannot "
                        "be asked for");
    }
    auto decoded = listed_name(std::move(next_key), url_encoded, kOperation, "NextKeyMarker");
    if (!decoded) return std::unexpected(decoded.error());
    page.next_key_marker = std::move(*decoded);
    page.next_version_id_marker = trimmed_child(root, "NextVersionIdMarker");
  }
  return page;
}

Result<std::vector<DeleteFailure>> parse_delete_result(std::string_view body) {
  auto doc = load(body, "DeleteObjects", {"DeleteResult"});
  if (!doc) return std::unexpected(doc.error());
  std::vector<DeleteFailure> failures;
  for (const pugi::xml_node& error : doc->document_element().children("Error")) {
    DeleteFailure failure{child_text(error, "Key"), trimmed_child(error, "Code"),
                          trimmed_child(error, "Message")};
    if (failure.key.empty()) {
      return make_error(ErrorKind::corrupt,
                        "DeleteObjects reply has an <Error> entry without a <Key> (" +
                            describe_delete_failure(failure) +
                            "): which object was not deleted is unknown");
    }
    // Ceph RGW: <Code>403</Code><Message>AccessDenied</Message> (rgw_rest_s3.cc,
    // RGWDeleteMultiObj_ObjStore_S3::send_partial_response dumps the HTTP status as the code).
    const bool status_as_code =
        failure.code.size() == 3 &&
        std::ranges::all_of(failure.code, [](char c) { return c >= '0' && c <= '9'; });
    if (status_as_code && !failure.message.empty() &&
        failure.message.find_first_of(kBlanks) == std::string::npos) {
      failure.message = "HTTP " + std::exchange(failure.code, failure.message);
    }
    failures.push_back(std::move(failure));
  }
  return failures;
}

std::string describe_delete_failure(const DeleteFailure& failure) {
  return (failure.key.empty() ? std::string("(no key)") : failure.key) + " (" +
         (failure.code.empty() ? std::string("no code") : failure.code) +
         (failure.message.empty() ? std::string(", no message") : ": " + failure.message) + ")";
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

std::string build_retention(const ObjectLock& lock) {
  return "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>" +
         std::string(wire_name(lock.mode)) + "</Mode><RetainUntilDate>" +
         format_retain_until(lock.retain_until) + "</RetainUntilDate></Retention>";
}

}  // namespace erp::s3
