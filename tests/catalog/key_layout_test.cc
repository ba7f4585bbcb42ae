#include "catalog/key_layout.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using erp::catalog::DbCompression;
using erp::catalog::KeyLayout;
using erp::catalog::ObjectKind;

TEST_CASE("keys are spelled as SPEC §4 says") {
  const KeyLayout layout("erp", "prod");
  CHECK(layout.env_prefix() == "erp/prod/");
  CHECK(layout.db_key("20261126T020000Z") == "erp/prod/db/20261126T020000Z.dump");
  CHECK(layout.db_key("20261126T020000Z", DbCompression::pg_dump) ==
        "erp/prod/db/20261126T020000Z.dump");
  CHECK(layout.db_key("20261126T020000Z", DbCompression::zstd) ==
        "erp/prod/db/20261126T020000Z.dump.zst");
  CHECK(layout.docs_key("20261126T020000Z") == "erp/prod/docs/20261126T020000Z.tar.zst");
  CHECK(layout.manifest_key("20261126T020000Z") == "erp/prod/manifests/20261126T020000Z.json");
  CHECK(layout.last_success_key() == "erp/prod/last-success.json");
  CHECK(KeyLayout("backups/erp", "sandbox").db_key("20261126T020000Z") ==
        "backups/erp/sandbox/db/20261126T020000Z.dump");
}

TEST_CASE("every key the layout makes parses back to its kind and ID") {
  const KeyLayout layout("erp", "prod");
  const std::string id = "20240229T235959Z";
  struct Case {
    std::string key;
    ObjectKind kind;
  };
  for (const Case& c : {Case{layout.db_key(id), ObjectKind::db_dump},
                        Case{layout.db_key(id, DbCompression::zstd), ObjectKind::db_dump},
                        Case{layout.docs_key(id), ObjectKind::docs_archive},
                        Case{layout.manifest_key(id), ObjectKind::manifest}}) {
    CAPTURE(c.key);
    const auto parsed = layout.parse(c.key);
    REQUIRE(parsed.has_value());
    CHECK(parsed->kind == c.kind);
    CHECK(parsed->id == id);
  }
  const auto last = layout.parse(layout.last_success_key());
  REQUIRE(last.has_value());
  CHECK(last->kind == ObjectKind::last_success);
}

TEST_CASE("foreign keys, other envs and malformed IDs are not the tool's") {
  const KeyLayout layout("erp", "prod");
  for (const char* key : {
           "erp/prod-old/db/20261126T020000Z.dump",      // another env sharing a prefix
           "erp/sandbox/db/20261126T020000Z.dump",       // another env
           "erp/prod/db/20261126t020000z.dump",          // lower case
           "erp/prod/db/20261126T020000Z.dump.bak",      // wrong suffix
           "erp/prod/db/20261126T020000Z.dump.gz",       // a compression the tool never writes
           "erp/prod/db/20261126T020000Z.zst",           // half a suffix
           "erp/prod/db/20261126T020000Z.dump.zst.zst",  // twice
           "erp/prod/db/x/20261126T020000Z.dump",        // nested
           "erp/prod/db/20261131T020000Z.dump",          // no such date
           "erp/prod/docs/20261126T020000Z.tar.gz",      // other compression
           "erp/prod/manifests/20261126T020000Z.json~",  // editor backup
           "erp/prod/notes.txt",
           "erp/prod/",
           "erp/prod/db/.dump",
           "other/prod/db/20261126T020000Z.dump",
       }) {
    CAPTURE(key);
    CHECK_FALSE(layout.parse(key).has_value());
  }
}

TEST_CASE("lease keys: spelled under leases/<ID>/, parsed with their ID and run token") {
  const KeyLayout layout("erp", "prod");
  const std::string token = "0123456789abcdef0123456789abcdef";
  CHECK(layout.lease_prefix() == "erp/prod/leases/");
  CHECK(layout.lease_prefix("20261126T020000Z") == "erp/prod/leases/20261126T020000Z/");
  CHECK(layout.lease_key("20261126T020000Z", token) ==
        "erp/prod/leases/20261126T020000Z/" + token + ".json");
  const auto parsed = layout.parse(layout.lease_key("20261126T020000Z", token));
  REQUIRE(parsed.has_value());
  CHECK(parsed->kind == ObjectKind::lease);
  CHECK(parsed->id == "20261126T020000Z");
  CHECK(parsed->token == token);
  for (const std::string& key : std::vector<std::string>{
           "erp/prod/leases/20261126T020000Z/0123456789ABCDEF0123456789ABCDEF.json",  // upper
           "erp/prod/leases/20261126T020000Z/0123456789abcdef0123456789abcde.json",   // short
           "erp/prod/leases/20261126T020000Z/" + token + ".json.bak",
           "erp/prod/leases/20261126T020000Z/" + token,
           "erp/prod/leases/20261126T020000Z/x/" + token + ".json",
           "erp/prod/leases/20261131T020000Z/" + token + ".json",  // no such date
           "erp/prod/leases/" + token + ".json",
           std::string("erp/prod/leases/20261126T020000Z/.json"),
           "erp/prod-old/leases/20261126T020000Z/" + token + ".json",
       }) {
    CAPTURE(key);
    CHECK_FALSE(layout.parse(key).has_value());
  }
}

TEST_CASE("doctor probe keys: under .doctor/<TOKEN>/, parsed with the run token, no set ID") {
  const KeyLayout layout("erp", "prod");
  const std::string token = "0123456789abcdef0123456789abcdef";
  CHECK(layout.doctor_prefix() == "erp/prod/.doctor/");
  CHECK(layout.doctor_run_prefix(token) == "erp/prod/.doctor/" + token + "/");
  for (const std::string name : {"probe", "list-1", "multipart", "a/b"}) {
    CAPTURE(name);
    const auto parsed = layout.parse(layout.doctor_run_prefix(token) + name);
    REQUIRE(parsed.has_value());
    CHECK(parsed->kind == ObjectKind::doctor_probe);
    CHECK(parsed->id.empty());
    CHECK(parsed->token == token);
  }
  for (const std::string& key : std::vector<std::string>{
           "erp/prod/.doctor/" + token + "/",                          // no name
           "erp/prod/.doctor/" + token,                                // no slash
           "erp/prod/.doctor/0123456789ABCDEF0123456789ABCDEF/probe",  // upper case
           "erp/prod/.doctor/0123456789abcdef0123456789abcde/probe",   // short
           "erp/prod/.doctor/probe",                                   // no token
           "erp/prod/doctor/" + token + "/probe",                      // no dot
           "erp/prod-old/.doctor/" + token + "/probe",                 // another env
       }) {
    CAPTURE(key);
    CHECK_FALSE(layout.parse(key).has_value());
  }
}

TEST_CASE("the Object Lock canary: one key per env, no set ID") {
  const KeyLayout layout("erp", "prod");
  CHECK(layout.lock_canary_key() == "erp/prod/.lock-canary");
  CHECK(layout.manifest_prefix() == "erp/prod/manifests/");
  const auto parsed = layout.parse("erp/prod/.lock-canary");
  REQUIRE(parsed.has_value());
  CHECK(parsed->kind == ObjectKind::lock_canary);
  CHECK(parsed->id.empty());
  for (const char* key : {"erp/prod/.lock-canary/x", "erp/prod/lock-canary",
                          "erp/prod/.lock-canary.json", "erp/prod-old/.lock-canary"}) {
    CAPTURE(key);
    CHECK_FALSE(layout.parse(key).has_value());
  }
}

TEST_CASE("drill evidence keys: drills/<ID>-<DRILLTIME>.json, parsed with both, never a set key") {
  const KeyLayout layout("erp", "prod");
  CHECK(layout.drill_prefix() == "erp/prod/drills/");
  const std::string key = layout.drill_evidence_key("20261126T020000Z", "20261129T030000Z");
  CHECK(key == "erp/prod/drills/20261126T020000Z-20261129T030000Z.json");
  const auto parsed = layout.parse(key);
  REQUIRE(parsed.has_value());
  CHECK(parsed->kind == ObjectKind::drill_evidence);
  CHECK(parsed->id == "20261126T020000Z");
  CHECK(parsed->token == "20261129T030000Z");
  for (const char* bad : {
           "erp/prod/drills/20261126T020000Z.json",                    // no drill time
           "erp/prod/drills/20261126T020000Z-20261129T030000Z.json~",  // suffix
           "erp/prod/drills/20261126T020000Z_20261129T030000Z.json",   // separator
           "erp/prod/drills/20261126T020000Z-20261129t030000Z.json",   // lower-case t
           "erp/prod/drills/20261126T020000Z-20261329T030000Z.json",   // month 13
           "erp/prod/drills/x/20261126T020000Z-20261129T030000Z.json",
           "erp/prod/drills/",
           "erp/prod-old/drills/20261126T020000Z-20261129T030000Z.json",
       }) {
    CAPTURE(bad);
    CHECK_FALSE(layout.parse(bad).has_value());
  }
}
