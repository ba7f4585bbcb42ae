// Secret: move-only, the value reachable only through reveal(), nothing left behind in a
// moved-from Secret.
#include "core/secret.h"

#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <utility>

namespace erp {
namespace {

// One that fits the small-string buffer and one that lives on the heap: moving them
// takes different paths inside std::string.
const std::string kShort = "s3cr3t";
const std::string kLong = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY-and-then-some-more";

static_assert(!std::is_copy_constructible_v<Secret>, "a Secret is never copied");
static_assert(!std::is_copy_assignable_v<Secret>, "a Secret is never copied");
static_assert(std::is_nothrow_move_constructible_v<Secret>);
static_assert(std::is_nothrow_move_assignable_v<Secret>);
static_assert(!std::is_convertible_v<std::string, Secret>, "only explicitly made from a string");

TEST_CASE("a default Secret is empty and reveals nothing") {
  const Secret secret;
  CHECK(secret.empty());
  CHECK(secret.reveal().empty());
}

TEST_CASE("reveal() gives back exactly the value, embedded NULs included") {
  for (const std::string& value : {kShort, kLong, std::string("a\0b", 3)}) {
    const Secret secret(value);
    CHECK_FALSE(secret.empty());
    CHECK(secret.reveal() == value);
  }
}

TEST_CASE("moving a Secret carries the value and leaves the source empty") {
  for (const std::string& value : {kShort, kLong}) {
    CAPTURE(value.size());
    Secret source(value);
    const Secret target(std::move(source));
    CHECK(target.reveal() == value);
    CHECK(source.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the spec
    CHECK(source.reveal().empty());
  }
}

TEST_CASE("move-assigning replaces the old value and empties the source") {
  for (const std::string& value : {kShort, kLong}) {
    CAPTURE(value.size());
    Secret source(value);
    Secret target("old value that must go");
    target = std::move(source);
    CHECK(target.reveal() == value);
    CHECK(source.empty());  // NOLINT(bugprone-use-after-move)
  }
}

TEST_CASE("a moved-from Secret can be given a new value") {
  Secret source(kLong);
  Secret target(std::move(source));
  source = Secret(kShort);  // NOLINT(bugprone-use-after-move)
  CHECK(source.reveal() == kShort);
  CHECK(target.reveal() == kLong);
}

TEST_CASE("self-move-assignment keeps the value") {
  Secret secret(kLong);
  Secret& alias = secret;
  secret = std::move(alias);
  CHECK(secret.reveal() == kLong);
}

TEST_CASE("the redacted form is what logs and errors show") {
  CHECK(Secret::kRedacted == "<redacted>");
}

}  // namespace
}  // namespace erp
