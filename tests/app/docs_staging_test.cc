// Staging a set's documents before anything reaches the target (issue 17), against the fake
// store: the object is read through the one docs read chain and checked against the manifest
// (both reads when --subtree needs a second), links the manifest records are refused first,
// and which absolute links are allowed never depends on the manifest's root.
#include "app/restore/docs_staging.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "app/docs_archive_support.h"
#include "app/restore/docs_read_chain.h"
#include "archive/tar_test_support.h"
#include "codec/digest.h"
#include "codec/zstd_sink.h"
#include "fakes/fake_object_store.h"
#include "fakes/forwarding_object_store.h"
#include "fakes/memory_sink.h"

namespace erp::app {
namespace {

using testing::ArchiveEntry;
using testing::TempDir;

using testing::manifest_for;
using testing::zstd_of;
constexpr std::string_view kKey = testing::kDocsKey;

// A store whose object is replaced by `replacement` when a second read of it starts.
class SwappedOnSecondRead final : public testing::ForwardingObjectStore {
 public:
  SwappedOnSecondRead(testing::FakeObjectStore& inner, std::string replacement)
      : ForwardingObjectStore(inner), inner_(inner), replacement_(std::move(replacement)) {}
  Result<void> get_object(std::string_view key, ByteSink& sink,
                          std::optional<s3::ByteRange> range) override {
    if (++reads == 2) inner_.seed(std::string(key), replacement_);
    return ForwardingObjectStore::get_object(key, sink, range);
  }
  int reads = 0;

 private:
  testing::FakeObjectStore& inner_;
  std::string replacement_;
};

struct Staged {
  TempDir dir;
  std::unique_ptr<archive::StagingArea> area;
  Result<std::unique_ptr<archive::SafeExtractor>> result =
      make_error(ErrorKind::permanent, "not run");
};

void stage(Staged& staged, s3::ObjectStore& store, const catalog::Manifest& manifest,
           archive::ExtractOptions options) {
  auto area = archive::StagingArea::open(staged.dir.path());
  REQUIRE(area.has_value());
  staged.area = std::move(*area);
  REQUIRE(staged.area->create(manifest.id).has_value());
  Cancellation cancellation;
  staged.result = stage_set_docs(store, manifest, *staged.area, options, cancellation);
}

}  // namespace

TEST_CASE("a set's documents are staged only when the whole object matches its manifest") {
  const std::string stored = zstd_of(testing::hostile_archive(
      {{.path = "facture/FA1.pdf", .content = "invoice"}, {.path = "ecm/a.txt", .content = "a"}}));
  testing::FakeObjectStore store;
  store.seed(std::string(kKey), stored);

  SUBCASE("matching: staged, directories finished") {
    Staged staged;
    stage(staged, store, manifest_for(stored, 2, 8), {});
    REQUIRE_MESSAGE(staged.result.has_value(), staged.result.error().message);
    const auto tree = testing::snapshot(staged.area->tree_path());
    CHECK(tree.at("facture/FA1.pdf").content == "invoice");
    CHECK((*staged.result)->stats().files == 2);
  }
  SUBCASE("a different SHA-256 in the manifest: corrupt, naming the key and both hashes") {
    catalog::Manifest manifest = manifest_for(stored, 2, 8);
    manifest.docs->sha256 = std::string(64, '0');
    Staged staged;
    stage(staged, store, manifest, {});
    REQUIRE_FALSE(staged.result.has_value());
    CHECK(staged.result.error().kind == ErrorKind::corrupt);
    CHECK(staged.result.error().message.contains(std::string(kKey)));
    CHECK(staged.result.error().message.contains(std::string(64, '0')));
  }
  SUBCASE("a subtree the archive does not hold") {
    Staged staged;
    stage(staged, store, manifest_for(stored, 2, 8), {.subtree = "mycompany"});
    REQUIRE_FALSE(staged.result.has_value());
    CHECK(staged.result.error().kind == ErrorKind::not_found);
    CHECK(staged.result.error().message.contains("nothing under 'mycompany'"));
  }
}

TEST_CASE("the second read for --subtree hard links is checked against the manifest too") {
  // mycompany/logo.png is a hard link to a name outside the subtree: its content comes from a
  // second read of the object, which must match the manifest like the first.
  const std::string plain =
      testing::hostile_archive({{.path = "ecm/logo.png", .content = "PNG"},
                                {.path = "mycompany/logo.png", .hardlink = "ecm/logo.png"}});
  const std::string stored = zstd_of(plain);
  const std::string other = zstd_of(
      testing::hostile_archive({{.path = "ecm/logo.png", .content = "XXX"},
                                {.path = "mycompany/logo.png", .hardlink = "ecm/logo.png"}}));
  REQUIRE(other.size() == stored.size());
  testing::FakeObjectStore store;
  store.seed(std::string(kKey), stored);
  catalog::Manifest manifest = manifest_for(stored, 1, 3);
  manifest.documents->hardlinks = 1;
  Staged good;
  stage(good, store, manifest, {.subtree = "mycompany"});
  REQUIRE_MESSAGE(good.result.has_value(), good.result.error().message);
  CHECK(testing::snapshot(good.area->tree_path()).at("mycompany/logo.png").content == "PNG");

  // The object changed between the two reads: the second read's hash fails the staging.
  testing::FakeObjectStore inner;
  inner.seed(std::string(kKey), stored);
  SwappedOnSecondRead swapped(inner, other);
  Staged bad;
  stage(bad, swapped, manifest, {.subtree = "mycompany"});
  CHECK(swapped.reads == 2);
  REQUIRE_FALSE(bad.result.has_value());
  CHECK(bad.result.error().kind == ErrorKind::corrupt);
  CHECK(bad.result.error().message.contains("SHA-256"));
}

TEST_CASE(
    "absolute links are allowed under the target, DOCUMENTS_DIR and the flags, never the "
    "manifest's root") {
  catalog::Manifest manifest = manifest_for("x", 0, 0);
  manifest.documents->root = "/";  // tampered: would allow every absolute link
  manifest.documents->links_outside = {{"passwd-link", "/etc/passwd"},
                                       {"mycompany/logo", "/srv/shared/logo.png"},
                                       {"ecm/doc", "/restore/here/ecm/x.pdf"}};
  manifest.documents->links_outside_total = 3;
  const config::RestoreDocsConfig config{.link_root = "/var/www/documents"};
  const auto options = extract_options_for(manifest, "/restore/here", config, {});
  CHECK(options.absolute_link_roots ==
        std::vector<std::string>{"/restore/here", "/var/www/documents"});
  CHECK(options.max_content_bytes == 0);
  CHECK(options.max_entries == 0);

  auto refused = refuse_recorded_links(manifest, options);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message.contains("2 symbolic links"));  // ecm/doc points into the target
  CHECK(refused.error().message.contains("'passwd-link' -> '/etc/passwd'"));
  CHECK(refused.error().message.contains("--keep-links-outside"));

  // Only the subtree's links count; a flag allows a root; keeping them allows all.
  const auto subtree = extract_options_for(manifest, "/restore/here", config, {.subtree = "ecm"});
  CHECK(refuse_recorded_links(manifest, subtree).has_value());
  const auto allowed =
      extract_options_for(manifest, "/restore/here", config,
                          {.subtree = "mycompany", .absolute_links_under = {"/srv/shared"}});
  CHECK(refuse_recorded_links(manifest, allowed).has_value());
  const auto kept =
      extract_options_for(manifest, "/restore/here", config, {.keep_links_outside = true});
  CHECK(refuse_recorded_links(manifest, kept).has_value());
}

}  // namespace erp::app
