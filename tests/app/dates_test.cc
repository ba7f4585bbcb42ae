#include "app/sets/dates.h"

#include <doctest/doctest.h>

using namespace erp;
using namespace std::chrono;

TEST_CASE("--as-of takes exactly YYYY-MM-DD naming a real calendar date") {
  CHECK(app::parse_date("2026-11-26") == year{2026} / November / day{26});
  CHECK(app::parse_date("2028-02-29") == year{2028} / February / day{29});
  for (const char* bad : {"2026-02-30", "2026-13-01", "2026-11-26x", "2026-1-26", "20261126",
                          "2026/11/26", " 2026-11-26", "", "2026-11-2 "}) {
    CAPTURE(bad);
    CHECK_FALSE(app::parse_date(bad).has_value());
  }
  auto refused = app::parse_as_of("2026-02-30");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == ErrorKind::config);
  CHECK(refused.error().message.find("'2026-02-30'") != std::string::npos);
  CHECK(app::date_text(year{2026} / March / day{1}) == "2026-03-01");
}
