// TempDir: a fresh directory under /tmp for one test, removed with everything in it on
// destruction (also when the test left entries without permissions: the tests run as root or
// own what they made). Throws std::runtime_error when mkdtemp fails: test support.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace erp::testing {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "erp-test-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to path()/name (mode 0755 when executable) and returns the full path.
  std::string write_file(std::string_view name, std::string_view text,
                         bool executable = false) const;

 private:
  std::filesystem::path path_;
};

}  // namespace erp::testing
