#include "catalog/drill_evidence.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace erp::catalog;

namespace {

DrillEvidence full_evidence() {
  DrillEvidence e;
  e.set_id = "20261126T020000Z";
  e.drilled_at = "2026-11-29T03:00:00Z";
  e.finished_at = "2026-11-29T03:04:30Z";
  e.passed = false;
  e.target = "embedded";
  e.jobs = 2;
  e.tool_version = "0.1.0";
  e.host = "drill-abc";
  e.pg_restore_version = "15.18";
  e.target_server_version = "15.18";
  e.source_server_version = "15.17";
  e.row_count_method = "exact";
  e.tables_compared = 312;
  e.docs_compared = true;
  e.dump_bytes = 123456789;
  e.docs_bytes = 98765;
  e.mismatches = {{"rows public.llx_societe", "12", "0", true},
                  {"rows public.llx_log", "~100", "97", false}};
  e.problems = {"pg_restore: warning: errors ignored on restore: 1"};
  e.download_seconds = 1.5;
  e.restore_seconds = 200.25;
  e.docs_seconds = 30;
  e.check_seconds = 38.75;
  e.total_seconds = 270.5;
  return e;
}

}  // namespace

TEST_CASE("drill evidence round-trips through its JSON") {
  const DrillEvidence e = full_evidence();
  const auto parsed = parse_drill_evidence(to_json(e));
  REQUIRE(parsed);
  CHECK(parsed->format_version == kDrillEvidenceFormatVersion);
  CHECK(parsed->set_id == e.set_id);
  CHECK(parsed->drilled_at == e.drilled_at);
  CHECK(parsed->finished_at == e.finished_at);
  CHECK(parsed->passed == false);
  CHECK(parsed->target == "embedded");
  CHECK(parsed->jobs == 2);
  CHECK(parsed->tool_version == "0.1.0");
  CHECK(parsed->host == "drill-abc");
  CHECK(parsed->pg_restore_version == "15.18");
  CHECK(parsed->target_server_version == "15.18");
  CHECK(parsed->source_server_version == "15.17");
  CHECK(parsed->row_count_method == "exact");
  CHECK(parsed->tables_compared == 312);
  CHECK(parsed->docs_compared);
  CHECK(parsed->dump_bytes == 123456789);
  CHECK(parsed->docs_bytes == 98765);
  REQUIRE(parsed->mismatches.size() == 2);
  CHECK(parsed->mismatches[0].what == "rows public.llx_societe");
  CHECK(parsed->mismatches[0].expected == "12");
  CHECK(parsed->mismatches[0].found == "0");
  CHECK(parsed->mismatches[0].failing);
  CHECK_FALSE(parsed->mismatches[1].failing);
  CHECK(parsed->mismatches_omitted == 0);
  CHECK(parsed->problems == e.problems);
  CHECK(parsed->download_seconds == 1.5);
  CHECK(parsed->restore_seconds == 200.25);
  CHECK(parsed->docs_seconds == 30);
  CHECK(parsed->check_seconds == 38.75);
  CHECK(parsed->total_seconds == 270.5);
}

TEST_CASE("drill evidence lists at most kMaxListedMismatches mismatches and counts the rest") {
  DrillEvidence e = full_evidence();
  e.mismatches.assign(kMaxListedMismatches + 5, DrillCheck{"rows public.t", "1", "0", true});
  e.mismatches_omitted = 3;  // already cut by the writer: still counted
  const std::string json = to_json(e);
  CHECK(json.size() < kMaxDrillEvidenceBytes);
  const auto parsed = parse_drill_evidence(json);
  REQUIRE(parsed);
  CHECK(parsed->mismatches.size() == kMaxListedMismatches);
  CHECK(parsed->mismatches_omitted == 8);
}

TEST_CASE("drill evidence: tampered, oversized, too deep or mistyped objects are refused") {
  auto refused = [](const std::string& text) {
    const auto parsed = parse_drill_evidence(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind == erp::ErrorKind::corrupt);
    CHECK(parsed.error().message.find("drill evidence is not valid") != std::string::npos);
    return parsed.error().message;
  };
  const auto good = nlohmann::ordered_json::parse(to_json(full_evidence()));
  auto with = [&](const char* member, nlohmann::ordered_json value) {
    auto copy = good;
    copy[member] = std::move(value);
    return copy.dump();
  };
  auto without = [&](const char* member) {
    auto copy = good;
    copy.erase(member);
    return copy.dump();
  };

  SUBCASE("not JSON, or not an object") {
    refused("{\"set_id\": ");
    refused("[1, 2]");
  }
  SUBCASE("an unknown format version") {
    CHECK(refused(with("format_version", 2)).find("format_version 2") != std::string::npos);
  }
  SUBCASE("the fields status relies on, missing or mistyped") {
    refused(without("set_id"));
    refused(without("passed"));
    refused(without("seconds"));
    refused(with("passed", "yes"));
    refused(with("set_id", 20261126));
    refused(with("seconds", 270.5));
    refused(with("dump_bytes", "many"));
    refused(with("dump_bytes", -1));
    refused(with("mismatches", "none"));
    refused(with("mismatches", nlohmann::ordered_json::array({"rows"})));
    refused(with("problems", nlohmann::ordered_json::array({1})));
    auto copy = good;
    copy["seconds"]["total"] = -1;
    refused(copy.dump());
  }
  SUBCASE("larger than kMaxDrillEvidenceBytes, before parsing") {
    const std::string big = with("host", std::string(kMaxDrillEvidenceBytes, 'x'));
    CHECK(refused(big).find("more than the") != std::string::npos);
  }
  SUBCASE("nested deeper than a drill evidence ever is") {
    std::string deep = std::string(10000, '[') + std::string(10000, ']');
    CHECK(refused(with("problems",
                       nlohmann::ordered_json::parse(std::string(20, '[') + std::string(20, ']'))))
              .find("nested deeper") != std::string::npos);
    CHECK(refused(deep).find("nested deeper") != std::string::npos);
  }
}
