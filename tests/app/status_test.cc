// How `status` judges each stream's last success (app/sets/status.h).
#include "app/sets/status.h"

#include <functional>

#include <doctest/doctest.h>

#include "app/retention_seed.h"

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
  CHECK(judge_streams(last, StreamSet::only(Stream::docs), kNow, 26h)[0].problem.find(
            "is not a time") != std::string::npos);
}

TEST_CASE("status: a last success in the future is an error, beyond 10 minutes of clock skew") {
  // Issue 17: `finished_at: 2099-...` gave ok, exit 0, until 2099.
  catalog::LastSuccess last;
  last.db = success("2099-01-01T00:00:00Z");
  last.docs = success("2026-11-30T12:10:00Z");  // exactly the skew ahead: a clock, not a lie
  const auto lines = judge_streams(last, StreamSet::both(), kNow, 26h);
  CHECK_FALSE(lines[0].fresh);
  CHECK_FALSE(lines[0].age.has_value());
  CHECK(lines[0].problem.find("\"2099-01-01T00:00:00Z\"") != std::string::npos);
  CHECK(lines[0].problem.find("is in the future: now is 2026-11-30T12:00:00Z") !=
        std::string::npos);
  CHECK(lines[1].fresh);
  CHECK(lines[1].age == std::chrono::seconds{0});  // never younger than now
  last.docs = success("2026-11-30T12:10:01Z");
  CHECK_FALSE(judge_streams(last, StreamSet::both(), kNow, 26h)[1].fresh);
}

namespace {

using testing::FakeObjectStore;
using testing::SeedManifest;

constexpr const char* kId = "20261130T020000Z";
const catalog::KeyLayout kLayout("erp", "prod");

// The lines `status` would judge for a set seeded as `backup` writes it (seed_set's manifest
// finished at 2026-01-01T00:01:00Z: max-age is made long enough to be fresh).
std::vector<StreamStatusLine> lines_for(const catalog::LastSuccess& last) {
  return judge_streams(last, StreamSet::both(), kNow, std::chrono::hours{24 * 365});
}
catalog::LastSuccess recorded(std::string id = kId) {
  catalog::LastSuccess last;
  for (Stream stream : catalog::kStreams)
    last = catalog::record(last, stream, id, "2026-01-01T00:01:00Z", kLayout.manifest_key(id));
  return last;
}

}  // namespace

TEST_CASE("status: the recorded success must be backed by its manifest and objects") {
  FakeObjectStore store;
  testing::seed_set(store, kLayout, kId);
  auto good = lines_for(recorded());
  REQUIRE(check_manifests(store, kLayout, good).has_value());
  CHECK(good[0].fresh);
  CHECK(good[1].fresh);
  CHECK(good[0].problem.empty());

  struct Case {
    const char* name;
    std::function<void(FakeObjectStore&, catalog::LastSuccess&)> damage;
    const char* why;  // in the db line's problem
  };
  const Case cases[] = {
      {"the manifest is gone",
       [](FakeObjectStore& s, catalog::LastSuccess&) {
         (void)s.delete_object(kLayout.manifest_key(kId));
       },
       "manifests/20261130T020000Z.json does not exist"},
      {"another env's manifest is named",
       [](FakeObjectStore&, catalog::LastSuccess& l) {
         l.db->manifest = "erp/sandbox/manifests/20261130T020000Z.json";
       },
       "names manifest erp/sandbox/manifests/20261130T020000Z.json, not "
       "erp/prod/manifests/20261130T020000Z.json"},
      {"the manifest says db failed",
       [](FakeObjectStore& s, catalog::LastSuccess&) {
         testing::seed_set(s, kLayout, kId, SeedManifest::docs_only);
       },
       "does not record the db stream as committed"},
      {"the manifest finished at another time",
       [](FakeObjectStore&, catalog::LastSuccess& l) {
         l.db->finished_at = "2026-11-30T02:00:00Z";
       },
       "says the set finished at 2026-01-01T00:01:00Z"},
      {"the dump is gone",
       [](FakeObjectStore& s, catalog::LastSuccess&) {
         (void)s.delete_object(kLayout.db_key(kId));
       },
       "db/20261130T020000Z.dump does not exist"},
      {"the dump has another size",
       [](FakeObjectStore& s, catalog::LastSuccess&) { s.seed(kLayout.db_key(kId), "x"); },
       "has 1 bytes, the manifest says 21"},
      {"the manifest names another env's dump",
       [](FakeObjectStore& s, catalog::LastSuccess&) {
         std::string text = s.object(kLayout.manifest_key(kId)).value();
         text.replace(text.find("erp/prod/db/"), 12, "erp/sandbox/db/");
         s.seed(kLayout.manifest_key(kId), text);
       },
       "which is not this set's"},
      {"the manifest is too large",
       [](FakeObjectStore& s, catalog::LastSuccess&) {
         s.seed(kLayout.manifest_key(kId), std::string(catalog::kMaxManifestBytes + 1, ' '));
       },
       "larger than 262144 bytes"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    FakeObjectStore damaged;
    testing::seed_set(damaged, kLayout, kId);
    catalog::LastSuccess last = recorded();
    c.damage(damaged, last);
    auto lines = lines_for(last);
    REQUIRE(check_manifests(damaged, kLayout, lines).has_value());
    CHECK_FALSE(lines[0].fresh);
    CHECK(lines[0].problem.find(c.why) != std::string::npos);
    CHECK(lines[0].problem.find("last-success.json: db (set 20261130T020000Z") !=
          std::string::npos);
  }
}

TEST_CASE("status: a store that cannot be read is an error, not a verdict") {
  FakeObjectStore store;
  testing::seed_set(store, kLayout, kId);
  store.inject_failure({.op = FakeObjectStore::Op::get_object,
                        .error = {ErrorKind::transient, "SlowDown"},
                        .times = -1});
  auto lines = lines_for(recorded());
  const auto checked = check_manifests(store, kLayout, lines);
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().kind == ErrorKind::transient);
  CHECK(checked.error().message.find("manifests/20261130T020000Z.json") != std::string::npos);
}

}  // namespace erp::app
