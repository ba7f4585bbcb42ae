// Where settings come from: a map for tests, the process environment in production; in
// both an empty value counts as unset.
#include "config/environment.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace erp::config {
namespace {

TEST_CASE("MapEnvironment returns set values and treats empty ones as unset") {
  const MapEnvironment env({{"SET", "value"}, {"EMPTY", ""}});
  CHECK(env.get("SET") == "value");
  CHECK_FALSE(env.get("EMPTY").has_value());
  CHECK_FALSE(env.get("ABSENT").has_value());
  CHECK_FALSE(env.get("set").has_value());  // names are case-sensitive, as in a process
}

TEST_CASE("ProcessEnvironment reads the process environment, empty counting as unset") {
  ::setenv("ERP_ENVIRONMENT_TEST_SET", "value with spaces", 1);
  ::setenv("ERP_ENVIRONMENT_TEST_EMPTY", "", 1);
  ::unsetenv("ERP_ENVIRONMENT_TEST_ABSENT");
  const ProcessEnvironment env;
  CHECK(env.get("ERP_ENVIRONMENT_TEST_SET") == "value with spaces");
  CHECK_FALSE(env.get("ERP_ENVIRONMENT_TEST_EMPTY").has_value());
  CHECK_FALSE(env.get("ERP_ENVIRONMENT_TEST_ABSENT").has_value());
  ::unsetenv("ERP_ENVIRONMENT_TEST_SET");
  ::unsetenv("ERP_ENVIRONMENT_TEST_EMPTY");
}

TEST_CASE("MapEnvironment names its set variables, in order, empty ones left out") {
  const MapEnvironment env({{"B", "2"}, {"A", "1"}, {"EMPTY", ""}});
  CHECK(env.names() == std::vector<std::string>{"A", "B"});
}

TEST_CASE("ProcessEnvironment names exactly the variables get() returns a value for") {
  ::setenv("ERP_ENVIRONMENT_TEST_NAMED", "value", 1);
  ::setenv("ERP_ENVIRONMENT_TEST_EMPTY", "", 1);
  const ProcessEnvironment env;
  const std::vector<std::string> names = env.names();
  CHECK(std::ranges::is_sorted(names));
  CHECK(std::ranges::adjacent_find(names) == names.end());
  CHECK(std::ranges::find(names, "ERP_ENVIRONMENT_TEST_NAMED") != names.end());
  CHECK(std::ranges::find(names, "ERP_ENVIRONMENT_TEST_EMPTY") == names.end());
  for (const std::string& name : names) {
    CAPTURE(name);
    CHECK(env.get(name).has_value());
  }
  ::unsetenv("ERP_ENVIRONMENT_TEST_NAMED");
  ::unsetenv("ERP_ENVIRONMENT_TEST_EMPTY");
  const std::vector<std::string> after = env.names();
  CHECK(std::ranges::find(after, "ERP_ENVIRONMENT_TEST_NAMED") == after.end());
}

}  // namespace
}  // namespace erp::config
