// The one policy for what a documents archive may hold (issue 17), shared by the extractor,
// verify and the backup's walk: names and their limits, where links lead, and what an entry may
// be given what came before it.
#include "archive/archive_policy.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace erp::archive {
namespace {

using Names = std::vector<std::string>;

TarEntry file(std::string path) {
  return TarEntry{.path = std::move(path), .type = EntryType::file, .mode = 0644};
}
TarEntry directory(std::string path) {
  return TarEntry{.path = std::move(path), .type = EntryType::directory, .mode = 0755};
}
TarEntry symlink(std::string path, std::string target) {
  return TarEntry{
      .path = std::move(path), .type = EntryType::symlink, .link_target = std::move(target)};
}
TarEntry hardlink(std::string path, std::string first) {
  return TarEntry{
      .path = std::move(path), .type = EntryType::hardlink, .link_target = std::move(first)};
}

// Runs `entries` through one checker; returns the error message of the last one, or "" when it
// was accepted. Every entry before the last must be accepted.
std::string last_refusal(const std::vector<TarEntry>& entries,
                         const std::vector<std::string>& roots = {}) {
  auto checker = EntryChecker::create(roots);
  REQUIRE(checker.has_value());
  for (std::size_t i = 0; i + 1 < entries.size(); ++i) {
    auto accepted = checker->check(entries[i]);
    REQUIRE_MESSAGE(accepted.has_value(), entries[i].path << ": " << accepted.error().message);
  }
  auto last = checker->check(entries.back());
  if (last) return "";
  CHECK(last.error().kind == ErrorKind::corrupt);
  return last.error().message;
}

}  // namespace

TEST_CASE("entry names: normalised; '..', absolute, empty, too long or too deep refused") {
  CHECK(*normalise_entry_name("./a//b/") == Names{"a", "b"});
  CHECK(normalise_entry_name(".")->empty());
  CHECK(normalise_entry_name("a/..b/c..").has_value());  // only a whole ".." component
  for (const char* bad : {"", "/etc/passwd", "../escape", "a/../../x", "a/.."}) {
    CAPTURE(bad);
    CHECK_FALSE(normalise_entry_name(bad).has_value());
  }
  // Exactly at each limit is accepted; one more is refused, naming the limit.
  std::string at_depth = "d";
  for (std::size_t i = 1; i < kMaxDepth; ++i) at_depth += "/d";
  CHECK(normalise_entry_name(at_depth)->size() == kMaxDepth);
  auto deeper = normalise_entry_name(at_depth + "/d");
  REQUIRE_FALSE(deeper.has_value());
  CHECK(deeper.error().message.contains("257 levels deep, deeper than 256"));

  CHECK(normalise_entry_name(std::string(kMaxComponentBytes, 'n')).has_value());
  auto wide = normalise_entry_name(std::string(kMaxComponentBytes + 1, 'n'));
  REQUIRE_FALSE(wide.has_value());
  CHECK(wide.error().message.contains("NAME_MAX"));

  std::string longest;
  while (longest.size() + 101 <= kMaxNameBytes) longest += std::string(100, 'n') + "/";
  longest += std::string(kMaxNameBytes - longest.size(), 'f');
  REQUIRE(longest.size() == kMaxNameBytes);
  CHECK(normalise_entry_name(longest).has_value());
  auto longer = normalise_entry_name(longest + "f");
  REQUIRE_FALSE(longer.has_value());
  CHECK(longer.error().message.contains("PATH_MAX"));
}

TEST_CASE("symlink targets are judged lexically: inside, or leaving the tree and why") {
  const std::vector<std::vector<std::string>> roots = {{"var", "www", "documents"}};
  struct Case {
    Names name;
    std::string target;
    bool leaves;
    std::string why;
  };
  const Case cases[] = {
      {{"a", "b", "l"}, "../../x", false, ""},  // resolves to "x"
      {{"a", "l"}, "../sibling/./f", false, ""},
      {{"l"}, "..", true, ""},  // the tree's parent
      {{"mycompany", "logo-rel.png"}, "../../common-logo.png", true, ""},
      {{"y"}, "x/..", true, "'..' after a name"},  // through whatever x is
      {{"a", "l"}, "b/../../c", true, "'..' after a name"},
      {{"license.txt"}, "/usr/share/common-licenses/GPL", true, ""},
      {{"l"}, "/var/www/documents/facture/FA1.pdf", false, ""},
      {{"l"}, "/var/www/documents", false, ""},
      {{"l"}, "/var/www/documents-old/x", true, ""},  // component-wise, not a string prefix
      {{"l"}, "/var/www/documents/../../etc", true, "an absolute target with '..'"},
      {{"l"}, "/", true, ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.target);
    auto verdict = judge_symlink(c.name, c.target, roots);
    REQUIRE(verdict.has_value());
    CHECK(verdict->leaves_tree == c.leaves);
    CHECK(verdict->why == c.why);
  }
  CHECK_FALSE(judge_symlink({"l"}, "", roots).has_value());
  CHECK_FALSE(judge_symlink({"l"}, std::string(kMaxNameBytes + 1, 'x'), roots).has_value());
  // No roots: every absolute target leaves.
  CHECK(judge_symlink({"l"}, "/var/www/documents/x", {})->leaves_tree);
}

TEST_CASE("absolute roots must be absolute and free of '..'") {
  CHECK(*absolute_root("/var/www/documents/") == Names{"var", "www", "documents"});
  CHECK(absolute_root("/")->empty());
  for (const char* bad : {"", "relative/dir", "/var/../etc"}) {
    CAPTURE(bad);
    CHECK_FALSE(absolute_root(bad).has_value());
    CHECK_FALSE(EntryChecker::create({bad}).has_value());
  }
}

TEST_CASE("EntryChecker refuses what verify used to pass, naming the entry") {
  CHECK(last_refusal({file("../escape")}).contains("'../escape': a '..' component"));
  CHECK(last_refusal({file("a/../../x")}).contains("'a/../../x'"));
  CHECK(last_refusal({file("/etc/cron.d/evil")}).contains("absolute name"));
  CHECK(last_refusal({file("")}).contains("an empty name"));
  CHECK(last_refusal({symlink("lnk", "sub"), file("lnk/file")})
            .contains("'lnk/file': goes through the symbolic link 'lnk'"));
  CHECK(last_refusal({file("f"), file("f/g/h")})
            .contains("goes through 'f', which is not a directory"));
  CHECK(last_refusal({hardlink("h", "/etc/passwd")}).contains("a hard link to '/etc/passwd'"));
  {
    // A hard link to a later entry: refused when it comes; the later file is fine.
    auto checker = EntryChecker::create({});
    REQUIRE(checker.has_value());
    auto early = checker->check(hardlink("h", "later"));
    REQUIRE_FALSE(early.has_value());
    CHECK(early.error().message.contains(
        "'h': a hard link to 'later', which is not a file archived before it"));
    CHECK(checker->check(file("later")).has_value());
  }
  CHECK(last_refusal({directory("d"), hardlink("h", "d")}).contains("not a file archived"));
  CHECK(last_refusal({symlink("s", "f"), hardlink("h", "s")}).contains("not a file archived"));
  CHECK(last_refusal({file("h"), hardlink("h", "h")}).contains("itself"));
  CHECK(last_refusal({hardlink("h", ".")}).contains("the tree itself"));
  CHECK(last_refusal({symlink("d", "sub"), directory("d")})
            .contains("exists in the archive as a symbolic link"));
  CHECK(last_refusal({directory("d"), file("d")}).contains("exists in the archive as a directory"));
  CHECK(last_refusal({directory("d"), symlink("d", "x")}).contains("as a directory"));
  CHECK(last_refusal({symlink("./.", "x")}).contains("only '.' components"));
  CHECK(last_refusal({symlink("empty", "")}).contains("empty target"));
  CHECK(last_refusal({TarEntry{.path = "fifo", .type = EntryType::other}}).contains("FIFO"));
}

TEST_CASE("EntryChecker accepts what a real tree holds, and remembers only what it accepted") {
  // Implicit parents, a repeated file (replaced), a repeated directory, hard links to files and
  // to further names, a link that leaves the tree (a verdict, not an error), "./".
  CHECK(last_refusal({directory("./"), file("a/b/c.pdf"), file("a/b/d.pdf"), directory("a"),
                      directory("a"), file("a/b/c.pdf"), hardlink("e", "a/b/c.pdf"),
                      hardlink("f", "e"), symlink("a/up", "../../x"), file("a/b/g")})
            .empty());
  auto checker = EntryChecker::create({"/var/www/documents"});
  REQUIRE(checker.has_value());
  auto outside = checker->check(symlink("license.txt", "/usr/share/common-licenses/GPL"));
  REQUIRE(outside.has_value());
  REQUIRE(outside->link.has_value());
  CHECK(outside->link->leaves_tree);
  auto inside = checker->check(symlink("served", "/var/www/documents/facture"));
  REQUIRE(inside.has_value());
  CHECK_FALSE(inside->link->leaves_tree);
  auto linked = checker->check(hardlink("copy", "./x"));
  CHECK_FALSE(linked.has_value());  // x was never archived
  // A refused entry is forgotten: a hard link to it is refused too, a file under it is not.
  CHECK_FALSE(checker->check(file("../bad")).has_value());
  CHECK_FALSE(checker->check(hardlink("h", "bad")).has_value());
  CHECK_FALSE(checker->check(symlink("s", "")).has_value());
  CHECK(checker->check(file("s/under")).has_value());
  auto first = checker->check(hardlink("twin", "s/under"));
  REQUIRE(first.has_value());
  CHECK(first->first == Names{"s", "under"});
}

TEST_CASE("links outside the tree are listed within their bounds and all counted") {
  LinksOutside links;
  for (std::size_t i = 0; i < kListedLinks + 5; ++i) links.add("l" + std::to_string(i), "/x");
  CHECK(links.total == kListedLinks + 5);
  CHECK(links.listed.size() == kListedLinks);
  LinksOutside wide;
  for (int i = 0; i < 40; ++i) wide.add(std::string(3000, 'p'), "/x");
  CHECK(wide.total == 40);
  CHECK(wide.listed_bytes <= kListedLinkBytes);
  CHECK(wide.listed.size() == kListedLinkBytes / 3002);
}

}  // namespace erp::archive
