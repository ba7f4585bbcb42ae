// audit_tar, verify's walk of a documents archive (issue 17): the extractor's own checks, every
// refusal listed by name, the links that leave the tree, the counts the manifest records.
#include "archive/archive_audit.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "archive/tar_test_support.h"
#include "core/cancellation.h"
#include "fakes/memory_sink.h"

namespace erp::archive {
namespace {

using testing::ArchiveEntry;
using testing::MemorySource;

Result<ArchiveAudit> audit(const std::string& archive, const std::vector<std::string>& roots = {}) {
  MemorySource source(archive, 5000);
  auto reader = TarReader::open(source);
  REQUIRE(reader.has_value());
  Cancellation cancellation;
  return audit_tar(**reader, roots, cancellation);
}

bool any_contains(const std::vector<std::string>& lines, std::string_view needle) {
  for (const std::string& line : lines) {
    if (line.contains(needle)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("audit_tar lists every entry a restore would refuse, and goes on counting") {
  std::string deep = "d";
  for (std::size_t i = 0; i < kMaxDepth; ++i) deep += "/d";
  const std::string archive = testing::hostile_archive({
      {.path = "ok.pdf", .content = "fine"},
      {.path = "../escape", .content = "x"},
      {.path = "a/../../x", .content = "x"},
      {.path = "/etc/cron.d/evil", .content = "x"},
      {.path = "lnk", .type = AE_IFLNK, .symlink = "ok-dir"},
      {.path = "lnk/file", .content = "through"},
      {.path = "h1", .hardlink = "/etc/passwd"},
      {.path = "h2", .hardlink = "later"},
      {.path = "later", .content = "x"},
      {.path = deep, .content = "x"},
      {.path = "fifo", .type = AE_IFIFO},
  });
  auto result = audit(archive);
  REQUIRE_MESSAGE(result.has_value(), result.error().message);
  const auto& refusals = result->refusals;
  INFO(refusals.size());
  CHECK(result->refusals_total == 8);
  CHECK(any_contains(refusals, "'../escape'"));
  CHECK(any_contains(refusals, "'a/../../x'"));
  CHECK(any_contains(refusals, "'/etc/cron.d/evil'"));
  CHECK(any_contains(refusals, "'lnk/file': goes through the symbolic link 'lnk'"));
  CHECK(any_contains(refusals, "'h1': a hard link to '/etc/passwd'"));
  CHECK(any_contains(refusals, "'h2': a hard link to 'later', which is not a file archived"));
  CHECK(any_contains(refusals, "deeper than 256"));
  CHECK(any_contains(refusals, "'fifo': a device node, FIFO or socket"));
  CHECK(result->counts.files == 7);
  CHECK(result->counts.hardlinks == 2);
  CHECK(result->counts.symlinks == 1);
  CHECK(result->counts.other == 1);
  CHECK(result->counts.content_bytes == 4 + 1 + 1 + 1 + 7 + 1 + 1);
}

TEST_CASE("audit_tar reports the links that leave the tree; the roots only tell what is inside") {
  const std::string archive = testing::hostile_archive({
      {.path = "license.txt", .type = AE_IFLNK, .symlink = "/usr/share/common-licenses/GPL"},
      {.path = "mycompany", .type = AE_IFDIR},
      {.path = "mycompany/logo-rel.png", .type = AE_IFLNK, .symlink = "../../common-logo.png"},
      {.path = "mycompany/inside.png", .type = AE_IFLNK, .symlink = "../license.txt"},
      {.path = "served", .type = AE_IFLNK, .symlink = "/var/www/documents/facture"},
  });
  auto result = audit(archive, {"/var/www/documents", "not absolute: ignored"});
  REQUIRE_MESSAGE(result.has_value(), result.error().message);
  CHECK(result->refusals_total == 0);
  REQUIRE(result->links_outside.total == 2);
  CHECK(result->links_outside.listed[0].path == "license.txt");
  CHECK(result->links_outside.listed[1].path == "mycompany/logo-rel.png");
  CHECK(result->links_outside.listed[1].target == "../../common-logo.png");
  auto without_root = audit(archive);
  REQUIRE(without_root.has_value());
  CHECK(without_root->links_outside.total == 3);
}

TEST_CASE("audit_tar: a truncated archive is the reader's error") {
  const std::string archive =
      testing::hostile_archive({{.path = "big", .content = std::string(100'000, 'b')}});
  auto result = audit(archive.substr(0, 40'000));
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::corrupt);
}

}  // namespace erp::archive
