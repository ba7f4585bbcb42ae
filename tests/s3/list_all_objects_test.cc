// s3::list_all_objects: every page followed, the store's error passed on, and a continuation
// token the store already gave refused instead of listing forever.
#include "s3/list_all_objects.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fakes/fake_object_store.h"
#include "fakes/forwarding_object_store.h"

using namespace erp;

namespace {

// Pages the inner store's listing two keys at a time; the token is the index of the next key.
// With `repeat_after_first_page`, every page after the first names the first page's token again.
class TwoKeyPages : public testing::ForwardingObjectStore {
 public:
  using ForwardingObjectStore::ForwardingObjectStore;
  bool repeat_after_first_page = false;
  int calls = 0;

  Result<s3::ListPage> list_objects_v2(std::string_view prefix, std::string_view token,
                                       std::string_view delimiter, int max_keys) override {
    ++calls;
    auto all = ForwardingObjectStore::list_objects_v2(prefix, "", delimiter, max_keys);
    if (!all) return all;
    const std::size_t start = token.empty() ? 0 : std::stoul(std::string(token));
    s3::ListPage page;
    for (std::size_t i = start; i < all->objects.size() && i < start + 2; ++i)
      page.objects.push_back(all->objects[i]);
    if (start + 2 < all->objects.size())
      page.next_continuation_token = repeat_after_first_page ? "2" : std::to_string(start + 2);
    return page;
  }
};

}  // namespace

TEST_CASE("list_all_objects follows every page under the prefix, in order") {
  testing::FakeObjectStore fake;
  for (const char* key : {"p/a", "p/b", "p/c", "p/d", "p/e", "q/other"}) fake.seed(key, "x");
  TwoKeyPages store(fake);
  auto listed = s3::list_all_objects(store, "p/");
  REQUIRE(listed);
  std::vector<std::string> keys;
  for (const s3::ObjectInfo& object : *listed) keys.push_back(object.key);
  CHECK(keys == std::vector<std::string>{"p/a", "p/b", "p/c", "p/d", "p/e"});
  CHECK(store.calls == 3);
}

TEST_CASE("list_all_objects refuses a continuation token the store already gave") {
  testing::FakeObjectStore fake;
  for (const char* key : {"p/a", "p/b", "p/c", "p/d", "p/e", "p/f", "p/g"}) fake.seed(key, "x");
  TwoKeyPages store(fake);
  store.repeat_after_first_page = true;
  auto listed = s3::list_all_objects(store, "p/");
  REQUIRE_FALSE(listed);
  CHECK(listed.error().kind == ErrorKind::corrupt);
  CHECK(listed.error().message.find("repeated the continuation token '2'") != std::string::npos);
  CHECK(store.calls == 2);
}
