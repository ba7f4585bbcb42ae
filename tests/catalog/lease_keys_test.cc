// A running backup's lease (app/backup/run_lease.h) in the catalog: it belongs to no set, so it
// never makes a set appear (list, prune, verify all read the catalog), and it is not foreign
// either.
#include <doctest/doctest.h>

#include "app/retention_seed.h"
#include "catalog/catalog.h"

using namespace erp;
using erp::catalog::KeyLayout;
using erp::testing::FakeObjectStore;

TEST_CASE("leases make no set appear and are not foreign") {
  FakeObjectStore store;
  const KeyLayout layout("erp", "prod");
  testing::seed_set(store, layout, "20261125T020000Z");
  // A lease of a run in progress (no objects yet) and one beside a complete set.
  store.seed(layout.lease_key("20261126T020000Z", "0123456789abcdef0123456789abcdef"), "{}");
  store.seed(layout.lease_key("20261125T020000Z", "fedcba9876543210fedcba9876543210"), "{}");
  auto catalog = catalog::load_catalog(store, layout);
  REQUIRE(catalog.has_value());
  REQUIRE(catalog->sets.size() == 1);
  CHECK(catalog->sets[0].id == "20261125T020000Z");
  CHECK(catalog->sets[0].complete);
  for (const auto& object : catalog->sets[0].objects) {
    CHECK(object.key.find("/leases/") == std::string::npos);
  }
  CHECK(catalog->foreign.empty());
}
