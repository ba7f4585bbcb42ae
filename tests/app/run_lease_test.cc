// The run lease (app/backup/run_lease.h): one set, one run. Against the in-memory store: what is
// written and listed, who refuses whom, the heartbeat and the release.
#include "app/backup/run_lease.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "fakes/fake_object_store.h"
#include "fakes/forwarding_object_store.h"

using namespace erp;
using namespace std::chrono;
using erp::app::LeaseHolder;
using erp::app::RunLease;
using erp::catalog::KeyLayout;
using erp::testing::FakeObjectStore;
using Op = FakeObjectStore::Op;

namespace {

const std::string kId = "20261130T020000Z";
const std::string kToken = "0123456789abcdef0123456789abcdef";
const std::string kOtherToken = "fedcba9876543210fedcba9876543210";
const system_clock::time_point kStarted = sys_days{year{2026} / 11 / 30} + hours{2};

// No real pause between the rounds; the pauses are counted.
app::RunLeaseOptions no_pause(int* pauses = nullptr) {
  return {.retry_pause_min = milliseconds{0},
          .retry_pause_max = milliseconds{0},
          .pause = [pauses](milliseconds) {
            if (pauses) ++*pauses;
          }};
}

LeaseHolder holder() {
  return {.env = "prod", .host = "erp-backup-29411520-x7k2p", .pid = 7, .started = kStarted};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Runs `before_list` once, just before the first listing of the leases (another run acting
// between this run's PUT and its LIST), then lists as usual.
class InterleavingStore final : public testing::ForwardingObjectStore {
 public:
  InterleavingStore(s3::ObjectStore& inner, std::function<void()> before_list)
      : ForwardingObjectStore(inner), before_list_(std::move(before_list)) {}
  Result<s3::ListPage> list_objects_v2(std::string_view prefix, std::string_view token,
                                       std::string_view delimiter, int max_keys) override {
    if (before_list_) std::exchange(before_list_, nullptr)();
    return inner_.list_objects_v2(prefix, token, delimiter, max_keys);
  }

 private:
  std::function<void()> before_list_;
};

// A store whose listings lag: they never show `hidden`.
class LaggingStore final : public testing::ForwardingObjectStore {
 public:
  LaggingStore(s3::ObjectStore& inner, std::string hidden)
      : ForwardingObjectStore(inner), hidden_(std::move(hidden)) {}
  Result<s3::ListPage> list_objects_v2(std::string_view prefix, std::string_view token,
                                       std::string_view delimiter, int max_keys) override {
    auto page = inner_.list_objects_v2(prefix, token, delimiter, max_keys);
    if (page) std::erase_if(page->objects, [&](const auto& o) { return o.key == hidden_; });
    return page;
  }

 private:
  std::string hidden_;
};

}  // namespace

TEST_CASE("alone: the lease is written conditionally, listed, kept, and deleted at release") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const FixedClock clock(kStarted);
  auto lease = RunLease::acquire(store, layout, kId, kToken, holder(), clock, no_pause());
  REQUIRE(lease.has_value());
  const std::string key = layout.lease_key(kId, kToken);
  CHECK((*lease)->key() == key);
  const auto calls = store.calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].op == Op::put_object);
  CHECK(calls[0].key == key);
  CHECK(calls[0].if_absent);
  CHECK(calls[1].op == Op::list_objects_v2);
  CHECK(calls[1].key == "erp/prod/leases/" + kId + "/");
  const std::string body = store.object(key).value();
  CHECK(contains(body, "\"token\":\"" + kToken + "\""));
  CHECK(contains(body, "\"host\":\"erp-backup-29411520-x7k2p\""));
  CHECK(contains(body, "\"started_at\":\"2026-11-30T02:00:00Z\""));
  REQUIRE((*lease)->release().has_value());
  CHECK_FALSE(store.object(key).has_value());
  CHECK((*lease)->release().has_value());  // idempotent
  CHECK(store.count(Op::delete_object) == 1);
}

TEST_CASE("another lease on the set refuses the run, which deletes only its own lease") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const FixedClock clock(kStarted);
  const std::string theirs = layout.lease_key(kId, kOtherToken);
  store.seed(theirs, "{}");
  // A lease of another second is no concern of this run's.
  store.seed(layout.lease_key("20261130T020001Z", kOtherToken), "{}");
  int pauses = 0;
  auto lease = RunLease::acquire(store, layout, kId, kToken, holder(), clock, no_pause(&pauses));
  REQUIRE_FALSE(lease.has_value());
  CHECK(lease.error().kind == ErrorKind::permanent);
  CHECK(lease.error().code == "LeaseTaken");
  CHECK(pauses == 1);  // stepped back once, tried again, refused
  CHECK(store.count(Op::put_object) == 2);
  CHECK(store.count(Op::delete_object) == 2);
  CHECK(contains(lease.error().message, "claimed by another run: " + theirs));
  CHECK(contains(lease.error().message, "nothing was written"));
  CHECK(contains(lease.error().message, "hint:"));
  CHECK_FALSE(store.object(layout.lease_key(kId, kToken)).has_value());
  CHECK(store.object(theirs).has_value());
}

TEST_CASE("a run whose lease appeared between another's PUT and LIST makes that one refuse") {
  // A wrote, B wrote, A lists: A sees B and steps back (deleting its own); B lists alone and
  // goes on, so A's second round sees B again and A refuses. Never both: whoever lists second
  // sees the other's lease.
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const FixedClock clock(kStarted);
  InterleavingStore a_view(store, [&] {
    REQUIRE(
        store.put_object(layout.lease_key(kId, kOtherToken), std::string_view("{}")).has_value());
  });
  auto a = RunLease::acquire(a_view, layout, kId, kToken, holder(), clock, no_pause());
  REQUIRE_FALSE(a.has_value());
  CHECK(a.error().code == "LeaseTaken");
  // B's listing now shows B alone: B goes on.
  auto b_listing = store.list_objects_v2(layout.lease_prefix(kId), "", "", 0);
  REQUIRE(b_listing.has_value());
  REQUIRE(b_listing->objects.size() == 1);
  CHECK(b_listing->objects[0].key == layout.lease_key(kId, kOtherToken));
}

TEST_CASE("two runs that saw each other both step back; the first to list again goes on") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const FixedClock clock(kStarted);
  const std::string b_key = layout.lease_key(kId, kOtherToken);
  // B wrote before A listed, and (B having seen A as well) B steps back during A's pause and
  // pauses longer: A's second round lists alone.
  InterleavingStore a_view(
      store, [&] { REQUIRE(store.put_object(b_key, std::string_view("{}")).has_value()); });
  app::RunLeaseOptions options = no_pause();
  options.pause = [&](milliseconds) { REQUIRE(store.delete_object(b_key).has_value()); };
  auto a = RunLease::acquire(a_view, layout, kId, kToken, holder(), clock, options);
  REQUIRE(a.has_value());
  CHECK(store.object((*a)->key()).has_value());
  // B's second round: A's lease is there, so B refuses.
  auto b = RunLease::acquire(store, layout, kId, kOtherToken, holder(), clock, no_pause());
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().code == "LeaseTaken");
  CHECK_FALSE(store.object(b_key).has_value());
}

TEST_CASE("the pause between the rounds is random within its bounds") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const FixedClock clock(kStarted);
  store.seed(layout.lease_key(kId, kOtherToken), "{}");
  std::vector<milliseconds> pauses;
  for (int i = 0; i < 20; ++i) {
    auto lease = RunLease::acquire(store, layout, kId, kToken, holder(), clock,
                                   {.pause = [&](milliseconds d) { pauses.push_back(d); }});
    REQUIRE_FALSE(lease.has_value());
  }
  REQUIRE(pauses.size() == 20);
  for (const milliseconds pause : pauses) {
    CHECK(pause >= milliseconds{100});
    CHECK(pause <= milliseconds{1000});
  }
  CHECK(std::ranges::any_of(pauses, [&](milliseconds p) { return p != pauses.front(); }));
}

TEST_CASE("two runs acquiring one after the other: the second refuses while the first holds") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const FixedClock clock(kStarted);
  auto first = RunLease::acquire(store, layout, kId, kToken, holder(), clock, no_pause());
  REQUIRE(first.has_value());
  auto second = RunLease::acquire(store, layout, kId, kOtherToken, holder(), clock, no_pause());
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code == "LeaseTaken");
  CHECK(store.object((*first)->key()).has_value());  // the holder's lease is untouched
}

TEST_CASE("a listing that does not show the own lease refuses the run") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const FixedClock clock(kStarted);
  LaggingStore lagging(store, layout.lease_key(kId, kToken));
  auto lease = RunLease::acquire(lagging, layout, kId, kToken, holder(), clock, no_pause());
  REQUIRE_FALSE(lease.has_value());
  CHECK(lease.error().code == "LeaseNotListed");
  CHECK(contains(lease.error().message, "listings lag behind its writes"));
  CHECK_FALSE(store.object(layout.lease_key(kId, kToken)).has_value());
}

TEST_CASE("a failed PUT or listing refuses the run and leaves no lease") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  const FixedClock clock(kStarted);
  SUBCASE("PUT") {
    store.inject_failure({.op = Op::put_object, .error = {ErrorKind::permanent, "AccessDenied"}});
    auto lease = RunLease::acquire(store, layout, kId, kToken, holder(), clock, no_pause());
    REQUIRE_FALSE(lease.has_value());
    CHECK(contains(lease.error().message, "AccessDenied"));
    CHECK(contains(lease.error().message, "writing the lease"));
    CHECK(store.count(Op::list_objects_v2) == 0);
  }
  SUBCASE("LIST") {
    store.inject_failure(
        {.op = Op::list_objects_v2, .error = {ErrorKind::transient, "503 after 7 attempts"}});
    auto lease = RunLease::acquire(store, layout, kId, kToken, holder(), clock, no_pause());
    REQUIRE_FALSE(lease.has_value());
    CHECK(contains(lease.error().message, "503 after 7 attempts"));
  }
  CHECK(store.keys().empty());
}

TEST_CASE("the heartbeat re-writes the lease until release, which stops it first") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  FixedClock clock(kStarted);
  std::atomic<int> renewed{0};
  auto lease =
      RunLease::acquire(store, layout, kId, kToken, holder(), clock,
                        {.heartbeat = milliseconds{2}, .on_renewed = [&](const Result<void>& r) {
                           if (r) ++renewed;
                         }});
  REQUIRE(lease.has_value());
  (*lease)->start_heartbeat();
  const auto deadline = steady_clock::now() + seconds{20};
  while (renewed.load() < 3 && steady_clock::now() < deadline) std::this_thread::yield();
  REQUIRE(renewed.load() >= 3);
  REQUIRE((*lease)->release().has_value());
  const int puts = store.count(Op::put_object);
  CHECK(puts == 1 + (*lease)->renewals());
  CHECK_FALSE(store.object((*lease)->key()).has_value());  // no renewal after the delete
  CHECK(store.calls().back().op == Op::delete_object);
}

TEST_CASE("a renewal records when it was made; destroying the lease releases it") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  FixedClock clock(kStarted);
  std::string key;
  {
    auto lease = RunLease::acquire(store, layout, kId, kToken, holder(), clock, no_pause());
    REQUIRE(lease.has_value());
    key = (*lease)->key();
    clock.advance(minutes{2});
    REQUIRE((*lease)->renew().has_value());
    CHECK(contains(store.object(key).value(), "\"renewed_at\":\"2026-11-30T02:02:00Z\""));
  }
  CHECK_FALSE(store.object(key).has_value());
}

TEST_CASE("a lease is fresh for ten minutes after its last write") {
  const auto written = kStarted;
  CHECK(app::lease_is_fresh(written, written));
  CHECK(app::lease_is_fresh(written, written + minutes{10}));
  CHECK_FALSE(app::lease_is_fresh(written, written + minutes{10} + seconds{1}));
  CHECK(app::lease_is_fresh(written, written - hours{1}));  // written "in the future": skew
  CHECK(app::kLeaseHeartbeat * 5 == app::kLeaseStaleAfter);
}

TEST_CASE("run tokens are 32 lowercase hex digits and differ") {
  auto a = app::new_run_token();
  auto b = app::new_run_token();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->size() == 32);
  CHECK(*a != *b);
  CHECK(KeyLayout("erp", "prod").parse(KeyLayout("erp", "prod").lease_key(kId, *a)).has_value());
}
