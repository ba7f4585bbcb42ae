#include "http/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

namespace erp::http {
namespace {

struct TransferState {
  const HttpRequest* request = nullptr;
  std::size_t body_offset = 0;
  ByteSink* body_sink = nullptr;
  CURL* handle = nullptr;
  HttpResponse response;
  std::optional<Error> sink_error;
  // The stall watch (watch_transfer): bytes moved either way, headers included, and when, on
  // libcurl's own clock of this transfer (microseconds since it started).
  curl_off_t stall_limit_us = 0;
  curl_off_t header_bytes = 0;
  curl_off_t bytes_moved = 0;
  curl_off_t last_move_us = 0;
  bool stalled = false;
};

// libcurl calls this often while bytes move and about once a second while a transfer is
// idle (a stalled server): a non-zero return aborts the transfer with
// CURLE_ABORTED_BY_CALLBACK. That is how a stop reaches a request already on the wire, and how
// a stall is cut off: after stall_limit_us without one byte moving either way.
//
// Why not libcurl's CURLOPT_LOW_SPEED_LIMIT: it compares an average over the last ~5 seconds,
// so after a request body went out (a part, a DeleteObjects list) a server that never answers
// kept the transfer alive for about 6 s beyond the limit: 7 s per attempt at 1 s, where a GET
// gave up after 1 s. Counting bytes here gives one bound for every request.
int watch_transfer(void* user, curl_off_t, curl_off_t downloaded, curl_off_t, curl_off_t uploaded) {
  auto* state = static_cast<TransferState*>(user);
  if (state->request->stop.stop_requested()) return 1;
  curl_off_t now_us = 0;
  curl_easy_getinfo(state->handle, CURLINFO_TOTAL_TIME_T, &now_us);
  // The clock starts again when the request goes out (0 until connected): a slow handshake,
  // bounded by the connect timeout, does not shorten the wait for the answer.
  curl_off_t request_sent_us = 0;
  curl_easy_getinfo(state->handle, CURLINFO_PRETRANSFER_TIME_T, &request_sent_us);
  state->last_move_us = std::max(state->last_move_us, request_sent_us);
  const curl_off_t moved = downloaded + uploaded + state->header_bytes;
  if (moved != state->bytes_moved) {
    state->bytes_moved = moved;
    state->last_move_us = now_us;
    return 0;
  }
  if (now_us - state->last_move_us >= state->stall_limit_us) {
    state->stalled = true;
    return 1;
  }
  return 0;
}

size_t read_body(char* buffer, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const auto& body = state->request->body;
  const std::size_t n = std::min(size * count, body.size() - state->body_offset);
  std::memcpy(buffer, body.data() + state->body_offset, n);
  state->body_offset += n;
  return n;
}

// curl rewinds the body when it must re-send it (e.g. after a redirect or auth retry).
int seek_body(void* user, curl_off_t offset, int origin) {
  auto* state = static_cast<TransferState*>(user);
  if (origin != SEEK_SET || offset < 0 ||
      static_cast<std::size_t>(offset) > state->request->body.size()) {
    return CURL_SEEKFUNC_FAIL;
  }
  state->body_offset = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const std::size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(state->handle, CURLINFO_RESPONSE_CODE, &status);
  // Only a successful body goes to the sink; error bodies are XML we must read.
  if (state->body_sink != nullptr && status >= 200 && status < 300) {
    if (state->request->stream_status != 0 && status != state->request->stream_status) {
      state->sink_error = Error{ErrorKind::permanent,
                                "expected HTTP " + std::to_string(state->request->stream_status) +
                                    ", got " + std::to_string(status) + " (range ignored?)"};
      return 0;
    }
    if (auto written = state->body_sink->write({data, n}); !written) {
      state->sink_error = written.error();
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    return n;
  }
  state->response.body.append(data, n);
  return n;
}

size_t collect_header(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const std::size_t n = size * count;
  state->header_bytes += static_cast<curl_off_t>(n);
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    state->response.headers.clear();  // a new status line (e.g. after 100 Continue)
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  state->response.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  return n;
}

// Network failures that another attempt may cure.
bool is_transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

// Failures of the TLS peer's certificate or of the CA file used to check it: retrying cannot
// cure them, and the operator fixes them through the CA setting.
bool is_certificate_failure(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:  // also CURLE_SSL_CACERT since libcurl 7.62
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return true;
    default:
      return false;
  }
}

std::string certificate_hint(CURLcode code, const TransportOptions& options) {
  if (code == CURLE_SSL_CACERT_BADFILE) {
    return " (hint: " + options.ca_setting + "=" + options.ca_bundle +
           " must be a readable PEM file of CA certificates)";
  }
  if (options.ca_bundle.empty()) {
    return " (hint: the server's certificate must be signed by a CA in the system store and name "
           "the endpoint's host; for a private CA set " +
           options.ca_setting + " to a PEM file holding it)";
  }
  return " (hint: the server's certificate must be signed by a CA in " + options.ca_setting + "=" +
         options.ca_bundle + ", which replaces the system store, and name the endpoint's host)";
}

// "30 s", "1.5 s", "500 ms": for messages.
std::string describe_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  if (ms < 1000) return std::to_string(ms) + " ms";
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void add(const std::string& line) { list = curl_slist_append(list, line.c_str()); }
};

}  // namespace

Error describe_curl_failure(int curl_code, std::string_view detail, std::string_view method,
                            const TransportOptions& options) {
  const auto code = static_cast<CURLcode>(curl_code);
  // libcurl's error buffer says what the generic text does not: which host name the certificate
  // lacks, which issuer was unknown, which address refused the connection.
  std::string what = curl_easy_strerror(code);
  if (!detail.empty() && detail != what) what += " (" + std::string(detail) + ")";
  const std::string prefix = "HTTP " + std::string(method) + " failed: ";
  if (is_certificate_failure(code)) {
    return Error{
        ErrorKind::permanent,
        prefix + "TLS certificate verification failed: " + what + certificate_hint(code, options),
        std::string(kTlsCertificateCode)};
  }
  return Error{is_transient(code) ? ErrorKind::transient : ErrorKind::permanent, prefix + what};
}

void global_init() {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

CurlTransport::CurlTransport(TransportOptions options)
    : options_(std::move(options)), handle_(curl_easy_init()) {}

CurlTransport::~CurlTransport() {
  curl_easy_cleanup(static_cast<CURL*>(handle_));
}

Result<HttpResponse> CurlTransport::perform(const HttpRequest& request, ByteSink* body_sink) {
  CURL* curl = static_cast<CURL*>(handle_);
  if (curl == nullptr) return make_error(ErrorKind::permanent, "curl_easy_init failed");
  if (request.stop.stop_requested()) {
    return make_error(ErrorKind::cancelled, "HTTP " + request.method + " not sent: stopped");
  }
  // Reset options but keep the live connection for reuse.
  curl_easy_reset(curl);

  TransferState state;
  state.request = &request;
  state.body_sink = body_sink;
  state.handle = curl;

  HeaderList headers;
  for (const Header& header : request.headers) headers.add(header.name + ": " + header.value);
  // No "Expect: 100-continue": it costs a round trip per part and some proxies mishandle it.
  headers.add("Expect:");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
  // S3 keys are not paths: "a/../b" and "a//b" must reach the server as written.
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  // A connection (TCP and TLS handshake) that does not complete is a stall too: an endpoint
  // that accepts and never answers the handshake gives up as soon as a silent reply would.
  auto connect_timeout = std::min(options_.connect_timeout, options_.stall_timeout);
  if (request.timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    connect_timeout = std::min(connect_timeout, request.timeout);
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
  state.stall_limit_us =
      std::max<curl_off_t>(1, std::chrono::microseconds(options_.stall_timeout).count());
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, watch_transfer);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &state);
  // Verification is set on every request (curl_easy_reset restores defaults) and never off.
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
  if (!options_.ca_bundle.empty()) {
    // The bundle replaces the system store. Setting CAINFO alone would not do that: Debian's
    // libcurl (and others) also has a default CA directory (/etc/ssl/certs), which stays trusted
    // unless CAPATH is cleared too.
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  }
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.has_body) {
    // UPLOAD sends exactly INFILESIZE bytes with Content-Length (never chunked).
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(curl, CURLOPT_READDATA, &state);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, seek_body);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &state);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);  // the buffer dies with this call
  if (state.sink_error) return std::unexpected(*state.sink_error);
  if (code == CURLE_ABORTED_BY_CALLBACK && state.stalled) {
    return make_error(ErrorKind::transient, "HTTP " + request.method +
                                                " failed: stalled: no byte moved for " +
                                                describe_duration(options_.stall_timeout));
  }
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    return make_error(ErrorKind::cancelled,
                      "HTTP " + request.method + " stopped during the transfer");
  }
  if (code != CURLE_OK) {
    return std::unexpected(describe_curl_failure(code, error_buffer, request.method, options_));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &state.response.status);
  return std::move(state.response);
}

}  // namespace erp::http
