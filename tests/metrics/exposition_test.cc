// The Prometheus text format writer (metrics/exposition.h) and the sample reader used for the
// textfile carry-over (metrics/textfile.h parse_samples).
#include "metrics/exposition.h"

#include <doctest/doctest.h>

#include <cmath>

#include "metrics/textfile.h"

namespace erp::metrics {
namespace {

TEST_CASE("a family renders HELP, TYPE and its samples, labels sorted by name") {
  Registry registry;
  REQUIRE(
      registry.declare("erp_backup_stream_bytes", MetricType::gauge, "Stored bytes.").has_value());
  REQUIRE(
      registry.set("erp_backup_stream_bytes", {{"stream", "db"}, {"command", "backup"}}, 15318737)
          .has_value());
  CHECK(registry.render() ==
        "# HELP erp_backup_stream_bytes Stored bytes.\n"
        "# TYPE erp_backup_stream_bytes gauge\n"
        "erp_backup_stream_bytes{command=\"backup\",stream=\"db\"} 15318737\n");
}

TEST_CASE("families are sorted by name and samples by label set, whatever the insertion order") {
  Registry registry;
  REQUIRE(registry.declare("zeta", MetricType::gauge, "z").has_value());
  REQUIRE(registry.declare("alpha_total", MetricType::counter, "a").has_value());
  REQUIRE(registry.set("zeta", {{"stream", "docs"}}, 2).has_value());
  REQUIRE(registry.set("zeta", {{"stream", "db"}}, 1).has_value());
  REQUIRE(registry.set("alpha_total", {}, 3).has_value());
  CHECK(registry.render() ==
        "# HELP alpha_total a\n# TYPE alpha_total counter\nalpha_total 3\n"
        "# HELP zeta z\n# TYPE zeta gauge\nzeta{stream=\"db\"} 1\nzeta{stream=\"docs\"} 2\n");
}

TEST_CASE("setting the same label set again replaces the value") {
  Registry registry;
  REQUIRE(registry.declare("g", MetricType::gauge, "h").has_value());
  REQUIRE(registry.set("g", {{"a", "1"}}, 1).has_value());
  REQUIRE(registry.set("g", {{"a", "1"}}, 5).has_value());
  CHECK(registry.render() == "# HELP g h\n# TYPE g gauge\ng{a=\"1\"} 5\n");
}

TEST_CASE("a family without samples is left out, and an empty registry renders nothing") {
  Registry registry;
  REQUIRE(registry.declare("g", MetricType::gauge, "h").has_value());
  CHECK(registry.empty());
  CHECK(registry.render().empty());
}

TEST_CASE("label values escape backslash, quote and newline; HELP escapes backslash and newline") {
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(escape_label_value("restore db/é") == "restore db/é");
  CHECK(escape_help("x\\y\nz \"q\"") == "x\\\\y\\nz \"q\"");
  Registry registry;
  REQUIRE(registry.declare("g", MetricType::gauge, "line one\nline two").has_value());
  REQUIRE(registry.set("g", {{"path", "C:\\x \"y\"\n"}}, 1).has_value());
  CHECK(registry.render() ==
        "# HELP g line one\\nline two\n# TYPE g gauge\ng{path=\"C:\\\\x \\\"y\\\"\\n\"} 1\n");
}

TEST_CASE("values print as the shortest exact decimal, with the format's special values") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(1796060976) == "1796060976");
  CHECK(format_value(1796060976.25) == "1796060976.25");
  CHECK(format_value(0.5) == "0.5");
  CHECK(format_value(-3) == "-3");
  CHECK(format_value(9007199254740992.0) == "9007199254740992");
  CHECK(format_value(std::nan("")) == "NaN");
  CHECK(format_value(HUGE_VAL) == "+Inf");
  CHECK(format_value(-HUGE_VAL) == "-Inf");
}

TEST_CASE("invalid metric and label names, undeclared families and repeats are refused") {
  CHECK(valid_metric_name("erp_backup:x_1"));
  CHECK_FALSE(valid_metric_name("1abc"));
  CHECK_FALSE(valid_metric_name("erp-backup"));
  CHECK_FALSE(valid_metric_name(""));
  CHECK(valid_label_name("stream"));
  CHECK_FALSE(valid_label_name("__name__"));
  CHECK_FALSE(valid_label_name("a:b"));
  CHECK_FALSE(valid_label_name("9x"));

  Registry registry;
  CHECK_FALSE(registry.declare("bad-name", MetricType::gauge, "h").has_value());
  REQUIRE(registry.declare("g", MetricType::gauge, "h").has_value());
  CHECK_FALSE(registry.declare("g", MetricType::counter, "h").has_value());
  CHECK_FALSE(registry.set("undeclared", {}, 1).has_value());
  CHECK_FALSE(registry.set("g", {{"bad-label", "x"}}, 1).has_value());
  CHECK_FALSE(registry.set("g", {{"a", "x"}, {"a", "y"}}, 1).has_value());
  CHECK(registry.empty());
}

TEST_CASE(
    "parse_samples reads back what render wrote, escapes included, and skips other families") {
  Registry registry;
  REQUIRE(registry.declare("erp_x", MetricType::gauge, "h").has_value());
  REQUIRE(registry.declare("erp_x_longer", MetricType::gauge, "h").has_value());
  REQUIRE(registry.set("erp_x", {{"stream", "db"}}, 1796060976).has_value());
  REQUIRE(registry.set("erp_x", {{"stream", "a\"b\\c\nd"}}, 0.5).has_value());
  REQUIRE(registry.set("erp_x_longer", {}, 7).has_value());
  const auto samples = parse_samples(registry.render(), "erp_x");
  REQUIRE(samples.has_value());
  REQUIRE(samples->size() == 2);
  CHECK((*samples)[0].labels == std::vector<Label>{{"stream", "a\"b\\c\nd"}});
  CHECK((*samples)[0].value == 0.5);
  CHECK((*samples)[1].labels == std::vector<Label>{{"stream", "db"}});
  CHECK((*samples)[1].value == 1796060976);
}

TEST_CASE("parse_samples takes an unlabelled sample with a timestamp and refuses a broken line") {
  const auto plain = parse_samples("# TYPE m gauge\nm 12 1700000000000\n", "m");
  REQUIRE(plain.has_value());
  REQUIRE(plain->size() == 1);
  CHECK(plain->front().value == 12);
  CHECK_FALSE(parse_samples("m{stream=\"db} 1\n", "m").has_value());
  CHECK_FALSE(parse_samples("m{stream=\"db\"} one\n", "m").has_value());
  CHECK_FALSE(parse_samples("m{stream=\"d\\qb\"} 1\n", "m").has_value());
}

}  // namespace
}  // namespace erp::metrics
