// The libcurl transport against a real socket: a server on 127.0.0.1 that accepts connections
// and never answers is the stalled endpoint of a network brown-out. A stop must end a transfer
// to it promptly (the stall timeout here is a minute), a stopped request must not even connect,
// and a request's own deadline must end it without any stop.
#include "http/curl_transport.h"

#include <curl/curl.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

namespace erp::http {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Listens on 127.0.0.1 (a free port); accepts connections and reads what they send, but never
// writes a byte back.
class SilentServer {
 public:
  SilentServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listen_fd_, 4) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
  }
  ~SilentServer() {
    if (client_fd_ >= 0) ::close(client_fd_);
    ::close(listen_fd_);
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  // Waits (at most `limit`) for a client to connect and accepts it.
  bool accept_within(std::chrono::milliseconds limit) {
    pollfd ready{listen_fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(limit.count())) != 1) return false;
    client_fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    return client_fd_ >= 0;
  }

  // Reads from the accepted client until `marker` arrived (at most `limit`); returns what came.
  std::string read_until(std::string_view marker, std::chrono::milliseconds limit) {
    std::string received;
    const auto deadline = SteadyClock::now() + limit;
    while (received.find(marker) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      pollfd ready{client_fd_, POLLIN, 0};
      if (left <= 0ms || ::poll(&ready, 1, static_cast<int>(left.count())) != 1) break;
      char buffer[4096];
      const ssize_t n = ::read(client_fd_, buffer, sizeof buffer);
      if (n <= 0) break;
      received.append(buffer, static_cast<std::size_t>(n));
    }
    return received;
  }

  // Writes `bytes` to the accepted client: a slow server, paced by the test.
  bool send(std::string_view bytes) {
    return ::write(client_fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  }

  // A connection is waiting to be accepted right now.
  bool connection_pending() const {
    pollfd ready{listen_fd_, POLLIN, 0};
    return ::poll(&ready, 1, 0) == 1;
  }

 private:
  int listen_fd_ = -1;
  int client_fd_ = -1;
  int port_ = 0;
};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// A stall timeout far longer than any bound the tests check: only a stop can end a transfer early.
TransportOptions patient() {
  return TransportOptions{.connect_timeout = 10s, .stall_timeout = 60s};
}

// perform() against `server`, which accepts the connection and never answers: the result, how
// long it took, and whether the connection came. The client thread is always joined.
struct Timed {
  std::optional<Result<HttpResponse>> result;
  SteadyClock::duration took{};
  bool accepted = false;
};

Timed perform_unanswered(CurlTransport& transport, const HttpRequest& request,
                         SilentServer& server) {
  Timed timed;
  const auto start = SteadyClock::now();
  std::thread client([&] { timed.result = transport.perform(request, nullptr); });
  timed.accepted = server.accept_within(30s);
  client.join();
  timed.took = SteadyClock::now() - start;
  return timed;
}

TEST_CASE("a stop ends a transfer to a server that accepts and never answers") {
  const std::string body(4 << 20, 'x');  // more than socket buffers hold: the PUT blocks sending
  struct Case {
    const char* name;
    const char* method;
    bool with_body;
    const char* wait_for;  // what the server waits to receive before the stop is requested
  };
  const Case cases[] = {{"GET waiting for its answer", "GET", false, "\r\n\r\n"},
                        {"PUT blocked sending its body", "PUT", true, "xxxx"}};
  for (const Case& c : cases) {
    CAPTURE(c.name);
    SilentServer server;
    CurlTransport transport(patient());
    std::stop_source stop;
    HttpRequest request;
    request.method = c.method;
    request.url = server.url("/bucket/stalled");
    if (c.with_body) {
      request.body = {body.data(), body.size()};
      request.has_body = true;
    }
    request.stop = stop.get_token();

    std::optional<Result<HttpResponse>> result;
    std::thread client([&] { result = transport.perform(request, nullptr); });
    REQUIRE(server.accept_within(30s));
    // The request is on the wire: the headers (GET) or the start of the body (PUT) arrived.
    CHECK(server.read_until(c.wait_for, 30s).find(c.wait_for) != std::string::npos);
    const auto stopped_at = SteadyClock::now();
    stop.request_stop();
    client.join();
    const auto took = SteadyClock::now() - stopped_at;

    CHECK(took < 5s);  // libcurl's progress callback runs about once a second when idle
    REQUIRE(result.has_value());
    REQUIRE_FALSE(result->has_value());
    CHECK(result->error().kind == ErrorKind::cancelled);
    CHECK(result->error().message.find(c.method) != std::string::npos);
  }
}

TEST_CASE("a request whose stop is already requested does not even connect") {
  SilentServer server;
  CurlTransport transport(patient());
  std::stop_source stop;
  stop.request_stop();
  HttpRequest request;
  request.method = "GET";
  request.url = server.url("/bucket/key");
  request.stop = stop.get_token();

  const auto result = transport.perform(request, nullptr);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::cancelled);
  // A loopback connect completes inside connect(), so one would be waiting here now.
  CHECK_FALSE(server.connection_pending());
}

TEST_CASE("a request's own deadline ends a transfer that gets no answer, without any stop") {
  SilentServer server;
  CurlTransport transport(patient());
  HttpRequest request;
  request.method = "DELETE";
  request.url = server.url("/bucket/key?uploadId=u");
  request.timeout = 1s;

  const auto [result, took, accepted] = perform_unanswered(transport, request, server);
  CHECK(accepted);
  CHECK(took >= 1s);
  CHECK(took < 10s);  // not the minute of stall timeout
  REQUIRE(result.has_value());
  REQUIRE_FALSE(result->has_value());
  CHECK(result->error().kind == ErrorKind::transient);  // a timeout, like any other
  CHECK(result->error().message.find("DELETE") != std::string::npos);
}

// --- the stall timeout: every request gives up, none that moves is cut off ----------------------

// A stall timeout of 1 s; the bounds below leave 3 s for libcurl's about-once-a-second progress
// calls and a loaded machine. Before issue 17, a request with a body took ~7 s here: libcurl's
// low-speed limit averages over ~5 s, so the body's bytes kept a silent server's transfer alive.
TransportOptions one_second_stall() {
  return TransportOptions{.connect_timeout = 10s, .stall_timeout = 1s};
}

TEST_CASE("the stall timeout ends a request to a server that never answers, body or not") {
  const std::string part(4 << 20, 'x');     // more than socket buffers hold
  const std::string delete_list(300, 'k');  // a DeleteObjects body: sent at once, then silence
  struct Case {
    std::string_view name;
    const char* method;
    const std::string* body;
  };
  const Case cases[] = {{"GET", "GET", nullptr},
                        {"POST with a small body", "POST", &delete_list},
                        {"PUT of a part the server never reads", "PUT", &part}};
  for (const Case& c : cases) {
    CAPTURE(c.name);
    SilentServer server;
    CurlTransport transport(one_second_stall());
    HttpRequest request;
    request.method = c.method;
    request.url = server.url("/bucket/key");
    if (c.body != nullptr) {
      request.body = {c.body->data(), c.body->size()};
      request.has_body = true;
    }
    const auto [result, took, accepted] = perform_unanswered(transport, request, server);
    CHECK(accepted);
    CHECK(took >= 1s);  // not before the limit
    CHECK(took < 4s);
    REQUIRE(result.has_value());
    REQUIRE_FALSE(result->has_value());
    CHECK(result->error().kind == ErrorKind::transient);  // retried by the caller's policy
    CHECK(contains(result->error().message,
                   "HTTP " + std::string(c.method) + " failed: stalled: no byte moved for 1 s"));
  }
}

TEST_CASE("a TLS handshake that never completes gives up after the stall timeout") {
  SilentServer server;
  CurlTransport transport(one_second_stall());  // the connect timeout alone would be 10 s
  HttpRequest request;
  request.method = "GET";
  request.url = "https" + server.url("/bucket/key").substr(4);
  const auto [result, took, accepted] = perform_unanswered(transport, request, server);
  CHECK(accepted);
  CHECK(took < 4s);
  REQUIRE(result.has_value());
  REQUIRE_FALSE(result->has_value());
  CHECK(result->error().kind == ErrorKind::transient);
}

TEST_CASE("a slow answer that keeps moving is not cut off by the stall timeout") {
  SilentServer server;
  CurlTransport transport(one_second_stall());
  HttpRequest request;
  request.method = "GET";
  request.url = server.url("/bucket/key");
  std::optional<Result<HttpResponse>> result;
  std::thread client([&] { result = transport.perform(request, nullptr); });
  REQUIRE(server.accept_within(30s));
  REQUIRE(server.read_until("\r\n\r\n", 30s).find("\r\n\r\n") != std::string::npos);
  // 6 body bytes 400 ms apart: the answer takes 2.4 s in all, more than twice the stall timeout,
  // but no pause reaches it.
  REQUIRE(server.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n"));
  for (const char byte : std::string_view("abcdef")) {
    std::this_thread::sleep_for(400ms);  // the server's pace, not a synchronisation
    REQUIRE(server.send(std::string_view(&byte, 1)));
  }
  client.join();
  REQUIRE(result.has_value());
  REQUIRE(result->has_value());
  CHECK((*result)->status == 200);
  CHECK((*result)->body == "abcdef");
}

// --- how a failed transfer is described -------------------------------------------------------

TEST_CASE("a certificate failure is permanent, says certificate and names the CA setting") {
  TransportOptions options;
  options.ca_setting = "AWS_CA_BUNDLE";
  for (const CURLcode code :
       {CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_INVALIDCERTSTATUS,
        CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE}) {
    CAPTURE(code);
    const Error error = describe_curl_failure(
        code, "SSL certificate problem: unable to get local issuer certificate", "PUT", options);
    CHECK(error.kind == ErrorKind::permanent);
    CHECK(error.code == kTlsCertificateCode);
    CHECK(contains(error.message, "HTTP PUT failed: TLS certificate verification failed: "));
    CHECK(contains(error.message, "unable to get local issuer certificate"));
    CHECK(contains(error.message, "system store"));
    CHECK(contains(error.message, "set AWS_CA_BUNDLE to a PEM file"));
  }
}

TEST_CASE("with a CA bundle, the certificate hint names the file and says it replaces the store") {
  TransportOptions options;
  options.ca_setting = "AWS_CA_BUNDLE";
  options.ca_bundle = "/etc/erp/ca.pem";
  const Error error = describe_curl_failure(
      CURLE_PEER_FAILED_VERIFICATION,
      "SSL: no alternative certificate subject name matches target host name 'a.b.example'", "GET",
      options);
  CHECK(error.kind == ErrorKind::permanent);
  CHECK(contains(error.message, "TLS certificate verification failed"));
  CHECK(contains(error.message, "target host name 'a.b.example'"));
  CHECK(contains(error.message, "AWS_CA_BUNDLE=/etc/erp/ca.pem, which replaces the system store"));
}

TEST_CASE("an unusable CA file is a certificate failure whose hint names the file") {
  TransportOptions options;
  options.ca_setting = "AWS_CA_BUNDLE";
  options.ca_bundle = "/tmp/broken.pem";
  const Error error = describe_curl_failure(CURLE_SSL_CACERT_BADFILE, "", "HEAD", options);
  CHECK(error.kind == ErrorKind::permanent);
  CHECK(contains(error.message, "TLS certificate verification failed"));
  CHECK(contains(error.message, "AWS_CA_BUNDLE=/tmp/broken.pem must be a readable PEM file"));
}

TEST_CASE(
    "network failures keep their kind and gain libcurl's detail, without a certificate hint") {
  const TransportOptions options;
  const Error refused = describe_curl_failure(
      CURLE_COULDNT_CONNECT, "Failed to connect to 127.0.0.1 port 1: Connection refused", "GET",
      options);
  CHECK(refused.kind == ErrorKind::transient);
  CHECK(refused.code.empty());
  CHECK(contains(refused.message, "HTTP GET failed: "));
  CHECK(contains(refused.message, "Connection refused"));
  CHECK_FALSE(contains(refused.message, "certificate"));
  // A handshake cut off mid-way is a network failure, not a verdict on the certificate.
  const Error handshake = describe_curl_failure(CURLE_SSL_CONNECT_ERROR, "", "PUT", options);
  CHECK(handshake.kind == ErrorKind::transient);
  CHECK_FALSE(contains(handshake.message, "certificate"));
  const Error malformed = describe_curl_failure(CURLE_URL_MALFORMAT, "", "GET", options);
  CHECK(malformed.kind == ErrorKind::permanent);
}

}  // namespace
}  // namespace erp::http
