// The complete environment of a child process (process/child_process.h): nothing of this
// process's environment leaks through, and the values that are credentials (PGPASSWORD) are
// redacted when shown and wiped when the environment goes.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"

namespace erp::process {

// The complete environment of a child, in insertion order. Move-only; every entry's bytes
// are wiped when the environment is destroyed, because some of them are credentials.
class ChildEnvironment {
 public:
  ChildEnvironment() = default;
  ChildEnvironment(ChildEnvironment&&) noexcept = default;
  ChildEnvironment& operator=(ChildEnvironment&&) noexcept = default;
  ChildEnvironment(const ChildEnvironment&) = delete;
  ChildEnvironment& operator=(const ChildEnvironment&) = delete;

  // Sets `name` (replacing an earlier value, keeping its position). `name` must be
  // non-empty and hold no '=' or NUL; such a name is ignored (it cannot be expressed).
  void set(std::string_view name, std::string_view value);
  // Same, for a credential: the value is copied (and wiped with the rest) and redacted().
  void set_secret(std::string_view name, const Secret& value);
  void unset(std::string_view name);
  // The value of `name`; nullopt when unset. Borrowed until the next change.
  std::optional<std::string_view> get(std::string_view name) const;
  std::size_t size() const { return entries_.size(); }
  // "NAME=value" lines for debugging, secret values shown as <redacted>.
  std::string redacted() const;
  // NULL-terminated "NAME=value" pointers for execve; borrowed until the next change.
  std::vector<char*> envp() const;

 private:
  // Each entry stays at one heap address for its life (the vector moves only pointers), so
  // wiping it in its destructor wipes the only copy.
  struct Entry {
    std::string text;  // "NAME=value"
    std::size_t name_size = 0;
    bool secret = false;
    ~Entry();
  };
  const Entry* find(std::string_view name) const;
  void put(std::string_view name, std::string_view value, bool secret);
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace erp::process
