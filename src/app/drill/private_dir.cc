#include "app/drill/private_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "archive/staging_area.h"

namespace erp::app {

Result<std::unique_ptr<PrivateDir>> PrivateDir::make(const std::filesystem::path& work_dir,
                                                     std::string_view what) {
  std::string pattern =
      (work_dir / ("erp-drill-" + std::string(what) + "-" + std::to_string(::getpid()) + "-XXXXXX"))
          .string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    const int code = errno;
    const ErrorKind kind = code == ENOENT || code == EACCES || code == EROFS || code == ENOTDIR
                               ? ErrorKind::config
                               : ErrorKind::permanent;
    return make_error(kind, "cannot make a directory in the drill's work directory " +
                                work_dir.string() + ": " + std::strerror(code) +
                                " (hint: DRILL_WORK_DIR must be an existing directory this user "
                                "may write)");
  }
  auto lock = pg::DrillDirLock::create(pattern);
  if (!lock) {
    std::error_code ignored;
    std::filesystem::remove_all(pattern, ignored);
    return std::unexpected(lock.error());
  }
  return std::unique_ptr<PrivateDir>(new PrivateDir(pattern, std::move(*lock)));
}

PrivateDir::~PrivateDir() {
  (void)remove();
}

Result<void> PrivateDir::remove() {
  if (removed_) return {};
  const std::filesystem::path parent = path_.parent_path();
  const int parent_fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent_fd < 0) {
    return make_error(ErrorKind::permanent,
                      "cannot open " + parent.string() + ": " + std::strerror(errno));
  }
  auto removed = archive::remove_tree(parent_fd, path_.filename().string(), path_.string());
  ::close(parent_fd);
  if (removed) {
    removed_ = true;
    lock_.release();  // only now: a sweep taking it would remove the directory
  }
  return removed;
}

}  // namespace erp::app
