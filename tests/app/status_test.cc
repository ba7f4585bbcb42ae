// How `status` judges each stream's last success (app/status.h).
#include "app/status.h"

#include <doctest/doctest.h>

namespace erp::app {
namespace {

using namespace std::chrono_literals;
using catalog::Stream;
using catalog::StreamSet;

const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 30} + 12h;

catalog::StreamSuccess success(std::string finished_at) {
  return {"20261130T020000Z", std::move(finished_at), "erp/prod/manifests/20261130T020000Z.json"};
}

}  // namespace

TEST_CASE("status: fresh within max-age, stale past it, never when absent") {
  catalog::LastSuccess last;
  last.db = success("2026-11-30T02:00:00Z");    // 10 h ago
  last.docs = success("2026-11-28T12:00:00Z");  // 48 h ago
  const auto lines = judge_streams(last, StreamSet::both(), kNow, 26h);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].stream == Stream::db);
  CHECK(lines[0].fresh);
  CHECK(lines[0].age == std::chrono::seconds{10 * 3600});
  CHECK(lines[1].stream == Stream::docs);
  CHECK_FALSE(lines[1].fresh);
  CHECK(lines[1].age == std::chrono::seconds{48 * 3600});
  // Exactly max-age old is still fresh; one second more is not.
  last.docs = success("2026-11-29T10:00:00Z");
  CHECK(judge_streams(last, StreamSet::both(), kNow, 26h)[1].fresh);
  last.docs = success("2026-11-29T09:59:59Z");
  CHECK_FALSE(judge_streams(last, StreamSet::both(), kNow, 26h)[1].fresh);
  // A shorter max-age makes the db stale too.
  CHECK_FALSE(judge_streams(last, StreamSet::both(), kNow, 9h)[0].fresh);
}

TEST_CASE("status: a stream that never succeeded is stale; only expected streams count") {
  catalog::LastSuccess last;
  last.docs = success("2026-11-30T02:00:00Z");
  const auto both = judge_streams(last, StreamSet::both(), kNow, 26h);
  REQUIRE(both.size() == 2);
  CHECK_FALSE(both[0].last.has_value());  // db: never
  CHECK_FALSE(both[0].fresh);
  CHECK(both[1].fresh);
  const auto docs_only = judge_streams(last, StreamSet::only(Stream::docs), kNow, 26h);
  REQUIRE(docs_only.size() == 1);
  CHECK(docs_only[0].fresh);
  // An unparseable time is never fresh.
  last.docs = success("yesterday");
  CHECK_FALSE(judge_streams(last, StreamSet::only(Stream::docs), kNow, 26h)[0].fresh);
}

}  // namespace erp::app
