#include "doctor/reply_log.h"

#include <doctest/doctest.h>

#include "fakes/scripted_transport.h"

using namespace erp;
using namespace erp::doctor;
using Scripted = erp::testing::Reply;
using erp::testing::ScriptedTransport;

TEST_CASE("RecordingTransport passes every exchange through and records what came back") {
  ScriptedTransport inner;
  inner.push(Scripted::ok("<ListBucketResult/>", {{"Server", "MinIO"}}));
  inner.push(Scripted::s3_error(501, "NotImplemented", "no batch delete"));
  inner.push(Scripted::transport_error(
      {ErrorKind::permanent, "TLS certificate verification failed", "TlsCertificate"}));
  inner.push(Scripted::ok(std::string(2 * kKeptBody, 'x')));
  ReplyLog log;
  http::TransportPool pool([&] {
    auto forward = inner.factory();
    return std::make_unique<RecordingTransport>(forward(), log);
  });
  auto lease = pool.take();
  const http::HttpRequest list{.method = "GET", .url = "http://s3/b?list-type=2"};
  const auto first = lease->perform(list, nullptr);
  REQUIRE(first.has_value());
  CHECK(first->body == "<ListBucketResult/>");  // passed on untouched
  const http::HttpRequest batch{.method = "POST", .url = "http://s3/b?delete", .has_body = true};
  const auto refused = lease->perform(batch, nullptr);
  REQUIRE(refused.has_value());
  CHECK(refused->status == 501);
  const auto failed = lease->perform(list, nullptr);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code == "TlsCertificate");
  REQUIRE(lease->perform(list, nullptr).has_value());

  REQUIRE(log.size() == 4);
  const auto replies = log.since(0);
  CHECK(replies[0].method == "GET");
  CHECK(replies[0].status == 200);
  CHECK(http::find_header(replies[0].headers, "server") == "MinIO");
  CHECK(replies[0].error_code.empty());
  CHECK(replies[1].url == "http://s3/b?delete");
  CHECK(replies[1].error_code == "NotImplemented");
  CHECK(replies[2].status == 0);
  CHECK(replies[2].transport_error == "TLS certificate verification failed");
  CHECK(replies[3].body.size() == kKeptBody);
  CHECK(log.since(3).size() == 1);
  CHECK(log.since(4).empty());
  CHECK(log.since(10).empty());
}
