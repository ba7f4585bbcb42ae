// SafeExtractor restores what write_tar archived exactly, and refuses hostile archives (built
// here with libarchive's own writer) naming the entry, with nothing written outside the target.
#include "archive/safe_extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "archive/tar_reader.h"
#include "archive/tar_test_support.h"
#include "archive/tar_writer.h"
#include "core/cancellation.h"
#include "fakes/memory_sink.h"

namespace erp::archive {
namespace {

using testing::archive_of;
using testing::EntryInfo;
using testing::MemorySink;
using testing::MemorySource;
using testing::TempDir;

// Extracts `archive` into `target` (both passes, then finish). Returns the first error.
Result<ExtractStats> extract(const std::string& archive, const std::filesystem::path& target,
                             ExtractOptions options = {}) {
  Cancellation cancellation;
  auto extractor = SafeExtractor::open(target, std::move(options), cancellation);
  if (!extractor) return std::unexpected(extractor.error());
  MemorySource source(archive, 7000);  // short reads
  auto reader = TarReader::open(source);
  if (!reader) return std::unexpected(reader.error());
  if (auto done = (*extractor)->extract(**reader); !done) return std::unexpected(done.error());
  if (!(*extractor)->outside_links().empty()) {
    MemorySource again(archive);
    auto second = TarReader::open(again);
    if (!second) return std::unexpected(second.error());
    if (auto done = (*extractor)->extract_outside_links(**second); !done) {
      return std::unexpected(done.error());
    }
  }
  if (auto done = (*extractor)->finish(); !done) return std::unexpected(done.error());
  return (*extractor)->stats();
}

// A tree with what an extractor gets wrong: modes (a read-only directory with content, setgid,
// 0600), nanosecond mtimes on files, directories and links, relative symlinks to a file and a
// directory, a dangling one, hard links (a pair and a group of three), an empty directory.
void make_tree(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  fs::create_directories(root / "facture/FA1");
  fs::create_directories(root / "ecm/Logos");
  fs::create_directories(root / "ecm/Archives");
  fs::create_directories(root / "mycompany/logos/thumbs");
  fs::create_directories(root / "vide");
  testing::write_file(root / "facture/FA1/FA1.pdf", std::string(70'000, 'f'), 0640);
  testing::write_file(root / "ecm/Archives/bilan.pdf", "read-only content", 0444);
  testing::write_file(root / "ecm/private.txt", "secret", 0600);
  testing::write_file(root / "ecm/run.sh", "#!/bin/sh\n", 0755);
  testing::write_file(root / "ecm/empty", "", 0644);
  testing::write_file(root / "ecm/Logos/logo.png", "PNG logo bytes", 0644);
  fs::create_hard_link(root / "ecm/Logos/logo.png", root / "mycompany/logos/logo.png");
  fs::create_hard_link(root / "ecm/Logos/logo.png", root / "mycompany/logos/thumbs/small.png");
  testing::write_file(root / "mycompany/about.txt", "about us", 0644);
  fs::create_hard_link(root / "facture/FA1/FA1.pdf", root / "ecm/FA1 copy.pdf");
  fs::create_symlink("../facture/FA1/FA1.pdf", root / "ecm/last invoice.pdf");
  fs::create_symlink("../facture", root / "ecm/factures");
  fs::create_symlink("../gone/missing.pdf", root / "ecm/dangling.pdf");
  testing::set_times(root / "ecm/last invoice.pdf", 1'600'000'000, 5);
  testing::set_times(root / "facture/FA1/FA1.pdf", 1'700'000'000, 123'456'789);
  testing::set_times(root / "ecm/Archives/bilan.pdf", 946'684'799, 0);
  ::chmod((root / "ecm/Archives").c_str(), 0555);
  ::chmod((root / "facture").c_str(), 02775);
  for (const char* dir : {"facture/FA1", "facture", "ecm/Logos", "ecm/Archives", "ecm",
                          "mycompany/logos/thumbs", "mycompany/logos", "mycompany", "vide"}) {
    testing::set_times(root / dir, 1'650'000'000, 987'654'321);
  }
}

// What must survive a round trip: everything but atime, ctime and inode numbers; hard links
// compare as groups of names.
void check_same_tree(const std::map<std::string, EntryInfo>& expected,
                     const std::map<std::string, EntryInfo>& actual) {
  std::vector<std::string> expected_names, actual_names;
  for (const auto& [name, info] : expected) expected_names.push_back(name);
  for (const auto& [name, info] : actual) actual_names.push_back(name);
  REQUIRE(expected_names == actual_names);
  for (const auto& [name, want] : expected) {
    const EntryInfo& got = actual.at(name);
    INFO("path: " << name);
    CHECK(got.type == want.type);
    CHECK(got.mode == want.mode);
    CHECK(got.uid == want.uid);
    CHECK(got.gid == want.gid);
    CHECK(got.content == want.content);
    CHECK(got.target == want.target);
    CHECK(got.mtime.tv_sec == want.mtime.tv_sec);
    CHECK(got.mtime.tv_nsec == want.mtime.tv_nsec);
    CHECK(got.links == want.links);
    // Same hard-link group: every other name sharing want's inode shares got's.
    for (const auto& [other, other_want] : expected) {
      if (other == name || want.type != S_IFREG) continue;
      CHECK_MESSAGE((other_want.inode == want.inode) == (actual.at(other).inode == got.inode),
                    other);
    }
  }
}

std::map<std::string, EntryInfo> only_under(const std::map<std::string, EntryInfo>& tree,
                                            const std::string& prefix) {
  std::map<std::string, EntryInfo> out;
  for (const auto& [name, info] : tree) {
    if (name == prefix || name.starts_with(prefix + "/")) out[name] = info;
  }
  return out;
}

}  // namespace

TEST_CASE("an archive written by write_tar extracts to an identical tree") {
  TempDir dir;
  make_tree(dir / "source");
  const std::string archive = archive_of(dir / "source");
  std::filesystem::create_directory(dir / "target");
  auto stats = extract(archive, dir / "target", {.restore_owners = ::geteuid() == 0});
  REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
  check_same_tree(testing::snapshot(dir / "source"), testing::snapshot(dir / "target"));
  CHECK(stats->files == 6 + 1);  // FA1, bilan, private, run.sh, empty, logo, about
  CHECK(stats->hardlinks == 3);
  CHECK(stats->symlinks == 3);
  CHECK(stats->bytes == 70'000 + 17 + 6 + 10 + 14 + 8);
  CHECK(stats->outside_subtree == 0);
}

TEST_CASE("read-only directories are filled without the privilege to ignore modes") {
  // As root, CAP_DAC_OVERRIDE would let a write into a 0555 directory succeed anyway; without
  // it, only creating directories writable and applying their modes last makes this work.
  TempDir dir;
  make_tree(dir / "source");
  const std::string archive = archive_of(dir / "source");
  std::filesystem::create_directory(dir / "target");
  std::optional<Result<ExtractStats>> result;
  const bool ran = testing::run_without_dac_override(
      [&] { result = extract(archive, dir / "target", {.restore_owners = ::geteuid() == 0}); });
  REQUIRE(ran);
  REQUIRE(result.has_value());
  REQUIRE_MESSAGE(result->has_value(), result->error().message);
  check_same_tree(testing::snapshot(dir / "source"), testing::snapshot(dir / "target"));
}

TEST_CASE("--subtree extracts one subtree under its own names, hard links to outside included") {
  TempDir dir;
  make_tree(dir / "source");
  const std::string archive = archive_of(dir / "source");
  std::filesystem::create_directory(dir / "target");
  // write_tar archives ecm/Logos/logo.png first (byte-wise order), so both mycompany names of
  // the logo are hard links to a name outside the subtree: the second pass fills them.
  auto stats = extract(archive, dir / "target", {.subtree = "./mycompany/"});
  REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
  auto expected = only_under(testing::snapshot(dir / "source"), "mycompany");
  // The source's logo has three names; the subtree holds two of them.
  for (const char* name : {"mycompany/logos/logo.png", "mycompany/logos/thumbs/small.png"}) {
    REQUIRE(expected.contains(name));
    expected[name].links = 2;
  }
  check_same_tree(expected, testing::snapshot(dir / "target"));
  CHECK(stats->hardlinks == 2);
  CHECK(stats->files == 1);  // about.txt
  CHECK(stats->outside_subtree > 0);

  SUBCASE("a subtree without outside links needs no second pass") {
    TempDir other;
    std::filesystem::create_directory(other / "target");
    Cancellation cancellation;
    auto extractor =
        SafeExtractor::open(other / "target", {.subtree = "ecm/Archives"}, cancellation);
    REQUIRE(extractor.has_value());
    MemorySource source(archive);
    auto reader = TarReader::open(source);
    REQUIRE(reader.has_value());
    REQUIRE((*extractor)->extract(**reader).has_value());
    CHECK((*extractor)->outside_links().empty());
    REQUIRE((*extractor)->finish().has_value());
    auto tree = testing::snapshot(other / "target");
    // The subtree's ancestor is created plainly, without the archive's metadata.
    REQUIRE(tree.contains("ecm"));
    CHECK(tree.at("ecm").type == S_IFDIR);
    tree.erase("ecm");
    check_same_tree(only_under(testing::snapshot(dir / "source"), "ecm/Archives"), tree);
  }
}

TEST_CASE("a malformed subtree is refused before anything is read") {
  TempDir dir;
  Cancellation cancellation;
  for (const char* subtree : {"../x", "/abs", "./"}) {
    auto extractor = SafeExtractor::open(dir.path(), {.subtree = subtree}, cancellation);
    CHECK_FALSE(extractor.has_value());
  }
}

TEST_CASE("entry names are normalised and '..' or absolute names refused") {
  CHECK(*normalise_entry_name("./a//b/") == std::vector<std::string>{"a", "b"});
  CHECK(normalise_entry_name(".")->empty());
  CHECK_FALSE(normalise_entry_name("").has_value());
  CHECK_FALSE(normalise_entry_name("/etc/x").has_value());
  CHECK_FALSE(normalise_entry_name("a/../../x").has_value());
  CHECK(normalise_entry_name("a/..b/c..").has_value());  // only a whole ".." component
}

// -- hostile archives ------------------------------------------------------------------------

namespace {

using Entry = testing::ArchiveEntry;
using testing::hostile_archive;

// What the parent directory holds apart from the target itself: must not change.
std::map<std::string, std::string> outside_target(const std::filesystem::path& parent) {
  std::map<std::string, std::string> out;
  for (const auto& [name, info] : testing::snapshot(parent)) {
    if (name == "target" || name.starts_with("target/")) continue;
    out[name] = std::to_string(info.type) + ":" + std::to_string(info.mode) + ":" +
                std::to_string(info.mtime.tv_sec) + "." + std::to_string(info.mtime.tv_nsec) + ":" +
                info.content + ":" + info.target;
  }
  return out;
}

// Extracts the archive into parent/target; the extraction must fail with a corrupt error whose
// message contains every needle, and nothing outside the target may change.
void check_refused(const std::vector<Entry>& entries, const std::vector<std::string>& needles,
                   ExtractOptions options = {}) {
  TempDir parent;
  std::filesystem::create_directory(parent / "target");
  std::filesystem::create_directory(parent / "outside");
  testing::write_file(parent / "outside/keep.txt", "untouched");
  const auto before = outside_target(parent.path());
  const std::string archive = hostile_archive(entries);
  auto result = extract(archive, parent / "target", std::move(options));
  REQUIRE_FALSE(result.has_value());
  INFO(result.error().message);
  CHECK(result.error().kind == ErrorKind::corrupt);
  for (const std::string& needle : needles) CHECK(result.error().message.contains(needle));
  CHECK(outside_target(parent.path()) == before);
}

}  // namespace

TEST_CASE("hostile archives are refused naming the entry, with nothing written outside") {
  SUBCASE("a '..' component") {
    check_refused({{.path = "../x", .content = "escaped"}}, {"'../x'", "'..' component"});
    check_refused({{.path = "a"}, {.path = "a/../../outside/keep.txt", .content = "overwritten"}},
                  {"a/../../outside/keep.txt"});
  }
  SUBCASE("absolute names") {
    check_refused({{.path = "/etc/x", .content = "escaped"}}, {"'/etc/x'", "absolute name"});
    // An absolute name pointing right into the watched parent.
    TempDir probe;
    const std::string inside = (probe / "escaped").string();
    check_refused({{.path = inside, .content = "escaped"}}, {"absolute name"});
    CHECK_FALSE(std::filesystem::exists(probe / "escaped"));
  }
  SUBCASE("a symlink to / and a file through it") {
    check_refused({{.path = "link", .type = AE_IFLNK, .symlink = "/"},
                   {.path = "link/etc/passwd", .content = "root::0:0::/:/bin/sh\n"}},
                  {"'link'", "symbolic link to '/'", "outside the target directory"});
  }
  SUBCASE("a file through an allowed symlink still does not go through it") {
    // Even a link the options allow (here into the watched parent) is never followed.
    TempDir parent;
    std::filesystem::create_directory(parent / "target");
    std::filesystem::create_directory(parent / "outside");
    const auto before = outside_target(parent.path());
    const std::string archive = hostile_archive(
        {{.path = "link", .type = AE_IFLNK, .symlink = (parent / "outside").string()},
         {.path = "link/escaped", .content = "escaped"}});
    auto result = extract(archive, parent / "target",
                          {.absolute_link_roots = {(parent / "outside").string()}});
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().message.contains("'link/escaped'"));
    CHECK(result.error().message.contains("goes through the symbolic link 'link'"));
    CHECK(outside_target(parent.path()) == before);
    CHECK(std::filesystem::is_symlink(parent / "target/link"));
  }
  SUBCASE("relative symlinks that resolve outside") {
    check_refused({{.path = "up", .type = AE_IFLNK, .symlink = ".."}}, {"'up'", "outside"});
    check_refused({{.path = "a", .type = AE_IFDIR},
                   {.path = "a/up", .type = AE_IFLNK, .symlink = "../../outside/keep.txt"}},
                  {"'a/up'", "outside the target directory"});
    // `x -> .` is inside, but `x/..` would resolve through x to the target's parent.
    check_refused({{.path = "x", .type = AE_IFLNK, .symlink = "."},
                   {.path = "y", .type = AE_IFLNK, .symlink = "x/.."}},
                  {"'y'", "'..' after a name"});
  }
  SUBCASE("absolute symlinks outside every link root") {
    check_refused({{.path = "passwd", .type = AE_IFLNK, .symlink = "/etc/passwd"}},
                  {"'passwd'", "outside the target directory"},
                  {.absolute_link_roots = {"/var/www/documents"}});
    check_refused({{.path = "sneaky", .type = AE_IFLNK, .symlink = "/var/www/documents/../../etc"}},
                  {"'sneaky'"}, {.absolute_link_roots = {"/var/www/documents"}});
  }
  SUBCASE("hard links to names outside the target or not extracted") {
    check_refused({{.path = "h", .hardlink = "/etc/hostname"}}, {"'h'", "absolute name"});
    check_refused({{.path = "h", .hardlink = "../outside/keep.txt"}}, {"'h'", "'..' component"});
    check_refused({{.path = "h", .hardlink = "later"}, {.path = "later", .content = "x"}},
                  {"'h'", "not a file archived before it"});
    check_refused({{.path = "d", .type = AE_IFDIR}, {.path = "h", .hardlink = "d"}},
                  {"'h'", "not a file archived before it"});
    check_refused({{.path = "h", .content = "x"}, {.path = "h", .hardlink = "h"}},
                  {"'h'", "itself"});
  }
  SUBCASE("a symlink replaced by a directory entry later in the archive") {
    check_refused({{.path = "d", .type = AE_IFLNK, .symlink = ".."},
                   {.path = "d", .type = AE_IFDIR},
                   {.path = "d/x", .content = "escaped"}},
                  {"'d'", "outside the target directory"});
    // A link that passes the target check still cannot become a directory.
    check_refused({{.path = "sub", .type = AE_IFDIR},
                   {.path = "d", .type = AE_IFLNK, .symlink = "sub"},
                   {.path = "d", .type = AE_IFDIR},
                   {.path = "d/x", .content = "through the link"}},
                  {"'d/'", "exists in the archive as a symbolic link"});
    check_refused({{.path = "sub", .type = AE_IFDIR},
                   {.path = "d", .type = AE_IFLNK, .symlink = "sub"},
                   {.path = "d/x", .content = "through the link"}},
                  {"'d/x'", "goes through the symbolic link 'd'"});
  }
  SUBCASE("device nodes and FIFOs") {
    check_refused({{.path = "queue", .type = AE_IFIFO}}, {"'queue'", "FIFO"});
    check_refused({{.path = "null", .type = AE_IFCHR}}, {"'null'", "device node"});
  }
  SUBCASE("an empty or dot-only name") {
    check_refused({{.path = "./.", .type = AE_IFLNK, .symlink = "sub"}},
                  {"'./.'", "only '.' components"});
  }
}

TEST_CASE("--subtree: links to a name the second pass fills join its group; loops are refused") {
  TempDir parent;
  std::filesystem::create_directory(parent / "target");
  const std::string archive = hostile_archive({{.path = "out/f", .content = "shared content"},
                                               {.path = "sub/a", .hardlink = "out/f"},
                                               {.path = "sub/b", .hardlink = "sub/a"}});
  auto stats = extract(archive, parent / "target", {.subtree = "sub"});
  REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
  auto tree = testing::snapshot(parent / "target");
  CHECK(tree.size() == 3);  // sub, sub/a, sub/b
  CHECK(tree.at("sub/a").content == "shared content");
  CHECK(tree.at("sub/a").inode == tree.at("sub/b").inode);
  CHECK(tree.at("sub/a").links == 2);

  // A loop of hard links cannot even start: each must name a file archived before it, also
  // outside the subtree.
  check_refused({{.path = "out/x", .hardlink = "out/y"},
                 {.path = "out/y", .hardlink = "out/x"},
                 {.path = "sub/l", .hardlink = "out/x"}},
                {"'out/x'", "not a file archived before it"}, {.subtree = "sub"});
  // A link inside the subtree to an outside name the archive never holds as a file.
  check_refused({{.path = "sub/l", .hardlink = "out/none"}},
                {"'sub/l'", "not a file archived before it"}, {.subtree = "sub"});
}

TEST_CASE("in a non-empty target, files and links are replaced, never written through") {
  TempDir parent;
  std::filesystem::create_directories(parent / "target/dir");
  std::filesystem::create_directory(parent / "outside");
  testing::write_file(parent / "outside/keep.txt", "untouched");
  testing::write_file(parent / "target/old.txt", "old content");
  std::filesystem::create_symlink("../outside/keep.txt", parent / "target/link.txt");
  const auto before = outside_target(parent.path());
  const std::string archive = hostile_archive({{.path = "old.txt", .content = "new content"},
                                               {.path = "link.txt", .content = "replaced link"},
                                               {.path = "dir", .type = AE_IFDIR}});
  auto result = extract(archive, parent / "target");
  REQUIRE_MESSAGE(result.has_value(), result.error().message);
  auto tree = testing::snapshot(parent / "target");
  CHECK(tree.at("old.txt").content == "new content");
  CHECK(tree.at("link.txt").type == S_IFREG);
  CHECK(tree.at("link.txt").content == "replaced link");
  CHECK(tree.at("dir").mtime.tv_sec == 1'700'000'000);
  CHECK(outside_target(parent.path()) == before);

  // A directory in the way of a file is not removed.
  auto clash = extract(hostile_archive({{.path = "dir", .content = "a file"}}), parent / "target");
  REQUIRE_FALSE(clash.has_value());
  CHECK(clash.error().message.contains("'dir'"));
  CHECK(std::filesystem::is_directory(parent / "target/dir"));
}

// -- stop, truncation, limits, setuid, depth (issue 17) ---------------------------------------

namespace {

// Passes `input` through and sets `cancellation` once more than `after` bytes went by: a
// signal arriving while a file's content is being written.
class CancellingSource final : public ByteSource {
 public:
  CancellingSource(ByteSource& input, Cancellation& cancellation, std::size_t after)
      : input_(input), cancellation_(cancellation), after_(after) {}
  Result<std::size_t> read(std::span<char> buffer) override {
    auto got = input_.read(buffer);
    if (got) seen_ += *got;
    if (seen_ > after_) cancellation_.cancel(15);
    return got;
  }

 private:
  ByteSource& input_;
  Cancellation& cancellation_;
  std::size_t after_;
  std::size_t seen_ = 0;
};

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& [name, info] : testing::snapshot(dir)) names.push_back(name);
  return names;
}

}  // namespace

TEST_CASE("a stop in the middle of a file leaves no half-written file and nothing after it") {
  const std::string big(1 << 20, 'b');
  const std::string archive = hostile_archive({{.path = "first.pdf", .content = "complete"},
                                               {.path = "big.pdf", .content = big},
                                               {.path = "later.pdf", .content = "never"}});
  TempDir dir;
  Cancellation cancellation;
  auto extractor = SafeExtractor::open(dir.path(), {.chunk_size = 4096}, cancellation);
  REQUIRE(extractor.has_value());
  MemorySource memory(archive, 4096);
  // Well inside big.pdf's content: its header and first.pdf are long past.
  CancellingSource source(memory, cancellation, 300 * 1024);
  auto reader = TarReader::open(source);
  REQUIRE(reader.has_value());
  auto result = (*extractor)->extract(**reader);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::cancelled);
  CHECK(result.error().message.contains("big.pdf"));
  CHECK(names_in(dir.path()) == std::vector<std::string>{"first.pdf"});
  CHECK((*extractor)->stats().bytes < big.size());
}

TEST_CASE("a stop between entries extracts no further entry, not even one without content") {
  // Directories, links and empty files never reach the content loop's stop check: only the
  // check before each entry keeps them out once the job was told to stop.
  const std::string archive =
      hostile_archive({{.path = "facture", .type = AE_IFDIR},
                       {.path = "facture/empty.pdf"},
                       {.path = "latest", .type = AE_IFLNK, .symlink = "facture/empty.pdf"}});
  TempDir dir;
  Cancellation cancellation;
  auto extractor = SafeExtractor::open(dir.path(), {}, cancellation);
  REQUIRE(extractor.has_value());
  cancellation.cancel(15);  // the signal arrives before the next entry's header is acted on
  MemorySource source(archive);
  auto reader = TarReader::open(source);
  REQUIRE(reader.has_value());
  auto result = (*extractor)->extract(**reader);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::cancelled);
  CHECK(names_in(dir.path()).empty());
}

TEST_CASE("an archive truncated in the middle of a file leaves no half-written file") {
  const std::string big(600 * 1024, 'b');
  const std::string archive = hostile_archive(
      {{.path = "first.pdf", .content = "complete"}, {.path = "big.pdf", .content = big}});
  TempDir dir;
  auto result = extract(archive.substr(0, 300 * 1024), dir.path());
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::corrupt);
  CHECK(result.error().message.contains("big.pdf"));
  CHECK(names_in(dir.path()) == std::vector<std::string>{"first.pdf"});
}

TEST_CASE("setuid and setgid bits are dropped from files unless kept; directories keep setgid") {
  const std::string archive =
      hostile_archive({{.path = "shared", .type = AE_IFDIR, .mode = 02775},
                       {.path = "shared/suid", .content = "#!/bin/sh\n", .mode = 04755},
                       {.path = "shared/sgid", .content = "#!/bin/sh\n", .mode = 02711},
                       {.path = "shared/plain", .content = "x", .mode = 01644}});
  SUBCASE("by default") {
    TempDir dir;
    auto stats = extract(archive, dir.path());
    REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
    const auto tree = testing::snapshot(dir.path());
    CHECK(tree.at("shared/suid").mode == 0755);
    CHECK(tree.at("shared/sgid").mode == 0711);
    CHECK(tree.at("shared/plain").mode == 01644);  // sticky is no privilege
    CHECK(tree.at("shared").mode == 02775);
    CHECK(stats->setid_dropped == 2);
  }
  SUBCASE("with keep_setid") {
    TempDir dir;
    auto stats = extract(archive, dir.path(), {.keep_setid = true});
    REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
    const auto tree = testing::snapshot(dir.path());
    CHECK(tree.at("shared/suid").mode == 04755);
    CHECK(tree.at("shared/sgid").mode == 02711);
    CHECK(stats->setid_dropped == 0);
  }
}

TEST_CASE("the cost of a deep tree is linear: one directory open per level entered") {
  // 200 levels, a directory and a file at each: walking from the target for every entry (the
  // old extractor) opens about 200 * 200 directories; a chain of open directories about 2 * 200
  // (the extraction, then finish() deepest first).
  constexpr std::size_t kDepth = 200;
  std::vector<Entry> entries;
  std::string path;
  for (std::size_t level = 0; level < kDepth; ++level) {
    path += (level == 0 ? "" : "/") + std::string("d");
    entries.push_back({.path = path, .type = AE_IFDIR});
    entries.push_back({.path = path + "/f", .content = "x"});
  }
  TempDir dir;
  auto stats = extract(hostile_archive(entries), dir.path());
  REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
  CHECK(stats->directories == kDepth);
  CHECK(stats->files == kDepth);
  CHECK(stats->directory_opens <= 3 * kDepth);
  CHECK(stats->directory_opens >= kDepth);  // it does count
}

TEST_CASE("names longer than PATH_MAX or deeper than the limit are refused before any write") {
  std::string deep = "d";
  for (std::size_t level = 1; level <= kMaxDepth; ++level) deep += "/d";  // kMaxDepth + 1 levels
  check_refused({{.path = deep, .content = "x"}}, {"deeper than 256"});
  check_refused({{.path = std::string(300, 'n'), .content = "x"}}, {"longer than 255"});
  std::string long_name;
  while (long_name.size() <= kMaxNameBytes) long_name += std::string(200, 'n') + "/";
  long_name += "f";
  check_refused({{.path = long_name, .content = "x"}}, {"PATH_MAX"});
  TempDir dir;
  CHECK_FALSE(extract(hostile_archive({{.path = deep, .content = "x"}}), dir.path()).has_value());
  CHECK(names_in(dir.path()).empty());
}

TEST_CASE("an archive holding more than its manifest records is refused before it is written") {
  const std::string archive = hostile_archive({{.path = "small", .content = std::string(10, 's')},
                                               {.path = "bomb", .content = std::string(5000, 'b')},
                                               {.path = "after", .content = "a"}});
  SUBCASE("content bytes") {
    TempDir dir;
    auto result = extract(archive, dir.path(), {.max_content_bytes = 1000});
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == ErrorKind::corrupt);
    CHECK(result.error().message.contains("'bomb'"));
    CHECK(result.error().message.contains("1000 content bytes"));
    CHECK(names_in(dir.path()) == std::vector<std::string>{"small"});
  }
  SUBCASE("entries") {
    TempDir dir;
    auto result = extract(archive, dir.path(), {.max_entries = 2});
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().message.contains("'after'"));
    CHECK(names_in(dir.path()) == std::vector<std::string>{"bomb", "small"});
  }
  SUBCASE("exactly at the limits") {
    TempDir dir;
    auto stats = extract(archive, dir.path(), {.max_content_bytes = 5011, .max_entries = 3});
    REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
  }
}

TEST_CASE("links that leave the tree are refused, or kept as links when asked") {
  const std::vector<Entry> entries = {
      {.path = "license.txt", .type = AE_IFLNK, .symlink = "/usr/share/common-licenses/GPL"},
      {.path = "logos", .type = AE_IFDIR},
      {.path = "logos/logo-rel.png", .type = AE_IFLNK, .symlink = "../../common-logo.png"}};
  check_refused(entries, {"'license.txt'", "outside the target directory", "--keep-links-outside"});
  TempDir parent;
  std::filesystem::create_directory(parent / "target");
  auto stats = extract(hostile_archive(entries), parent / "target", {.keep_links_outside = true});
  REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
  CHECK(stats->links_outside == 2);
  const auto tree = testing::snapshot(parent / "target");
  CHECK(tree.at("license.txt").type == S_IFLNK);
  CHECK(tree.at("license.txt").target == "/usr/share/common-licenses/GPL");
  CHECK(tree.at("logos/logo-rel.png").target == "../../common-logo.png");
  CHECK_FALSE(std::filesystem::exists(parent / "common-logo.png"));  // never written through
  // Kept links are still only data: nothing goes through them.
  TempDir other;
  auto through = extract(hostile_archive({{.path = "up", .type = AE_IFLNK, .symlink = ".."},
                                          {.path = "up/escaped", .content = "x"}}),
                         other.path(), {.keep_links_outside = true});
  REQUIRE_FALSE(through.has_value());
  CHECK(through.error().message.contains("goes through the symbolic link 'up'"));
}

}  // namespace erp::archive
