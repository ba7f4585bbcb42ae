// TarReader reads back what write_tar writes, and says "corrupt" for what it cannot read.
#include "archive/tar_reader.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "archive/tar_test_support.h"
#include "archive/tar_writer.h"
#include "core/cancellation.h"
#include "fakes/memory_sink.h"

namespace erp::archive {
namespace {

using testing::archive_of;
using testing::MemorySink;
using testing::MemorySource;
using testing::TempDir;

void make_tree(const TempDir& dir) {
  std::filesystem::create_directories(dir / "root/a/b");
  testing::write_file(dir / "root/a/one.pdf", "first file");
  testing::write_file(dir / "root/a/b/two.pdf", std::string(300'000, 'z'));
  std::filesystem::create_symlink("../one.pdf", dir / "root/a/b/link");
  std::filesystem::create_hard_link(dir / "root/a/one.pdf", dir / "root/a/b/again.pdf");
}

}  // namespace

TEST_CASE("count_tar counts what write_tar archived, with every content byte") {
  TempDir dir;
  make_tree(dir);
  const std::string archive = archive_of(dir / "root");
  MemorySource source(archive, 1000);  // short reads
  const auto counts = count_tar(source);
  REQUIRE_MESSAGE(counts.has_value(), counts.error().message);
  CHECK(counts->directories == 2);  // a, a/b (the root has no entry)
  CHECK(counts->files == 2);
  CHECK(counts->hardlinks == 1);
  CHECK(counts->symlinks == 1);
  CHECK(counts->other == 0);
  CHECK(counts->content_bytes == 10 + 300'000);
}

TEST_CASE("TarReader gives each entry's type, link target and content") {
  TempDir dir;
  make_tree(dir);
  const std::string archive = archive_of(dir / "root");
  MemorySource source(archive);
  auto reader = TarReader::open(source);
  REQUIRE(reader.has_value());
  bool saw_link = false;
  bool saw_content = false;
  for (;;) {
    auto entry = (*reader)->next();
    REQUIRE(entry.has_value());
    if (!*entry) break;
    if ((*entry)->path == "a/b/link") {
      CHECK((*entry)->type == EntryType::symlink);
      CHECK((*entry)->link_target == "../one.pdf");
      saw_link = true;
    }
    if ((*entry)->path == "a/one.pdf") {
      // Names sorted byte-wise, a directory's contents before its next sibling: a/b/again.pdf
      // is archived first, so a/one.pdf is the second name of that file.
      CHECK((*entry)->type == EntryType::hardlink);
      CHECK((*entry)->link_target == "a/b/again.pdf");
    }
    if ((*entry)->path == "a/b/again.pdf") {
      CHECK((*entry)->type == EntryType::file);
      char buffer[64];
      auto n = (*reader)->read_data(buffer);
      REQUIRE(n.has_value());
      CHECK(std::string(buffer, *n) == "first file");
      saw_content = true;
    }
  }
  CHECK(saw_link);
  CHECK(saw_content);
}

TEST_CASE("a truncated or damaged archive is corrupt; the input's own error keeps its kind") {
  TempDir dir;
  make_tree(dir);
  const std::string archive = archive_of(dir / "root");
  MemorySource truncated(archive.substr(0, archive.size() / 2));
  const auto cut = count_tar(truncated);
  REQUIRE_FALSE(cut.has_value());
  CHECK(cut.error().kind == ErrorKind::corrupt);

  MemorySource garbage(std::string(4096, 'x'));
  const auto junk = count_tar(garbage);
  REQUIRE_FALSE(junk.has_value());
  CHECK(junk.error().kind == ErrorKind::corrupt);

  MemorySource failing(archive);
  failing.fail_after(2000, Error{ErrorKind::transient, "connection reset"});
  const auto reset = count_tar(failing);
  REQUIRE_FALSE(reset.has_value());
  CHECK(reset.error().kind == ErrorKind::transient);
  CHECK(reset.error().message == "connection reset");
}

}  // namespace erp::archive
