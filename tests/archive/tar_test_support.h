// Helpers shared by the archive tests: temporary trees, a metadata snapshot of a tree (read with
// O_NOATIME so that taking it changes nothing), running GNU tar / zstd through popen, running
// code on a thread without the capabilities that let root ignore file permissions, and
// archives no honest writer makes (hostile_archive).
// Header-only: only *_test.cc files and tests/fakes/*.cc are compiled.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "archive/tar_writer.h"
#include "core/cancellation.h"
#include "fakes/memory_sink.h"

namespace erp::testing {

// A fresh directory under /tmp (or `parent`), removed (with everything in it) on destruction.
// A test that needs a disk-backed file system (the page cache must be able to drop a file's
// pages, which tmpfs cannot) passes "/var/tmp": /tmp may be a tmpfs.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = "/tmp") {
    std::string name = parent + "/erp-archive-test-XXXXXX";
    if (mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + parent);
    path_ = name;
  }
  ~TempDir() {
    std::error_code ignored;
    // Tests may leave directories without permissions; root removes them anyway.
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view relative) const {
    return path_ / std::filesystem::path(std::string(relative));
  }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, std::string_view content,
                       mode_t mode = 0644) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + path.string());
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) throw std::runtime_error("cannot write " + path.string());
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (::chmod(path.c_str(), mode) != 0) throw std::runtime_error("chmod " + path.string());
}

inline void append_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream file(path, std::ios::binary | std::ios::app);
  file.write(content.data(), static_cast<std::streamsize>(content.size()));
}

// Sets mtime (and atime, to the same value unless given) without following a symlink.
inline void set_times(const std::filesystem::path& path, time_t seconds, long nanoseconds,
                      std::optional<timespec> atime = std::nullopt) {
  const timespec times[2] = {atime.value_or(timespec{seconds, nanoseconds}),
                             timespec{seconds, nanoseconds}};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    throw std::runtime_error("utimensat " + path.string());
  }
}

// What the tests compare about one path of a tree.
struct EntryInfo {
  mode_t type = 0;  // S_IFREG, S_IFDIR, S_IFLNK, ...
  mode_t mode = 0;  // permission bits incl. setuid/setgid/sticky
  uid_t uid = 0;
  gid_t gid = 0;
  std::string content;  // regular files
  std::string target;   // symlinks
  timespec mtime{};
  timespec atime{};
  timespec ctime{};
  ino_t inode = 0;
  nlink_t links = 0;
};

// Every path under `root` (relative, raw bytes, "/"-separated; root itself excluded). Opens
// files and directories with O_NOATIME, so taking a snapshot changes no access time (root may).
inline std::map<std::string, EntryInfo> snapshot(const std::filesystem::path& root) {
  std::map<std::string, EntryInfo> entries;
  std::function<void(int, const std::string&)> walk = [&](int dir_fd, const std::string& prefix) {
    const int list_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_NOATIME | O_CLOEXEC);
    DIR* dir = ::fdopendir(list_fd);
    if (dir == nullptr) throw std::runtime_error("cannot list " + prefix);
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    for (const std::string& name : names) {
      struct stat st {};
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        throw std::runtime_error("cannot stat " + prefix + name);
      }
      EntryInfo info;
      info.type = st.st_mode & S_IFMT;
      info.mode = st.st_mode & 07777;
      info.uid = st.st_uid;
      info.gid = st.st_gid;
      info.mtime = st.st_mtim;
      info.atime = st.st_atim;
      info.ctime = st.st_ctim;
      info.inode = st.st_ino;
      info.links = st.st_nlink;
      if (S_ISREG(st.st_mode)) {
        const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOATIME | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("cannot open " + prefix + name);
        char buffer[65536];
        for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
          info.content.append(buffer, n);
        ::close(fd);
      } else if (S_ISLNK(st.st_mode)) {
        std::string target(4096, '\0');
        const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        target.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
        info.target = target;
      }
      entries[prefix + name] = info;
      if (S_ISDIR(st.st_mode)) {
        const int child = ::openat(dir_fd, name.c_str(),
                                   O_RDONLY | O_DIRECTORY | O_NOATIME | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0) throw std::runtime_error("cannot open " + prefix + name);
        walk(child, prefix + name + "/");
        ::close(child);
      }
    }
    ::closedir(dir);
  };
  const int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) throw std::runtime_error("cannot open " + root.string());
  walk(root_fd, "");
  ::close(root_fd);
  return entries;
}

// Runs `command` with /bin/sh, feeding `input` to its stdin; returns its exit status (or -1).
// A command that exits early must not kill the test binary with SIGPIPE: SIGPIPE is blocked in
// this thread only while writing (after popen, so the child starts with the normal mask) and a
// pending one is consumed; no process-wide disposition is changed.
inline int run_with_input(const std::string& command, std::string_view input) {
  FILE* pipe = ::popen(command.c_str(), "w");
  if (pipe == nullptr) return -1;
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  std::fwrite(input.data(), 1, input.size(), pipe);
  const int status = ::pclose(pipe);
  const timespec no_wait{0, 0};
  while (sigtimedwait(&pipe_signal, nullptr, &no_wait) == SIGPIPE) {
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs `command` with /bin/sh; returns {exit status or -1, its stdout}.
inline std::pair<int, std::string> run_capture(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::string output;
  char buffer[65536];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Runs `work` on a new thread whose effective capabilities lack CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH (capabilities are per thread on Linux), so that root there gets EACCES
// like anyone else. Returns false when the capabilities could not be dropped (then `work` did
// not run).
inline bool run_without_dac_override(const std::function<void()>& work) {
  bool dropped = false;
  std::thread thread([&] {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) return;
    const unsigned mask = (1U << CAP_DAC_OVERRIDE) | (1U << CAP_DAC_READ_SEARCH);
    data[0].effective &= ~mask;
    if (::syscall(SYS_capset, &header, data) != 0) return;
    dropped = true;
    work();
  });
  thread.join();
  return dropped;
}

// One entry of an archive built by hostile_archive().
struct ArchiveEntry {
  std::string path;
  unsigned type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFIFO, AE_IFCHR
  std::string content;
  std::string symlink;
  std::string hardlink;
  unsigned mode = 0;  // 0: 0755 for directories, 0644 for the rest
};

// A pax archive of `entries`, written with libarchive's writer (not write_tar, which would
// never produce these).
inline std::string hostile_archive(const std::vector<ArchiveEntry>& entries) {
  std::string out;
  struct archive* writer = archive_write_new();
  REQUIRE(writer != nullptr);
  REQUIRE(archive_write_set_format_pax(writer) == ARCHIVE_OK);
  auto on_write = [](struct archive*, void* data, const void* buffer, size_t length) {
    static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  };
  REQUIRE(archive_write_open(writer, &out, nullptr, on_write, nullptr) == ARCHIVE_OK);
  for (const ArchiveEntry& e : entries) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, e.mode != 0 ? e.mode : e.type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_mtime(entry, 1'700'000'000, 0);
    if (!e.symlink.empty()) archive_entry_set_symlink(entry, e.symlink.c_str());
    if (!e.hardlink.empty()) archive_entry_set_hardlink(entry, e.hardlink.c_str());
    if (e.type == AE_IFCHR) archive_entry_set_rdev(entry, makedev(1, 3));
    archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    REQUIRE(archive_write_header(writer, entry) == ARCHIVE_OK);
    if (!e.content.empty()) {
      REQUIRE(archive_write_data(writer, e.content.data(), e.content.size()) ==
              static_cast<la_ssize_t>(e.content.size()));
    }
    archive_entry_free(entry);
  }
  REQUIRE(archive_write_close(writer) == ARCHIVE_OK);
  archive_write_free(writer);
  return out;
}

// The whole pax archive write_tar makes of `root` (the test fails if it cannot).
inline std::string archive_of(const std::filesystem::path& root) {
  MemorySink sink;
  Cancellation cancellation;
  auto stats = archive::write_tar(root, sink, {}, cancellation);
  REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
  return sink.data();
}

}  // namespace erp::testing
