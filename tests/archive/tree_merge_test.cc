// Moving a staged tree into place (restore docs --force semantics, issue 17): the plan refuses
// every clash with nothing changed; apply replaces files and links by rename (never through a
// link), merges directories with the archive's metadata, and leaves every other name alone.
// And the staging area itself: its marker, its lock, the leftovers of killed runs.
#include "archive/tree_merge.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "archive/staging_area.h"
#include "archive/tar_test_support.h"

namespace erp::archive {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

// An fd of `path`, closed with the object.
struct DirFd {
  explicit DirFd(const fs::path& path)
      : fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    REQUIRE(fd >= 0);
  }
  ~DirFd() { ::close(fd); }
  int fd;
};

std::map<std::string, std::string> describe(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& [name, info] : testing::snapshot(root)) {
    out[name] = std::to_string(info.type) + ":" + std::to_string(info.mode) + ":" +
                std::to_string(info.mtime.tv_sec) + ":" + info.content + ":" + info.target;
  }
  return out;
}

TreeMerge::DirectoryLookup lookup(
    const std::map<std::vector<std::string>, DirectoryMetadata>& dirs) {
  return [&dirs](const std::vector<std::string>& name) -> const DirectoryMetadata* {
    const auto found = dirs.find(name);
    return found == dirs.end() ? nullptr : &found->second;
  };
}

}  // namespace

TEST_CASE("a clash between the staged tree and the target is refused with nothing changed") {
  TempDir dir;
  fs::create_directories(dir / "staged/docs");
  fs::create_directories(dir / "target/docs");
  testing::write_file(dir / "staged/docs/a.pdf", "new a");
  testing::write_file(dir / "staged/docs/b", "new b");  // the target holds a directory here
  fs::create_directory(dir / "staged/c");               // ... a file here
  fs::create_directory(dir / "staged/d");               // ... a symlink to a directory here
  testing::write_file(dir / "target/docs/a.pdf", "old a");
  fs::create_directory(dir / "target/docs/b");
  testing::write_file(dir / "target/c", "old c");
  fs::create_directory(dir / "target/real");
  fs::create_directory_symlink("real", dir / "target/d");
  const auto before = describe(dir / "target");
  const std::map<std::vector<std::string>, DirectoryMetadata> dirs;
  DirFd staged(dir / "staged"), target(dir / "target");
  auto plan = TreeMerge::plan(staged.fd, target.fd, "target", lookup(dirs));
  REQUIRE_FALSE(plan.has_value());
  const std::string& message = plan.error().message;
  INFO(message);
  CHECK(message.contains("3 conflicts"));
  CHECK(message.contains("'docs/b': the target holds a directory where the archive has a file"));
  CHECK(message.contains("'c': the target holds a file where the archive has a directory"));
  CHECK(
      message.contains("'d': the target holds a symbolic link where the archive has a directory"));
  CHECK(message.contains("nothing in the target was changed"));
  CHECK(describe(dir / "target") == before);
}

TEST_CASE("apply moves new names, replaces files and links, merges directories, keeps the rest") {
  TempDir dir;
  fs::create_directories(dir / "staged/docs/new");
  fs::create_directories(dir / "target/docs");
  fs::create_directories(dir / "outside");
  testing::write_file(dir / "outside/keep.txt", "untouched");
  testing::write_file(dir / "staged/docs/a.pdf", "new a");
  testing::write_file(dir / "staged/docs/link.txt", "a file now");
  testing::write_file(dir / "staged/docs/new/n.pdf", "new n");
  testing::write_file(dir / "staged/top.txt", "top");
  testing::write_file(dir / "target/docs/a.pdf", "old a");
  testing::write_file(dir / "target/docs/operator.txt", "not in the archive");
  fs::create_symlink("../../outside/keep.txt", dir / "target/docs/link.txt");
  testing::set_times(dir / "staged/docs/new", 1'600'000'000, 0);
  const std::map<std::vector<std::string>, DirectoryMetadata> dirs = {
      {{"docs"}, DirectoryMetadata{.mode = 0750, .mtime_seconds = 1'650'000'000}},
      {{"docs", "new"}, DirectoryMetadata{.mode = 0755, .mtime_seconds = 1'600'000'000}}};
  DirFd staged(dir / "staged"), target(dir / "target");
  auto plan = TreeMerge::plan(staged.fd, target.fd, "target", lookup(dirs));
  REQUIRE_MESSAGE(plan.has_value(), plan.error().message);
  REQUIRE(plan->apply(staged.fd, target.fd, lookup(dirs), false).has_value());
  CHECK(plan->moved() == 4);     // docs/a.pdf, docs/link.txt, docs/new, top.txt
  CHECK(plan->replaced() == 2);  // a.pdf and the link
  const auto tree = testing::snapshot(dir / "target");
  CHECK(tree.at("docs/a.pdf").content == "new a");
  CHECK(tree.at("docs/link.txt").type == S_IFREG);
  CHECK(tree.at("docs/link.txt").content == "a file now");
  CHECK(tree.at("docs/new/n.pdf").content == "new n");
  CHECK(tree.at("docs/new").mtime.tv_sec == 1'600'000'000);
  CHECK(tree.at("docs/operator.txt").content == "not in the archive");
  CHECK(tree.at("docs").mode == 0750);
  CHECK(tree.at("docs").mtime.tv_sec == 1'650'000'000);
  CHECK(tree.at("top.txt").content == "top");
  CHECK(testing::snapshot(dir / "outside").at("keep.txt").content == "untouched");
}

TEST_CASE("read-only directories move and merge without the privilege to ignore modes") {
  // As the restore Job's www-data would: a read-only staged directory moved whole needs write
  // permission on itself (its ".." changes), a read-only merged one on both sides.
  TempDir dir;
  fs::create_directories(dir / "staged/archives");
  fs::create_directories(dir / "staged/merged");
  fs::create_directories(dir / "target/merged");
  testing::write_file(dir / "staged/archives/bilan.pdf", "bilan");
  testing::write_file(dir / "staged/merged/new.pdf", "new");
  testing::write_file(dir / "target/merged/old.pdf", "old");
  ::chmod((dir / "staged/archives").c_str(), 0555);
  testing::set_times(dir / "staged/archives", 946'684'799, 0);
  ::chmod((dir / "staged/merged").c_str(), 0555);
  ::chmod((dir / "target/merged").c_str(), 0555);
  const std::map<std::vector<std::string>, DirectoryMetadata> dirs = {
      {{"archives"}, DirectoryMetadata{.mode = 0555, .mtime_seconds = 946'684'799}},
      {{"merged"}, DirectoryMetadata{.mode = 0551, .mtime_seconds = 1'000'000'000}}};
  std::optional<Result<void>> result;
  const bool ran = testing::run_without_dac_override([&] {
    DirFd staged(dir / "staged"), target(dir / "target");
    auto plan = TreeMerge::plan(staged.fd, target.fd, "target", lookup(dirs));
    if (!plan) {
      result = std::unexpected(plan.error());
      return;
    }
    result = plan->apply(staged.fd, target.fd, lookup(dirs), false);
  });
  REQUIRE(ran);
  REQUIRE(result.has_value());
  REQUIRE_MESSAGE(result->has_value(), result->error().message);
  const auto tree = testing::snapshot(dir / "target");
  CHECK(tree.at("archives").mode == 0555);
  CHECK(tree.at("archives").mtime.tv_sec == 946'684'799);
  CHECK(tree.at("archives/bilan.pdf").content == "bilan");
  CHECK(tree.at("merged").mode == 0551);
  CHECK(tree.at("merged").mtime.tv_sec == 1'000'000'000);
  CHECK(tree.at("merged/new.pdf").content == "new");
  CHECK(tree.at("merged/old.pdf").content == "old");
}

TEST_CASE("a staging area: marker, lock, leftovers of killed runs, removal of read-only trees") {
  TempDir dir;
  auto area = StagingArea::open(dir.path());
  REQUIRE_MESSAGE(area.has_value(), area.error().message);
  CHECK((*area)->locked());
  CHECK((*area)->leftovers().empty());
  // A second restore into the same directory is refused while the first holds it.
  auto second = StagingArea::open(dir.path());
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().message.contains("another erp-backup restore is running"));

  REQUIRE((*area)->create("20261130T020000Z").has_value());
  const std::string name = (*area)->name();
  CHECK(name.starts_with(".erp-staging-20261130T020000Z-"));
  CHECK(is_staging_directory((*area)->dir_fd(), name));
  fs::create_directories((*area)->tree_path() / "ro/deeper");
  testing::write_file((*area)->tree_path() / "ro/deeper/f", "x");
  ::chmod(((*area)->tree_path() / "ro/deeper").c_str(), 0500);
  ::chmod(((*area)->tree_path() / "ro").c_str(), 0);
  std::optional<Result<void>> discarded;
  REQUIRE(testing::run_without_dac_override([&] { discarded = (*area)->discard(); }));
  REQUIRE_MESSAGE(discarded->has_value(), discarded->error().message);
  CHECK_FALSE(fs::exists(dir / name));

  // A killed run's staging directory is a leftover; a look-alike without the marker is not.
  fs::create_directories(dir / ".erp-staging-old-1/tree/x");
  testing::write_file(dir / ".erp-staging-old-1/ERP-BACKUP-STAGING", "marker");
  fs::create_directories(dir / ".erp-staging-lookalike/tree");
  fs::create_directories(dir / ".erp-staging-refresh-2/old/mycompany");
  testing::write_file(dir / ".erp-staging-refresh-2/ERP-BACKUP-STAGING", "marker");
  area->reset();
  auto again = StagingArea::open(dir.path());
  REQUIRE(again.has_value());
  CHECK((*again)->leftovers() ==
        std::vector<std::string>{".erp-staging-old-1", ".erp-staging-refresh-2"});
  REQUIRE((*again)->remove_leftovers().has_value());
  CHECK_FALSE(fs::exists(dir / ".erp-staging-old-1"));
  CHECK(fs::exists(dir / ".erp-staging-lookalike"));
  // One holding old/ (a subtree an interrupted refresh took out) is kept for refresh-sandbox.
  CHECK(fs::exists(dir / ".erp-staging-refresh-2/old/mycompany"));
  CHECK((*again)->leftovers() == std::vector<std::string>{".erp-staging-refresh-2"});

  // The destructor removes a staging directory that was neither discarded nor kept.
  REQUIRE((*again)->create("x").has_value());
  const std::string made = (*again)->name();
  again->reset();
  CHECK_FALSE(fs::exists(dir / made));
}

TEST_CASE("move_entry gives a moved read-only directory its mode and mtime back") {
  TempDir dir;
  fs::create_directories(dir / "from/ro");
  fs::create_directories(dir / "to");
  testing::write_file(dir / "from/ro/f", "x");
  ::chmod((dir / "from/ro").c_str(), 0555);
  testing::set_times(dir / "from/ro", 1'234'567'890, 5);
  std::optional<Result<void>> moved;
  REQUIRE(testing::run_without_dac_override([&] {
    DirFd from(dir / "from"), to(dir / "to");
    moved = move_entry(from.fd, "ro", to.fd, "ro", "ro");
  }));
  REQUIRE_MESSAGE(moved->has_value(), moved->error().message);
  const auto tree = testing::snapshot(dir / "to");
  CHECK(tree.at("ro").mode == 0555);
  CHECK(tree.at("ro").mtime.tv_sec == 1'234'567'890);
  CHECK(tree.at("ro").mtime.tv_nsec == 5);
  CHECK(tree.at("ro/f").content == "x");
}

}  // namespace erp::archive
