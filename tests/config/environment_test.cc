// Where settings come from: a map for tests, the process environment in production; in
// both an empty value counts as unset.
#include "config/environment.h"

#include <doctest/doctest.h>

#include <cstdlib>

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

}  // namespace
}  // namespace erp::config
