#include "archive/tar_writer.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "archive/tar_test_support.h"
#include "core/cancellation.h"
#include "fakes/memory_sink.h"

namespace erp::archive {
namespace {

using testing::EntryInfo;
using testing::MemorySink;
using testing::TempDir;

std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string data(size, '\0');
  for (char& c : data) c = static_cast<char>(random() & 0xff);
  return data;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Paths of the fixture tree that need a name in more than one place.
const std::string kLongName = std::string(146, 'n') + ".txt";  // 150 bytes
const std::string kNonUtf8 = "bad\xff\xfe name.bin";
const std::string kUnicodeDir = "caf\xc3\xa9 \xe2\x82\xac";  // "café €"
std::string deep_dir() {
  std::string path;
  for (int level = 0; level < 5; ++level) {
    if (!path.empty()) path += "/";
    path += std::string(59, static_cast<char>('a' + level)) + std::to_string(level);
  }
  return path;  // 5 x 60 bytes + 4 separators = 304 bytes
}

void make_socket(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  REQUIRE(path.native().size() < sizeof(address.sun_path));
  std::copy(path.native().begin(), path.native().end(), address.sun_path);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
  ::close(fd);
}

// The tree every feature test archives: every kind of entry and name write_tar must handle.
void build_fixture(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  fs::create_directories(root / "a dir/nested/deeper");
  testing::write_file(root / "a dir/nested/deeper/file.txt", "deep content\n");
  fs::create_directories(root / kUnicodeDir);
  testing::write_file(root / kUnicodeDir / "na\xc3\xafve r\xc3\xa9sum\xc3\xa9.txt", "unicode\n");
  testing::write_file(root / kLongName, "long name\n");
  fs::create_directories(root / deep_dir());
  testing::write_file(root / deep_dir() / "at the bottom.txt", "deep path\n");
  testing::write_file(root / kNonUtf8, "not utf-8\n");
  testing::write_file(root / "empty.txt", "");
  fs::create_directories(root / "empty dir");
  fs::create_symlink("a dir/nested/deeper/file.txt", root / "link-relative");
  fs::create_symlink("/etc/hostname", root / "link-absolute");
  fs::create_symlink("does/not/exist", root / "link-dangling");
  fs::create_symlink("target\xff", root / "link-non-utf8-target");
  testing::write_file(root / "hard-1.txt", "shared inode\n");
  fs::create_hard_link(root / "hard-1.txt", root / "hard-2.txt");
  REQUIRE(::mkfifo((root / "fifo").c_str(), 0644) == 0);
  make_socket(root / "socket");
  testing::write_file(root / "mode-0600.txt", "private\n", 0600);
  testing::write_file(root / "mode-0444.txt", "read only\n", 0444);
  testing::write_file(root / "setuid-4755", "#!/bin/sh\n", 04755);
  fs::create_directories(root / "dir-0700");
  testing::write_file(root / "dir-0700/inside.txt", "in a private dir\n");
  ::chmod((root / "dir-0700").c_str(), 0700);
  testing::write_file(root / "owned-by-nobody.txt", "nobody\n");
  REQUIRE(::lchown((root / "owned-by-nobody.txt").c_str(), 65534, 65534) == 0);
  testing::write_file(root / "owned-by-number.txt", "numeric\n");
  REQUIRE(::lchown((root / "owned-by-number.txt").c_str(), 12345, 23456) == 0);
  testing::write_file(root / "big.bin", random_bytes(3 * 1024 * 1024 + 17, 42));
  testing::write_file(root / "1999.txt", "old\n");
  testing::set_times(root / "1999.txt", 929448000, 0);  // 1999-06-15T12:00:00Z
  testing::write_file(root / "nanoseconds.txt", "precise\n");
  testing::set_times(root / "nanoseconds.txt", 1700000000, 123456789);
  testing::set_times(root / "link-relative", 1600000000, 5);
  // Directory times last: creating entries inside would change them again.
  testing::set_times(root / "a dir/nested", 1500000000, 987654321);
  testing::set_times(root / "empty dir", 1400000000, 0);
}

struct Archived {
  Result<TarStats> stats;
  std::string bytes;
};

Archived archive_tree(const std::filesystem::path& root, const TarOptions& options = {}) {
  MemorySink sink;
  Cancellation cancellation;
  auto stats = write_tar(root, sink, options, cancellation);
  CHECK(sink.finish_calls() == 0);  // the caller owns the sink's life cycle
  CHECK(sink.abort_calls() == 0);
  return {std::move(stats), sink.data()};
}

// Extracts `archive` with GNU tar (as root: owners, modes and times restored) into `into`.
int extract_with_gnu_tar(const std::string& archive, const std::filesystem::path& into) {
  return testing::run_with_input("tar -xpf - -C '" + into.string() + "' 2>/dev/null", archive);
}

std::vector<std::string> list_with_gnu_tar(const std::string& archive) {
  TempDir scratch;
  const auto file = scratch / "archive.tar";
  testing::write_file(file, archive);
  auto [status, output] =
      testing::run_capture("tar --quoting-style=literal -tf '" + file.string() + "' 2>/dev/null");
  CHECK(status == 0);
  return testing::split_lines(output);
}

TEST_CASE(
    "write_tar: GNU tar extracts every path with its type, mode, owner, content, target, "
    "mtime and hard links") {
  TempDir source;
  build_fixture(source.path());
  const auto expected = testing::snapshot(source.path());

  const Archived archived = archive_tree(source.path());
  REQUIRE(archived.stats);

  TempDir extracted;
  REQUIRE(extract_with_gnu_tar(archived.bytes, extracted.path()) == 0);
  const auto actual = testing::snapshot(extracted.path());

  std::set<std::string> expected_paths;
  for (const auto& [path, info] : expected) {
    if (info.type == S_IFIFO || info.type == S_IFSOCK) continue;  // skipped by design
    expected_paths.insert(path);
  }
  std::set<std::string> actual_paths;
  for (const auto& [path, info] : actual) actual_paths.insert(path);
  CHECK(actual_paths == expected_paths);

  for (const std::string& path : expected_paths) {
    INFO("path: " << printable_path(path));
    const auto found = actual.find(path);
    if (found == actual.end()) continue;
    const EntryInfo& want = expected.at(path);
    const EntryInfo& got = found->second;
    CHECK(got.type == want.type);
    if (want.type != S_IFLNK) CHECK(got.mode == want.mode);
    CHECK(got.uid == want.uid);
    CHECK(got.gid == want.gid);
    CHECK(got.content == want.content);
    CHECK(got.target == want.target);
    CHECK(got.mtime.tv_sec == want.mtime.tv_sec);
    if (want.type != S_IFLNK) CHECK(got.mtime.tv_nsec == want.mtime.tv_nsec);
  }
  // The hard-link pair is one inode again; nothing else is.
  REQUIRE(actual.contains("hard-1.txt"));
  REQUIRE(actual.contains("hard-2.txt"));
  CHECK(actual.at("hard-1.txt").inode == actual.at("hard-2.txt").inode);
  CHECK(actual.at("hard-1.txt").links == 2);
  CHECK(actual.at("nanoseconds.txt").mtime.tv_nsec == 123456789);
  CHECK(actual.at("1999.txt").mtime.tv_sec == 929448000);
}

TEST_CASE(
    "write_tar: stats count every kind of entry, and FIFOs and sockets are listed as skipped") {
  TempDir source;
  build_fixture(source.path());
  for (const OnError mode : {OnError::fail, OnError::skip}) {
    const Archived archived = archive_tree(source.path(), {.on_error = mode});
    REQUIRE(archived.stats);
    const TarStats& stats = *archived.stats;
    // Regular files: file.txt, naïve résumé.txt, long name, at the bottom.txt, non-UTF-8,
    // empty.txt, hard-1.txt, mode-0600, mode-0444, setuid, inside.txt, 2 owned-by, big.bin,
    // 1999.txt, nanoseconds.txt.
    CHECK(stats.files == 16);
    CHECK(stats.hardlinks == 1);
    // a dir, a dir/nested, a dir/nested/deeper, café €, 5 deep levels, empty dir, dir-0700.
    CHECK(stats.directories == 11);
    CHECK(stats.symlinks == 4);
    CHECK(stats.entries == 16 + 1 + 11 + 4);
    std::uint64_t content = 0;
    for (const auto& [path, info] : testing::snapshot(source.path())) {
      if (info.type == S_IFREG && path != "hard-2.txt") content += info.content.size();
    }
    CHECK(stats.bytes == content);
    REQUIRE(stats.skipped.size() == 2);
    CHECK(stats.skipped[0].path == "fifo");
    CHECK(stats.skipped[0].reason == "fifo");
    CHECK(stats.skipped[1].path == "socket");
    CHECK(stats.skipped[1].reason == "socket");
  }
}

TEST_CASE(
    "write_tar: entry paths are relative, in sorted order, and the archive is deterministic") {
  TempDir source;
  build_fixture(source.path());
  const Archived first = archive_tree(source.path());
  const Archived second = archive_tree(source.path());
  REQUIRE(first.stats);
  REQUIRE(second.stats);
  CHECK(first.bytes == second.bytes);
  CHECK(first.bytes.size() % 10240 == 0);  // whole 10 KiB records, like GNU tar writes

  const std::vector<std::string> listed = list_with_gnu_tar(first.bytes);
  CHECK(listed.size() == first.stats->entries);
  for (const std::string& path : listed) {
    INFO("path: " << printable_path(path));
    CHECK_FALSE(path.starts_with("/"));
    CHECK_FALSE(path.starts_with("./"));
    CHECK_FALSE(path == "..");
    CHECK_FALSE(path.starts_with("../"));
    CHECK_FALSE(contains(path, "/../"));
  }
  CHECK(std::find(listed.begin(), listed.end(), kLongName) != listed.end());
  CHECK(std::find(listed.begin(), listed.end(), kNonUtf8) != listed.end());
  CHECK(std::find(listed.begin(), listed.end(), deep_dir() + "/at the bottom.txt") != listed.end());
  CHECK(std::find(listed.begin(), listed.end(), "empty dir/") != listed.end());
}

TEST_CASE("write_tar: names are visited in byte order, a directory before its contents") {
  TempDir source;
  testing::write_file(source / "b", "");
  std::filesystem::create_directories(source / "a/z");
  testing::write_file(source / "a/z/file", "");
  testing::write_file(source / "a/B", "");
  testing::write_file(source / "B", "");
  testing::write_file(source / "\xc3\xa9", "");  // é sorts after every ASCII name
  testing::write_file(source / "a.txt", "");
  std::vector<std::string> seen;
  TarOptions options;
  options.before_read_hook = [&](const std::filesystem::path& path) {
    seen.push_back(path.native());
  };
  const Archived archived = archive_tree(source.path(), options);
  REQUIRE(archived.stats);
  const std::vector<std::string> order = {"B",        "a",     "a/B", "a/z",
                                          "a/z/file", "a.txt", "b",   "\xc3\xa9"};
  CHECK(seen == order);
}

TEST_CASE("write_tar: valid UTF-8 names are plain pax paths; only non-UTF-8 ones are BINARY") {
  TempDir source;
  testing::write_file(source / kUnicodeDir, "x");
  Archived archived = archive_tree(source.path());
  REQUIRE(archived.stats);
  CHECK(contains(archived.bytes, "path=" + kUnicodeDir));
  CHECK_FALSE(contains(archived.bytes, "hdrcharset"));

  testing::write_file(source / kNonUtf8, "y");
  archived = archive_tree(source.path());
  REQUIRE(archived.stats);
  CHECK(contains(archived.bytes, "hdrcharset=BINARY"));
  CHECK(contains(archived.bytes, "path=" + kNonUtf8));
}

TEST_CASE(
    "write_tar: nothing under the root is modified, not even access times of files and "
    "directories") {
  TempDir source;
  build_fixture(source.path());
  // Old access times: a plain read would update them (relatime updates atimes older than a day).
  for (const auto& [path, info] : testing::snapshot(source.path())) {
    testing::set_times(source / path, info.mtime.tv_sec, info.mtime.tv_nsec,
                       timespec{946684800, 0});  // 2000-01-01
  }
  const auto before = testing::snapshot(source.path());
  const Archived archived = archive_tree(source.path());
  REQUIRE(archived.stats);
  const auto after = testing::snapshot(source.path());
  REQUIRE(before.size() == after.size());
  for (const auto& [path, want] : before) {
    INFO("path: " << printable_path(path));
    REQUIRE(after.contains(path));
    const EntryInfo& got = after.at(path);
    CHECK(got.content == want.content);
    CHECK(got.mode == want.mode);
    CHECK(got.mtime.tv_sec == want.mtime.tv_sec);
    CHECK(got.mtime.tv_nsec == want.mtime.tv_nsec);
    CHECK(got.ctime.tv_sec == want.ctime.tv_sec);
    CHECK(got.ctime.tv_nsec == want.ctime.tv_nsec);
    // Symbolic links are the exception: readlink() always updates a link's atime, and Linux
    // has no O_NOATIME for it (GNU tar does the same).
    if (want.type != S_IFLNK) CHECK(got.atime.tv_sec == want.atime.tv_sec);
  }
}

// --- entries that change, vanish or cannot be read ---------------------------------------------

struct ProblemCase {
  const char* name;
  std::size_t file_size;                                       // of "victim.txt"
  std::function<void(const std::filesystem::path& root)> act;  // run from the hook
  const char* hook_on;                                         // the entry whose hook acts
  const char* reason;  // expected in the error / skip reason
  bool after_header;   // found after the header: fails even under skip
};

void run_problem_case(const ProblemCase& c) {
  INFO(std::string(c.name));
  TempDir source;
  testing::write_file(source / "a-first.txt", "first\n");
  testing::write_file(source / "victim.txt", random_bytes(c.file_size, 7));
  testing::write_file(source / "z-last.txt", "last\n");
  bool acted = false;
  TarOptions options;
  options.read_chunk_size = 4096;
  options.before_read_hook = [&](const std::filesystem::path& path) {
    if (path.native() == c.hook_on && !acted) {
      acted = true;
      c.act(source.path());
    }
  };

  SUBCASE("on_error = fail: the error names the path and the reason") {
    options.on_error = OnError::fail;
    const Archived archived = archive_tree(source.path(), options);
    REQUIRE_FALSE(archived.stats);
    const Error& error = archived.stats.error();
    CHECK(error.kind == ErrorKind::permanent);
    CHECK(contains(error.message, "victim.txt"));
    CHECK(contains(error.message, c.reason));
    CHECK(contains(error.message, source.path().string()));
    CHECK(contains(error.message, "(hint: "));
  }
  SUBCASE("on_error = skip: left out and listed, or failed when past its header") {
    options.on_error = OnError::skip;
    const Archived archived = archive_tree(source.path(), options);
    if (c.after_header) {
      REQUIRE_FALSE(archived.stats);
      CHECK(archived.stats.error().kind == ErrorKind::permanent);
      CHECK(contains(archived.stats.error().message, "victim.txt"));
      CHECK(contains(archived.stats.error().message, c.reason));
      CHECK(contains(archived.stats.error().message, "after its header was written"));
      return;
    }
    REQUIRE(archived.stats);
    REQUIRE(archived.stats->skipped.size() == 1);
    CHECK(archived.stats->skipped[0].path == "victim.txt");
    CHECK(contains(archived.stats->skipped[0].reason, c.reason));
    CHECK(archived.stats->files == 2);
    const std::vector<std::string> listed = list_with_gnu_tar(archived.bytes);
    CHECK(listed == std::vector<std::string>{"a-first.txt", "z-last.txt"});
  }
}

TEST_CASE(
    "write_tar: a file that changes, shrinks or vanishes fails, or is skipped before its "
    "header") {
  namespace fs = std::filesystem;
  const ProblemCase cases[] = {
      {"small file grows", 1000,
       [](const fs::path& root) { testing::append_file(root / "victim.txt", "more"); },
       "victim.txt", "changed while being read", false},
      {"small file shrinks", 3000,
       [](const fs::path& root) { fs::resize_file(root / "victim.txt", 100); }, "victim.txt",
       "shrank", false},
      {"small file rewritten in place (same size)", 1000,
       [](const fs::path& root) {
         const int fd = ::open((root / "victim.txt").c_str(), O_WRONLY);
         REQUIRE(::pwrite(fd, "XXXX", 4, 0) == 4);
         ::close(fd);
       },
       "victim.txt", "changed while being read", false},
      {"first chunk of a large file cut short", 100000,
       [](const fs::path& root) { fs::resize_file(root / "victim.txt", 1000); }, "victim.txt",
       "shrank", false},
      {"file vanishes between listing and opening", 1000,
       [](const fs::path& root) { fs::remove(root / "victim.txt"); }, "a-first.txt",
       "vanished before it could be read", false},
      {"large file grows after its header", 100000,
       [](const fs::path& root) { testing::append_file(root / "victim.txt", "more"); },
       "victim.txt", "changed while being read", true},
      {"large file shrinks after its header", 100000,
       [](const fs::path& root) { fs::resize_file(root / "victim.txt", 50000); }, "victim.txt",
       "shrank", true},
  };
  for (const ProblemCase& c : cases) run_problem_case(c);
}

TEST_CASE("write_tar: a name replaced by a FIFO before it is stat'ed is skipped as a FIFO") {
  TempDir source;
  testing::write_file(source / "a-first.txt", "first\n");
  testing::write_file(source / "victim.txt", "will be a fifo");
  TarOptions options;
  options.before_read_hook = [&](const std::filesystem::path& path) {
    if (path.native() == "a-first.txt") {
      std::filesystem::remove(source / "victim.txt");
      REQUIRE(::mkfifo((source / "victim.txt").c_str(), 0644) == 0);
    }
  };
  const Archived archived = archive_tree(source.path(), options);
  REQUIRE(archived.stats);
  REQUIRE(archived.stats->skipped.size() == 1);
  CHECK(archived.stats->skipped[0].reason == "fifo");
}

TEST_CASE("write_tar: a directory that vanishes is skipped with its subtree under skip") {
  TempDir source;
  testing::write_file(source / "a-first.txt", "first\n");
  std::filesystem::create_directories(source / "b-dir/inner");
  testing::write_file(source / "b-dir/inner/file", "x");
  testing::write_file(source / "c-last.txt", "last\n");
  TarOptions options;
  options.on_error = OnError::skip;
  options.before_read_hook = [&](const std::filesystem::path& path) {
    if (path.native() == "a-first.txt") std::filesystem::remove_all(source / "b-dir");
  };
  const Archived archived = archive_tree(source.path(), options);
  REQUIRE(archived.stats);
  REQUIRE(archived.stats->skipped.size() == 1);
  CHECK(archived.stats->skipped[0].path == "b-dir");
  CHECK(archived.stats->skipped[0].reason == "vanished before it could be read");
  CHECK(list_with_gnu_tar(archived.bytes) == std::vector<std::string>{"a-first.txt", "c-last.txt"});
}

TEST_CASE(
    "write_tar: when the first name of a hard-linked file is skipped, the next one carries "
    "the contents") {
  TempDir source;
  testing::write_file(source / "h1.txt", "original\n");
  std::filesystem::create_hard_link(source / "h1.txt", source / "h2.txt");
  bool grown = false;
  TarOptions options;
  options.on_error = OnError::skip;
  options.before_read_hook = [&](const std::filesystem::path& path) {
    if (path.native() == "h1.txt" && !grown) {
      grown = true;
      testing::append_file(source / "h1.txt", "appended\n");
    }
  };
  const Archived archived = archive_tree(source.path(), options);
  REQUIRE(archived.stats);
  REQUIRE(archived.stats->skipped.size() == 1);
  CHECK(archived.stats->skipped[0].path == "h1.txt");
  CHECK(archived.stats->files == 1);
  CHECK(archived.stats->hardlinks == 0);
  TempDir extracted;
  REQUIRE(extract_with_gnu_tar(archived.bytes, extracted.path()) == 0);
  const auto tree = testing::snapshot(extracted.path());
  REQUIRE(tree.size() == 1);
  REQUIRE(tree.contains("h2.txt"));
  CHECK(tree.at("h2.txt").type == S_IFREG);
  CHECK(tree.at("h2.txt").content == "original\nappended\n");
}

TEST_CASE("write_tar: unreadable files and directories (EACCES) fail, or are skipped and listed") {
  TempDir source;
  testing::write_file(source / "a-readable.txt", "fine\n");
  testing::write_file(source / "locked.txt", "secret\n", 0000);
  std::filesystem::create_directories(source / "locked-dir");
  testing::write_file(source / "locked-dir/inside.txt", "hidden\n");
  ::chmod((source / "locked-dir").c_str(), 0000);
  testing::write_file(source / "z-readable.txt", "fine\n");

  // Probe: does this thread really get EACCES without the capabilities?
  bool denied = false;
  const bool dropped = testing::run_without_dac_override([&] {
    const int fd = ::open((source / "locked.txt").c_str(), O_RDONLY);
    denied = fd < 0 && errno == EACCES;
    if (fd >= 0) ::close(fd);
  });
  // A probe that cannot deny access would let the cases below pass without testing anything.
  REQUIRE_MESSAGE(dropped, "cannot drop CAP_DAC_OVERRIDE on this thread");
  REQUIRE_MESSAGE(denied, "a file with mode 0000 is still readable without CAP_DAC_OVERRIDE");

  Archived failing{make_error(ErrorKind::permanent, "not run"), ""};
  Archived skipping{make_error(ErrorKind::permanent, "not run"), ""};
  testing::run_without_dac_override([&] {
    failing = archive_tree(source.path(), {.on_error = OnError::fail});
    skipping = archive_tree(source.path(), {.on_error = OnError::skip});
  });
  REQUIRE_FALSE(failing.stats);
  CHECK(failing.stats.error().kind == ErrorKind::permanent);
  CHECK(contains(failing.stats.error().message, "locked-dir"));  // sorted before locked.txt
  CHECK(contains(failing.stats.error().message, "Permission denied"));

  REQUIRE(skipping.stats);
  REQUIRE(skipping.stats->skipped.size() == 2);
  CHECK(skipping.stats->skipped[0].path == "locked-dir");
  CHECK(contains(skipping.stats->skipped[0].reason, "Permission denied"));
  CHECK(skipping.stats->skipped[1].path == "locked.txt");
  CHECK(skipping.stats->skipped[1].reason == "cannot open: Permission denied");
  CHECK(list_with_gnu_tar(skipping.bytes) ==
        std::vector<std::string>{"a-readable.txt", "z-readable.txt"});
}

TEST_CASE("write_tar: an unreadable root fails before writing anything, naming the directory") {
  TempDir scratch;
  testing::write_file(scratch / "a-file", "not a directory");
  struct Case {
    const char* name;
    std::filesystem::path root;
    const char* reason;
  };
  const Case cases[] = {
      {"missing", scratch / "no/such/documents", "No such file or directory"},
      {"a regular file", scratch / "a-file", "Not a directory"},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.name));
    MemorySink sink;
    Cancellation cancellation;
    const auto result = write_tar(c.root, sink, {}, cancellation);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::permanent);
    CHECK(contains(result.error().message, c.root.string()));
    CHECK(contains(result.error().message, c.reason));
    CHECK(result.error().message.ends_with(")"));
    CHECK(contains(result.error().message, "(hint: DOCUMENTS_DIR"));
    CHECK(sink.write_calls() == 0);
  }

  // A root without read permission (0311: searchable, not listable).
  std::filesystem::create_directories(scratch / "locked-root");
  testing::write_file(scratch / "locked-root/file", "x");
  ::chmod((scratch / "locked-root").c_str(), 0311);
  std::optional<Result<TarStats>> locked;
  int writes = -1;
  const bool dropped = testing::run_without_dac_override([&] {
    MemorySink sink;
    Cancellation cancellation;
    locked = write_tar(scratch / "locked-root", sink, {}, cancellation);
    writes = sink.write_calls();
  });
  REQUIRE_MESSAGE(dropped, "cannot drop CAP_DAC_OVERRIDE on this thread");
  REQUIRE(locked.has_value());
  REQUIRE_FALSE(*locked);
  CHECK(locked->error().kind == ErrorKind::permanent);
  CHECK(contains(locked->error().message, (scratch / "locked-root").string()));
  CHECK(contains(locked->error().message, "Permission denied"));
  CHECK(contains(locked->error().message, "(hint: DOCUMENTS_DIR"));
  CHECK(writes == 0);
}

TEST_CASE("write_tar: cancellation stops the walk between entries and between chunks") {
  TempDir source;
  testing::write_file(source / "a.bin", random_bytes(50000, 2));  // fills a few records
  testing::write_file(source / "b.txt", "b");
  testing::write_file(source / "c.bin", random_bytes(200000, 3));
  testing::write_file(source / "d.txt", "d");
  struct Case {
    const char* name;
    const char* cancel_at;  // "" = before the call
  };
  const Case cases[] = {
      {"already cancelled", ""},
      {"between entries", "b.txt"},
      {"inside a large file", "c.bin"},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.name));
    Cancellation cancellation;
    if (std::string(c.cancel_at).empty()) cancellation.cancel(15);
    std::vector<std::string> seen;
    TarOptions options;
    options.read_chunk_size = 4096;
    options.before_read_hook = [&](const std::filesystem::path& path) {
      seen.push_back(path.native());
      if (path.native() == c.cancel_at) cancellation.cancel(15);
    };
    MemorySink sink;
    const auto result = write_tar(source.path(), sink, options, cancellation);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::cancelled);
    CHECK(std::find(seen.begin(), seen.end(), "d.txt") == seen.end());
    if (std::string(c.cancel_at).empty()) CHECK(sink.data().empty());
    // What did reach the sink is not a complete archive: no end-of-archive blocks were added.
    if (!std::string(c.cancel_at).empty()) {
      REQUIRE_FALSE(sink.data().empty());
      TempDir scratch;
      testing::write_file(scratch / "partial.tar", sink.data());
      CHECK(testing::run_capture("tar -tf '" + (scratch / "partial.tar").string() +
                                 "' >/dev/null 2>&1")
                .first != 0);
    }
  }
}

TEST_CASE("write_tar: a sink that fails makes write_tar return its error and write nothing more") {
  TempDir source;
  testing::write_file(source / "small.txt", "small\n");
  testing::write_file(source / "zz-big.bin", random_bytes(500000, 9));
  struct Case {
    const char* name;
    int failing_write;
  };
  const Case cases[] = {{"first write", 1}, {"fifth write", 5}};
  for (const Case& c : cases) {
    INFO(std::string(c.name));
    MemorySink sink;
    sink.fail_on_write(c.failing_write,
                       Error{ErrorKind::transient, "upload of part 2 failed", "SlowDown"});
    Cancellation cancellation;
    const auto result = write_tar(source.path(), sink, {}, cancellation);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::transient);
    CHECK(result.error().message == "upload of part 2 failed");
    CHECK(result.error().code == "SlowDown");
    CHECK(sink.write_calls() == c.failing_write);  // no end-of-archive blocks after the failure
  }

  // A tree smaller than one 10 KiB record reaches the sink only when the archive is closed.
  TempDir tiny;
  testing::write_file(tiny / "only.txt", "x");
  MemorySink sink;
  sink.fail_on_write(1, Error{ErrorKind::permanent, "disk full"});
  Cancellation cancellation;
  const auto result = write_tar(tiny.path(), sink, {}, cancellation);
  REQUIRE_FALSE(result);
  CHECK(result.error().message == "disk full");
}

TEST_CASE("write_tar: printable_path escapes what is not printable UTF-8") {
  struct Case {
    std::string raw;
    std::string printable;
  };
  const Case cases[] = {
      {"plain/name.txt", "plain/name.txt"},
      {"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"},
      {"bad\xff\xfe", "bad\\xff\\xfe"},
      {"tab\there\nnewline", "tab\\x09here\\x0anewline"},
      {"back\\slash", "back\\\\slash"},
      {"truncated \xe2\x82", "truncated \\xe2\\x82"},
      {"overlong \xc0\xaf", "overlong \\xc0\\xaf"},
      {"surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80"},
      {"emoji \xf0\x9f\x93\x84", "emoji \xf0\x9f\x93\x84"},
  };
  for (const Case& c : cases) CHECK(printable_path(c.raw) == c.printable);
}

// Pages of `path` in the page cache, of its first `pages` pages (mincore over a mapping).
std::size_t resident_pages(const std::filesystem::path& path, std::size_t pages) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* map = ::mmap(nullptr, pages * page, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  REQUIRE(map != MAP_FAILED);
  std::vector<unsigned char> in_core(pages);
  REQUIRE(::mincore(map, pages * page, in_core.data()) == 0);
  ::munmap(map, pages * page);
  return static_cast<std::size_t>(
      std::count_if(in_core.begin(), in_core.end(), [](unsigned char c) { return (c & 1) != 0; }));
}

// Drops `path`'s clean pages from the page cache (written back first); false where the file
// system keeps them anyway (tmpfs).
bool evict(const std::filesystem::path& path, std::size_t pages) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  return resident_pages(path, pages) == 0;
}

// Suite "page-cache": the image build's unit run excludes it, because a container build's /var/tmp
// is an overlay whose pages POSIX_FADV_DONTNEED does not evict; CI's host run keeps it.
TEST_CASE(
    "write_tar: read-ahead hints change nothing archived, and the next files of a directory are "
    "in the page cache before they are read" *
    doctest::test_suite("page-cache")) {
  // On a disk-backed file system: on tmpfs (what /tmp may be) evicted pages stay, and the
  // effect of the hints could not be seen. Where even /var/tmp cannot evict, the test fails.
  TempDir source("/var/tmp");
  constexpr std::size_t kFiles = 12;
  constexpr std::size_t kPages = 16;  // 64 KiB files
  for (std::size_t i = 0; i < kFiles; ++i) {
    testing::write_file(source / ("doc-" + std::to_string(100 + i) + ".pdf"),
                        random_bytes(kPages * 4096, i));
  }
  REQUIRE(::mkfifo((source / "doc-103.fifo").c_str(), 0644) == 0);  // hinted over, never opened
  std::filesystem::create_symlink("doc-100.pdf", source / "doc-104.link");
  std::filesystem::create_directories(source / "doc-105.dir");
  testing::write_file(source / "doc-105.dir/inside.txt", "inside\n");
  build_fixture(source / "zz-fixture");

  TarOptions without;
  without.read_ahead_files = 0;
  const Archived plain = archive_tree(source.path(), without);
  REQUIRE(plain.stats);

  bool evictable = true;
  for (std::size_t i = 0; i < kFiles; ++i) {
    evictable = evict(source / ("doc-" + std::to_string(100 + i) + ".pdf"), kPages) && evictable;
  }
  // When the first file is about to be read, the hints for the next ones have been given.
  std::vector<std::size_t> resident_at_first_read;
  TarOptions with;
  with.read_ahead_files = 3;
  with.before_read_hook = [&](const std::filesystem::path& path) {
    if (path.native() != "doc-100.pdf" || !evictable) return;
    // WILLNEED starts the reads; mincore counts a page once it has arrived. Wait for that (a
    // local disk: milliseconds), bounded, then look at every neighbour.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (resident_pages(source / "doc-102.pdf", kPages) < kPages &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    for (std::size_t i = 1; i < 6; ++i) {
      resident_at_first_read.push_back(
          resident_pages(source / ("doc-" + std::to_string(100 + i) + ".pdf"), kPages));
    }
  };
  const Archived hinted = archive_tree(source.path(), with);
  REQUIRE(hinted.stats);
  CHECK(hinted.bytes == plain.bytes);
  CHECK(hinted.stats->files == plain.stats->files);
  CHECK(hinted.stats->skipped.size() == plain.stats->skipped.size());

  // Not a pass by default: a file system that keeps evicted pages shows nothing of read-ahead.
  REQUIRE_MESSAGE(evictable, "the page cache keeps the pages of " << source.path()
                                                                  << " after POSIX_FADV_DONTNEED "
                                                                     "(tmpfs?): read-ahead cannot "
                                                                     "be observed there (hint: "
                                                                     "/var/tmp on a disk)");
  REQUIRE(resident_at_first_read.size() == 5);
  // Window 3 from doc-100: doc-101, doc-102 hinted (doc-103.fifo is the third name), doc-101.pdf
  // .. are sorted before the fifo; the names after the window are not.
  // Sorted names: doc-100.pdf doc-101.pdf doc-102.pdf doc-103.fifo doc-103.pdf doc-104.link ...
  CHECK(resident_at_first_read[0] == kPages);  // doc-101.pdf
  CHECK(resident_at_first_read[1] == kPages);  // doc-102.pdf
  CHECK(resident_at_first_read[2] == 0);       // doc-103.pdf: fourth name after doc-100.pdf
  CHECK(resident_at_first_read[4] == 0);       // doc-105.pdf: outside the window
}

}  // namespace
}  // namespace erp::archive

// -- what no restore accepts, and links that leave the tree (issue 17) ---------------------------

namespace erp::archive {

TEST_CASE("write_tar: a tree deeper than the restore's limit fails, or is skipped and listed") {
  TempDir source;
  testing::write_file(source / "a-first.txt", "fine\n");
  std::filesystem::path deep = source.path();
  std::string relative;
  for (std::size_t level = 0; level < kMaxDepth + 5; ++level) {
    deep /= "d";
    relative += (level == 0 ? "" : "/") + std::string("d");
  }
  std::filesystem::create_directories(deep);
  testing::write_file(deep / "f.pdf", "too deep\n");
  testing::write_file(source / "z-last.txt", "fine\n");

  auto failing = archive_tree(source.path(), {.on_error = OnError::fail});
  REQUIRE_FALSE(failing.stats);
  CHECK(contains(failing.stats.error().message, "more than 256 levels deep"));
  CHECK(contains(failing.stats.error().message, "no restore accepts it"));

  auto skipping = archive_tree(source.path(), {.on_error = OnError::skip});
  REQUIRE(skipping.stats);
  REQUIRE(skipping.stats->skipped.size() == 1);
  // The directory at level 257 is left out with its subtree; the 256 above it are archived.
  std::string at_limit;
  for (std::size_t level = 0; level <= kMaxDepth; ++level)
    at_limit += (level ? "/" : "") + std::string("d");
  CHECK(skipping.stats->skipped[0].path == at_limit);
  CHECK(skipping.stats->directories == kMaxDepth);
  CHECK(skipping.stats->files == 2);
}

TEST_CASE("write_tar: links that leave the tree are archived and counted, the first by name") {
  TempDir source;
  std::filesystem::create_directories(source / "mycompany/logos");
  std::filesystem::create_symlink("/usr/share/common-licenses/GPL", source / "license.txt");
  std::filesystem::create_symlink("../../common-logo.png", source / "mycompany/logo-rel.png");
  std::filesystem::create_symlink("../logo-rel.png", source / "mycompany/logos/inside.png");
  std::filesystem::create_symlink((source / "mycompany").string(), source / "absolute-inside");
  std::filesystem::create_symlink("x/..", source / "unprovable");
  auto archived = archive_tree(source.path());
  REQUIRE(archived.stats);
  CHECK(archived.stats->symlinks == 5);
  const LinksOutside& links = archived.stats->links_outside;
  REQUIRE(links.total == 3);
  REQUIRE(links.listed.size() == 3);
  CHECK(links.listed[0].path == "license.txt");
  CHECK(links.listed[0].target == "/usr/share/common-licenses/GPL");
  CHECK(links.listed[1].path == "mycompany/logo-rel.png");
  CHECK(links.listed[2].path == "unprovable");
}

}  // namespace erp::archive
