// Pushing to a Pushgateway (metrics/push.h) over a scripted transport: the group URL, the
// request, which answers succeed, which are retried and what an error says. The real
// Pushgateway is in tests/integration/test_metrics.py.
#include "metrics/push.h"

#include <doctest/doctest.h>

#include "fakes/scripted_transport.h"

namespace erp::metrics {
namespace {

using testing::Reply;
using testing::ScriptedTransport;

PushOptions no_wait() {
  return PushOptions{.sleeper = [](std::chrono::milliseconds, std::stop_token) { return true; }};
}

TEST_CASE("the group URL is job then the grouping labels, plain values as they are") {
  CHECK(group_url("http://pg:9091", "erp-backup", {{"instance", "prod"}}) ==
        "http://pg:9091/metrics/job/erp-backup/instance/prod");
  CHECK(group_url("http://pg:9091/sub", "erp-backup",
                  {{"instance", "prod"}, {"command", "backup"}}) ==
        "http://pg:9091/sub/metrics/job/erp-backup/instance/prod/command/backup");
}

TEST_CASE("values outside [A-Za-z0-9._-] go base64url-encoded, as the Pushgateway reads them") {
  // base64url("restore db") = "cmVzdG9yZSBkYg=="; base64url("a/b?") = "YS9iPw==";
  // base64url("\xfb\xff") = "-_8=" (the URL-safe alphabet: '+' → '-', '/' → '_').
  CHECK(group_url("http://h", "erp-backup", {{"command", "restore db"}}) ==
        "http://h/metrics/job/erp-backup/command@base64/cmVzdG9yZSBkYg==");
  CHECK(group_url("http://h", "a/b?", {}) == "http://h/metrics/job@base64/YS9iPw==");
  CHECK(group_url("http://h", "j", {{"instance", "\xfb\xff"}}) ==
        "http://h/metrics/job/j/instance@base64/-_8=");
  CHECK(group_url("http://h", "j", {{"instance", ""}}) ==
        "http://h/metrics/job/j/instance@base64/=");
}

TEST_CASE("a push is one PUT of the text with the exposition content type; 200 and 202 succeed") {
  for (const long status : {200L, 202L}) {
    ScriptedTransport transport;
    transport.push(Reply::with_status(status));
    REQUIRE(push_group(transport, "http://h/metrics/job/j", "m 1\n", no_wait()).has_value());
    REQUIRE(transport.request_count() == 1);
    const auto request = transport.request(0);
    CHECK(request.method == "PUT");
    CHECK(request.url == "http://h/metrics/job/j");
    CHECK(request.body == "m 1\n");
    CHECK(request.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(request.timeout == std::chrono::milliseconds(10'000));
  }
}

TEST_CASE("a 400 is not retried and its message quotes the status and the Pushgateway's answer") {
  ScriptedTransport transport;
  transport.push(Reply::with_status(400, "pushed metrics are invalid or inconsistent\n"));
  const auto pushed = push_group(transport, "http://h/metrics/job/j", "m 1\n", no_wait());
  REQUIRE_FALSE(pushed.has_value());
  CHECK(pushed.error().kind == ErrorKind::permanent);
  CHECK(pushed.error().message ==
        "push to http://h/metrics/job/j answered HTTP 400: pushed metrics are invalid or "
        "inconsistent");
  CHECK(transport.request_count() == 1);
}

TEST_CASE("a 503 and a reset are retried; three failures give up saying so") {
  ScriptedTransport transport;
  transport.push({Reply::with_status(503), Reply::transport_error(), Reply::with_status(200)});
  CHECK(push_group(transport, "http://h/metrics/job/j", "m 1\n", no_wait()).has_value());
  CHECK(transport.request_count() == 3);

  ScriptedTransport failing;
  failing.push({Reply::with_status(503), Reply::with_status(502), Reply::with_status(500)});
  const auto pushed = push_group(failing, "http://h/metrics/job/j", "m 1\n", no_wait());
  REQUIRE_FALSE(pushed.has_value());
  CHECK(pushed.error().message.find("HTTP 500") != std::string::npos);
  CHECK(pushed.error().message.find("gave up after 3 attempts") != std::string::npos);
  CHECK(failing.request_count() == 3);
}

}  // namespace
}  // namespace erp::metrics
