#include "s3/s3_client.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <unordered_set>

#include "codec/digest.h"
#include "core/counting_sink.h"
#include "core/stop.h"
#include "s3/s3_call.h"
#include "s3/uri_encode.h"
#include "s3/xml_replies.h"

namespace erp::s3 {

namespace {

constexpr std::size_t kDeleteBatchSize = 1000;  // S3's limit per DeleteObjects request

std::string describe(std::string_view bucket, std::string_view key) {
  return "s3://" + std::string(bucket) + "/" + std::string(key);
}

// Wire form of the query: names and values encoded exactly as the signer encodes
// them, so what is signed is what is sent. A parameter with an empty value is sent
// bare ("?uploads"), which S3 canonicalises as "uploads=".
std::string wire_query(const QueryParams& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    out += out.empty() ? "?" : "&";
    out += uri_encode(name);
    if (!value.empty()) out += "=" + uri_encode(value);
  }
  return out;
}

ErrorKind classify_status(long status, std::string_view code) {
  if (is_transient_error_code(code)) return ErrorKind::transient;
  if (status == 501 || code == "NotImplemented") return ErrorKind::permanent;
  if (status >= 500 || status == 429 || status == 408) return ErrorKind::transient;
  if (error_code_kind(code) == ErrorKind::not_found || (status == 404 && code != "NoSuchBucket")) {
    return ErrorKind::not_found;
  }
  return ErrorKind::permanent;
}

// "2026-11-30T12:20:00Z" or "2026-11-30T12:20:00.123Z" (S3's <ServerTime>).
std::optional<std::chrono::sys_seconds> parse_iso_time(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  return std::chrono::sys_seconds{std::chrono::seconds{timegm(&tm)}};
}

// "Mon, 30 Nov 2026 12:20:00 GMT" (the HTTP Date header).
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) {
  std::tm tm{};
  const std::string copy(text);
  if (strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return std::nullopt;
  return std::chrono::sys_seconds{std::chrono::seconds{timegm(&tm)}};
}

// The region a refusal names: <Region>, else the x-amz-bucket-region header.
std::string expected_region(const S3ErrorBody& body, const std::vector<http::Header>& headers) {
  if (!body.region.empty()) return body.region;
  return std::string(http::find_header(headers, "x-amz-bucket-region").value_or(""));
}

// The server's clock as a RequestTimeTooSkewed refusal tells it: <ServerTime>, else Date.
std::optional<std::chrono::sys_seconds> server_time(const S3ErrorBody& body,
                                                    const std::vector<http::Header>& headers) {
  std::optional<std::chrono::sys_seconds> server = parse_iso_time(body.server_time);
  if (!server) {
    if (auto date = http::find_header(headers, "Date")) server = parse_http_date(*date);
  }
  return server;
}

// AWS itself (its region redirects are worth following); any other store keeps its settings.
bool is_aws_endpoint(std::string_view endpoint) {
  const auto scheme_end = endpoint.find("://");
  std::string_view host =
      scheme_end == std::string_view::npos ? endpoint : endpoint.substr(scheme_end + 3);
  host = host.substr(0, host.find_first_of("/:"));
  return host.ends_with(".amazonaws.com");
}

// The hint that tells an operator which setting to fix. `signed_at` is the time the request
// was signed with, so a clock-skew refusal can say by how much this host's clock is off.
std::string hint_for(std::string_view operation, const S3ErrorBody& body,
                     const std::vector<http::Header>& headers, std::chrono::sys_seconds signed_at) {
  const std::string& code = body.code;
  // A lock refuses with the same code as a policy (AWS, RGW, moto): both causes are named.
  if (code == "AccessDenied" && operation == "DeleteObjectVersion") {
    return " (hint: the version is under an Object Lock retention that has not passed, or the "
           "credentials lack s3:DeleteObjectVersion)";
  }
  if (code == "AccessDenied" && operation == "PutObjectRetention") {
    return " (hint: a retention can be extended but not shortened or weakened, or the credentials "
           "lack s3:PutObjectRetention)";
  }
  if (code == "NoSuchBucket") return " (hint: check S3_BUCKET and the endpoint)";
  if (code == "SignatureDoesNotMatch") {
    return " (hint: check AWS_SECRET_ACCESS_KEY/AWS_SECRET_ACCESS_KEY_FILE, AWS_REGION and "
           "S3_ADDRESSING_STYLE)";
  }
  if (code == "InvalidAccessKeyId") {
    return " (hint: check AWS_ACCESS_KEY_ID/AWS_ACCESS_KEY_ID_FILE: the server does not know "
           "this key id)";
  }
  if (code == "AccessDenied") return " (hint: the credentials lack permission for this operation)";
  if (code == "InvalidToken" || code == "ExpiredToken") {
    return " (hint: the session token was refused: with static keys check "
           "AWS_SESSION_TOKEN/AWS_SESSION_TOKEN_FILE; temporary keys need the token issued with "
           "them, long-term keys none)";
  }
  if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" ||
      code == "IllegalLocationConstraintException") {
    const std::string region = expected_region(body, headers);
    if (!region.empty()) {
      return " (hint: the server expects region '" + region + "': set AWS_REGION=" + region + ")";
    }
    if (!body.endpoint.empty()) {
      return " (hint: the bucket answers at " + body.endpoint +
             ": set AWS_REGION or AWS_ENDPOINT_URL_S3 to match)";
    }
    return " (hint: check AWS_REGION and AWS_ENDPOINT_URL_S3)";
  }
  if (code == "RequestTimeTooSkewed") {
    const std::optional<std::chrono::sys_seconds> server = server_time(body, headers);
    if (!server) return " (hint: this host's clock is off; fix it, e.g. with NTP)";
    const auto offset = (*server - signed_at).count();
    const std::string direction = offset >= 0 ? "behind" : "ahead of";
    return " (hint: this host's clock is " + std::to_string(offset >= 0 ? offset : -offset) +
           " s " + direction + " the server's (clock offset " + std::to_string(offset) +
           " s); fix the host's clock, e.g. with NTP)";
  }
  return "";
}

}  // namespace

bool is_gcs_endpoint(std::string_view endpoint) {
  const auto scheme_end = endpoint.find("://");
  std::string_view host =
      scheme_end == std::string_view::npos ? endpoint : endpoint.substr(scheme_end + 3);
  host = host.substr(0, host.find_first_of("/:"));
  return host == "storage.googleapis.com" || host.ends_with(".storage.googleapis.com");
}

S3Client::S3Client(S3ClientOptions options, Credentials credentials,
                   http::TransportPool& transports, const Clock& clock, http::Sleeper sleeper)
    : S3Client(std::move(options),
               std::make_shared<FixedCredentialsProvider>(std::move(credentials)), transports,
               clock, std::move(sleeper)) {}

S3Client::S3Client(S3ClientOptions options, std::shared_ptr<CredentialsProvider> credentials,
                   http::TransportPool& transports, const Clock& clock, http::Sleeper sleeper)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      transports_(transports),
      clock_(clock),
      sleeper_(std::move(sleeper)) {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/')
    options_.endpoint.pop_back();
}

std::string S3Client::object_url(const std::string& endpoint, std::string_view key,
                                 const QueryParams& query) const {
  // The key is encoded exactly once and never normalised: "a//b" and "a/./b" are
  // distinct S3 keys, and the signature covers the path as sent.
  std::string url;
  if (options_.addressing == AddressingStyle::path) {
    url = endpoint + "/" + options_.bucket;
    if (!key.empty()) url += "/" + uri_encode_path(key);
  } else {
    const auto scheme_end = endpoint.find("://");
    const std::size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
    url = endpoint.substr(0, host_start) + options_.bucket + "." + endpoint.substr(host_start) +
          "/" + uri_encode_path(key);
  }
  return url + wire_query(query);
}

std::string S3Client::payload_hash(std::span<const char> body) const {
  switch (options_.payload_signing) {
    case PayloadSigning::always:
      return codec::sha256_hex(body);
    case PayloadSigning::never:
      return std::string(kUnsignedPayload);
    case PayloadSigning::automatic:
      break;
  }
  // Over plain HTTP the signed hash is the only thing protecting the bytes.
  return options_.endpoint.starts_with("https://") ? std::string(kUnsignedPayload)
                                                   : codec::sha256_hex(body);
}

std::string S3Client::call_payload_hash(const Call& call) const {
  return call.has_body ? payload_hash(call.body) : std::string(kEmptyPayloadSha256);
}

S3Client::Target S3Client::target() const {
  std::lock_guard lock(target_mutex_);
  if (region_override_) return *region_override_;
  return {options_.endpoint, options_.scope};
}

std::chrono::seconds S3Client::clock_offset() const {
  return std::chrono::seconds(clock_offset_.load());
}

Result<http::HttpResponse> S3Client::attempt(const Call& call, const std::string& hash,
                                             ByteSink* body_sink, std::stop_token stop) {
  bool corrected = false;
  auto response = exchange(call, hash, body_sink, stop, &corrected);
  if (response || !corrected) return response;
  // Once, with the corrected clock or region; a second refusal is the answer.
  return exchange(call, hash, body_sink, std::move(stop), nullptr);
}

Result<http::HttpResponse> S3Client::exchange(const Call& call, const std::string& hash,
                                              ByteSink* body_sink, std::stop_token stop,
                                              bool* corrected) {
  const Target where = target();
  std::string described =
      call.bucket_level ? "s3://" + options_.bucket : describe(options_.bucket, call.key);
  if (!call.version_id.empty()) described += " version " + std::string(call.version_id);
  auto keys = credentials_->current();
  if (!keys) {
    Error error = keys.error().with_context(std::string(call.operation) + " " + described);
    // The provider already retried its endpoint; the S3 retry loop must not multiply that.
    if (error.kind == ErrorKind::transient) error.kind = ErrorKind::permanent;
    return std::unexpected(std::move(error));
  }

  http::HttpRequest request;
  request.stop = std::move(stop);
  if (call.cleanup) request.timeout = options_.abort_timeout;
  request.method = std::string(call.method);
  request.url = object_url(where.endpoint, call.key, call.query);
  request.headers = call.headers;
  request.body = call.body;
  request.has_body = call.has_body;
  request.stream_status = call.stream_status;
  const std::chrono::sys_seconds host_time = now_seconds(clock_);
  const std::chrono::sys_seconds signed_at = host_time + clock_offset();
  sign_request(request, call.query, hash, **keys, where.scope, signed_at);

  auto lease = transports_.take();
  auto response = lease->perform(request, body_sink);
  if (!response) {
    return std::unexpected(
        response.error().with_context(std::string(call.operation) + " " + described));
  }
  if (response->status >= 200 && response->status < 300) return response;

  const auto body = parse_error(response->body);
  const std::string code = body ? body->code : "";
  if (body && corrected != nullptr)
    *corrected = correct(*body, response->headers, where, host_time);
  // "HTTP 404 NoSuchKey (no message)" when the store sends an empty <Message> (Ceph RGW), and
  // what the body was when it is no <Error> at all (a HEAD's empty body, a proxy's HTML page).
  std::string message =
      std::string(call.operation) + " " + described + ": HTTP " + std::to_string(response->status);
  if (body) {
    message += " " + describe_error_body(*body);
    // The hint compares the server's clock with this host's own, not the corrected one.
    message += hint_for(call.operation, *body, response->headers, host_time);
  } else {
    message += " (" + describe_unreadable_body(response->body) + ")";
  }
  return make_error(classify_status(response->status, code), std::move(message),
                    code.empty() ? "HTTP" + std::to_string(response->status) : code);
}

bool S3Client::correct(const S3ErrorBody& body, const std::vector<http::Header>& headers,
                       const Target& where, std::chrono::sys_seconds host_time) {
  using namespace std::chrono_literals;
  if (body.code == "RequestTimeTooSkewed") {
    const auto server = server_time(body, headers);
    if (!server) return false;
    // Absolute, not added to the old offset: parts refused at once all set the same value.
    const std::chrono::seconds offset = *server - host_time;
    const std::chrono::seconds change = offset - clock_offset();
    if (change < 60s && change > -60s) return false;  // nothing to correct: the refusal stands
    clock_offset_.store(offset.count());
    if (options_.on_clock_corrected) options_.on_clock_corrected(offset);
    return true;
  }
  if (body.code == "AuthorizationHeaderMalformed" || body.code == "PermanentRedirect") {
    std::string region = expected_region(body, headers);
    if (region.empty() || region == where.scope.region || !is_aws_endpoint(where.endpoint)) {
      return false;
    }
    Target next = where;
    next.scope.region = region;
    // The regional default endpoint follows the region; a named endpoint stays.
    if (where.endpoint == "https://s3." + where.scope.region + ".amazonaws.com" ||
        where.endpoint == "https://s3.amazonaws.com") {
      next.endpoint = "https://s3." + region + ".amazonaws.com";
    }
    {
      std::lock_guard lock(target_mutex_);
      region_override_ = next;
    }
    if (options_.on_region_corrected) options_.on_region_corrected(region);
    return true;
  }
  return false;
}

template <typename T, typename Attempt>
Result<T> S3Client::retried(const Call& call, Attempt&& try_once) {
  if (call.cleanup) {
    // Cleanup is what a stop leads to, so the client's stop must not cancel it; one bounded
    // attempt keeps a stalled endpoint from holding the exit (the stale-upload sweep of
    // `prune` removes what an abort could not).
    const http::RetryPolicy once{.max_attempts = 1};
    return http::with_retries<T>(once, sleeper_, call.stop, [&] { return try_once(call.stop); });
  }
  const AnyStop stop(options_.stop, call.stop);
  return http::with_retries<T>(options_.retry, sleeper_, stop.token(),
                               [&] { return try_once(stop.token()); });
}

Result<http::HttpResponse> S3Client::execute(const Call& call, ByteSink* body_sink) {
  // Hashed once: a retried part is re-sent and re-signed, not re-hashed.
  const std::string hash = call_payload_hash(call);
  return retried<http::HttpResponse>(
      call, [&](std::stop_token stop) { return attempt(call, hash, body_sink, std::move(stop)); });
}

http::Header S3Client::if_absent_header() const {
  // GCS's XML API spells "no live object yet" as generation 0; S3 and MinIO use the HTTP
  // precondition. Both are signed like every other header (sigv4.h).
  if (is_gcs_endpoint(options_.endpoint)) return {"x-goog-if-generation-match", "0"};
  return {"If-None-Match", "*"};
}

Result<std::string> S3Client::put_object(std::string_view key, std::span<const char> body) {
  return put_object(key, body, WriteCondition::none);
}

Result<std::string> S3Client::put_object(std::string_view key, std::span<const char> body,
                                         WriteCondition condition) {
  return put(key, body, condition, nullptr);
}

Result<std::string> S3Client::put_object(std::string_view key, std::span<const char> body,
                                         WriteCondition condition, const ObjectLock& lock) {
  return put(key, body, condition, &lock);
}

LockDialect S3Client::lock_dialect() const {
  return is_gcs_endpoint(options_.endpoint) ? LockDialect::gcs : LockDialect::s3;
}

Result<std::string> S3Client::put(std::string_view key, std::span<const char> body,
                                  WriteCondition condition, const ObjectLock* lock) {
  Call call{.operation = "PutObject", .method = "PUT", .key = key};
  call.headers.push_back({"Content-Type", "application/octet-stream"});
  if (condition == WriteCondition::if_absent) call.headers.push_back(if_absent_header());
  if (lock != nullptr)
    std::ranges::move(object_lock_headers(*lock, lock_dialect()), std::back_inserter(call.headers));
  // S3 requires a checksum on a write that carries a retention; computed here, once, so a retry
  // re-sends it rather than hashing the body again.
  if (lock != nullptr || options_.content_md5_on_uploads) {
    call.headers.push_back({"Content-MD5", codec::md5_base64(body)});
  }
  call.body = body;
  call.has_body = true;
  auto response = execute(call);
  if (!response) return std::unexpected(response.error());
  return strip_etag_quotes(http::find_header(response->headers, "ETag").value_or(""));
}

Result<std::string> S3Client::create_multipart_upload(std::string_view key) {
  return create_upload(key, nullptr);
}

Result<std::string> S3Client::create_multipart_upload(std::string_view key,
                                                      const ObjectLock& lock) {
  return create_upload(key, &lock);
}

Result<std::string> S3Client::create_upload(std::string_view key, const ObjectLock* lock) {
  Call call{.operation = "CreateMultipartUpload", .method = "POST", .key = key};
  call.query = {{"uploads", ""}};
  call.headers.push_back({"Content-Type", "application/octet-stream"});
  if (lock != nullptr)
    std::ranges::move(object_lock_headers(*lock, lock_dialect()), std::back_inserter(call.headers));
  call.has_body = true;
  auto response = execute(call);
  if (!response) return std::unexpected(response.error());
  auto upload_id = parse_upload_id(response->body);
  if (!upload_id)
    return std::unexpected(upload_id.error().with_context(describe(options_.bucket, key)));
  return upload_id;
}

Result<std::string> S3Client::upload_part(std::string_view key, std::string_view upload_id,
                                          int part_number, std::span<const char> body) {
  return upload_part(key, upload_id, part_number, body, std::stop_token{});
}

Result<std::string> S3Client::upload_part(std::string_view key, std::string_view upload_id,
                                          int part_number, std::span<const char> body,
                                          std::stop_token stop) {
  Call call{.operation = "UploadPart", .method = "PUT", .key = key};
  call.stop = std::move(stop);
  call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", std::string(upload_id)}};
  // Once per call: a retried part is re-sent with the same header, not hashed again.
  if (options_.content_md5_on_uploads)
    call.headers.push_back({"Content-MD5", codec::md5_base64(body)});
  call.body = body;
  call.has_body = true;
  auto response = execute(call);
  if (!response) return std::unexpected(response.error());
  const auto etag = http::find_header(response->headers, "ETag");
  if (!etag || etag->empty()) {
    return make_error(ErrorKind::corrupt, "UploadPart " + describe(options_.bucket, key) +
                                              " part " + std::to_string(part_number) +
                                              ": reply has no ETag");
  }
  return strip_etag_quotes(*etag);
}

Result<std::string> S3Client::complete_multipart_upload(std::string_view key,
                                                        std::string_view upload_id,
                                                        const std::vector<CompletedPart>& parts) {
  return complete_multipart_upload(key, upload_id, parts, WriteCondition::none);
}

Result<std::string> S3Client::complete_multipart_upload(std::string_view key,
                                                        std::string_view upload_id,
                                                        const std::vector<CompletedPart>& parts,
                                                        WriteCondition condition) {
  const std::string xml = build_complete_multipart_upload(parts);
  Call call{.operation = "CompleteMultipartUpload", .method = "POST", .key = key};
  call.query = {{"uploadId", std::string(upload_id)}};
  call.headers.push_back({"Content-Type", "application/xml"});
  if (condition == WriteCondition::if_absent) call.headers.push_back(if_absent_header());
  call.body = xml;
  call.has_body = true;
  // A 200 reply can still carry <Error> (S3 reports late failures that way), so the
  // body is parsed inside the retried attempt: a transient <Error> is retried too.
  const std::string hash = call_payload_hash(call);
  return retried<std::string>(call, [&](std::stop_token stop) -> Result<std::string> {
    auto response = attempt(call, hash, nullptr, std::move(stop));
    if (!response) return std::unexpected(response.error());
    auto etag = parse_complete_result(response->body);
    if (!etag) return std::unexpected(etag.error().with_context(describe(options_.bucket, key)));
    return etag;
  });
}

Result<void> S3Client::abort_multipart_upload(std::string_view key, std::string_view upload_id) {
  Call call{.operation = "AbortMultipartUpload", .method = "DELETE", .key = key};
  call.query = {{"uploadId", std::string(upload_id)}};
  call.cleanup = true;
  auto response = execute(call);
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<std::vector<MultipartUpload>> S3Client::list_multipart_uploads(std::string_view prefix) {
  Call call{.operation = "ListMultipartUploads", .method = "GET", .bucket_level = true};
  call.query = {{"uploads", ""}};
  if (!prefix.empty()) call.query.emplace_back("prefix", std::string(prefix));
  return list_by_markers(std::move(call), "upload-id-marker", &MultipartUploadPage::uploads,
                         &MultipartUploadPage::next_upload_id_marker, parse_list_multipart_uploads);
}

Result<ListPage> S3Client::list_objects_v2(std::string_view prefix,
                                           std::string_view continuation_token,
                                           std::string_view delimiter, int max_keys) {
  Call call{.operation = "ListObjectsV2", .method = "GET", .bucket_level = true};
  // encoding-type=url, as the aws CLI asks: XML 1.0 cannot carry every byte a key may hold (a CR
  // would come back as LF). A store that ignores it (s3rver) answers without <EncodingType>, and
  // its keys are then taken literally (parse_list_objects_v2).
  call.query = {{"list-type", "2"}, {"encoding-type", "url"}};
  if (!prefix.empty()) call.query.emplace_back("prefix", std::string(prefix));
  if (!continuation_token.empty()) {
    call.query.emplace_back("continuation-token", std::string(continuation_token));
  }
  if (!delimiter.empty()) call.query.emplace_back("delimiter", std::string(delimiter));
  if (max_keys > 0) call.query.emplace_back("max-keys", std::to_string(max_keys));
  auto response = execute(call);
  if (!response) return std::unexpected(response.error());
  auto page = parse_list_objects_v2(response->body);
  if (!page) return std::unexpected(page.error().with_context("s3://" + options_.bucket));
  // Every caller follows the token until there is none: one that does not move would list the
  // same page for ever.
  if (!continuation_token.empty() && page->next_continuation_token == continuation_token) {
    return make_error(ErrorKind::corrupt, "ListObjectsV2 s3://" + options_.bucket + " prefix '" +
                                              std::string(prefix) +
                                              "': pagination does not advance (the next "
                                              "continuation token is the one just sent)");
  }
  return page;
}

Result<ObjectInfo> S3Client::head_object(std::string_view key) {
  return head(key, "");
}

Result<ObjectInfo> S3Client::head(std::string_view key, std::string_view version_id,
                                  bool read_lock) {
  Call call{.operation = "HeadObject", .method = "HEAD", .key = key, .version_id = version_id};
  if (!version_id.empty()) {
    call.query = {{std::string(version_parameter(lock_dialect())), std::string(version_id)}};
  }
  auto response = execute(call);
  if (!response) return std::unexpected(response.error());
  ObjectInfo info;
  info.key = std::string(key);
  info.version_id = version_id_in(response->headers);
  if (info.version_id.empty()) info.version_id = std::string(version_id);  // not echoed
  if (read_lock) {
    auto lock = object_lock_in(response->headers);
    if (!lock) {
      return std::unexpected(
          lock.error().with_context("HeadObject " + describe(options_.bucket, key)));
    }
    info.lock = *lock;
  }
  info.etag = strip_etag_quotes(http::find_header(response->headers, "ETag").value_or(""));
  info.last_modified =
      std::string(http::find_header(response->headers, "Last-Modified").value_or(""));
  const auto length = http::find_header(response->headers, "Content-Length");
  if (!length || std::from_chars(length->data(), length->data() + length->size(), info.size).ec !=
                     std::errc()) {
    return make_error(ErrorKind::corrupt, "HeadObject " + describe(options_.bucket, key) +
                                              ": reply has no valid Content-Length");
  }
  return info;
}

Result<void> S3Client::get_object(std::string_view key, ByteSink& sink,
                                  std::optional<ByteRange> range) {
  // HEAD first: it pins the ETag (a resumed request must read the same object, not a
  // newer one) and gives the size, so a body cut short is detected, not passed on.
  auto info = head(key, "", /*read_lock=*/false);
  if (!info) return std::unexpected(info.error());
  const std::uint64_t first = range ? range->first : 0;
  std::uint64_t last = info->size == 0 ? 0 : info->size - 1;
  if (range && range->last) last = std::min(last, *range->last);
  const std::uint64_t expected = (info->size == 0 || first > last) ? 0 : last - first + 1;
  if (expected == 0) return {};

  CountingSink counter(sink);
  const Call whole{.operation = "GetObject", .method = "GET", .key = key};
  auto result = retried<http::HttpResponse>(whole, [&](std::stop_token stop) {
    Call call = whole;
    call.headers.push_back(
        {"Range", "bytes=" + std::to_string(first + counter.bytes()) + "-" + std::to_string(last)});
    if (!info->etag.empty()) call.headers.push_back({"If-Match", "\"" + info->etag + "\""});
    call.stream_status = 206;  // a server that ignores Range must not append the whole object
    return attempt(call, std::string(kEmptyPayloadSha256), &counter, std::move(stop));
  });
  if (!result) return std::unexpected(result.error());
  if (counter.bytes() != expected) {
    return make_error(ErrorKind::corrupt, "GetObject " + describe(options_.bucket, key) + ": got " +
                                              std::to_string(counter.bytes()) +
                                              " bytes, expected " + std::to_string(expected));
  }
  return {};
}

Result<void> S3Client::delete_object(std::string_view key) {
  Call call{.operation = "DeleteObject", .method = "DELETE", .key = key};
  auto response = execute(call);
  if (!response && response.error().kind != ErrorKind::not_found) {
    return std::unexpected(response.error());
  }
  return {};
}

Result<void> S3Client::delete_object_after_stop(std::string_view key) {
  Call call{.operation = "DeleteObject", .method = "DELETE", .key = key};
  call.cleanup = true;  // once, within abort_timeout, even after the job's stop
  auto response = execute(call);
  if (!response && response.error().kind != ErrorKind::not_found) {
    return std::unexpected(response.error());
  }
  return {};
}

Result<std::vector<DeleteFailure>> S3Client::delete_batch(const std::vector<std::string>& keys) {
  const std::string xml = build_delete_objects(keys);
  Call call{.operation = "DeleteObjects", .method = "POST", .bucket_level = true};
  call.query = {{"delete", ""}};
  // DeleteObjects is one of the few operations that requires a checksum; Content-MD5
  // is the one every S3 implementation (GCS included) understands.
  call.headers.push_back({"Content-MD5", codec::md5_base64(xml)});
  call.headers.push_back({"Content-Type", "application/xml"});
  call.body = xml;
  call.has_body = true;
  auto response = execute(call);
  if (!response) return std::unexpected(response.error());
  auto failures = parse_delete_result(response->body);
  if (!failures) {
    return std::unexpected(failures.error().with_context("s3://" + options_.bucket));
  }
  // A failure for a key this batch did not name (the store altered it on the way, say) still
  // means one of ours may be left: it is reported, never dropped.
  const std::unordered_set<std::string_view> asked(keys.begin(), keys.end());
  for (DeleteFailure& failure : *failures) {
    if (!asked.contains(failure.key)) {
      failure.message += (failure.message.empty() ? "" : "; ") +
                         std::string("the store named a key this request did not ask to delete");
    }
  }
  return failures;
}

Result<std::vector<DeleteFailure>> S3Client::delete_objects(const std::vector<std::string>& keys) {
  std::vector<DeleteFailure> failures;
  for (std::size_t start = 0; start < keys.size(); start += kDeleteBatchSize) {
    const std::vector<std::string> batch(
        keys.begin() + static_cast<std::ptrdiff_t>(start),
        keys.begin() +
            static_cast<std::ptrdiff_t>(std::min(keys.size(), start + kDeleteBatchSize)));
    auto result = delete_batch(batch);
    if (result) {
      std::ranges::move(*result, std::back_inserter(failures));
      continue;
    }
    // GCS's XML API has no multi-object delete: fall back to one DELETE per key.
    if (result.error().code != "NotImplemented" && result.error().code != "HTTP501") {
      return std::unexpected(result.error());
    }
    // A key the store refuses is reported like a batch <Error> entry and the rest go on;
    // only errors that stop every request (transient after retries, cancelled) end the call.
    for (std::size_t i = start; i < keys.size(); ++i) {
      auto deleted = delete_object(keys[i]);
      if (deleted) continue;
      if (deleted.error().kind == ErrorKind::permanent ||
          deleted.error().kind == ErrorKind::corrupt) {
        failures.push_back({keys[i], deleted.error().code, deleted.error().message});
        continue;
      }
      return std::unexpected(deleted.error());
    }
    break;
  }
  return failures;
}

Result<std::string> S3Client::presign(std::string_view method, std::string_view key,
                                      std::chrono::seconds expires) const {
  auto keys = credentials_->current();
  if (!keys) return std::unexpected(keys.error().with_context("presign s3://" + options_.bucket));
  const Target where = target();
  return presign_url(method, object_url(where.endpoint, key, {}), {}, **keys, where.scope,
                     now_seconds(clock_) + clock_offset(), expires);
}

}  // namespace erp::s3
