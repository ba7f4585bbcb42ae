// DirectoryChain: the open directories on one path below a root directory, kept from one call
// to the next, so that visiting names in archive order (a directory's entries together, depth
// first) costs one openat() per directory entered instead of one per level per name: linear in
// the depth of a tree, not quadratic (issue 17: 4000 levels cost 22 s when every entry walked
// down from the root).
//
// Every step is openat(parent, component, O_DIRECTORY|O_NOFOLLOW): a component that exists but
// is not a directory — above all a symbolic link — is a hostile entry ("goes through the
// symbolic link 'a/b'"), whatever it points to. So no name is ever resolved through a link, and
// no check-then-use race through one exists. A descriptor once opened stays the directory that
// was checked, whatever later happens to its name; the callers never remove or replace a
// directory they hold in the chain.
//
// Errors: corrupt (hostile, as above) naming `shown`; permanent for a failed system call
// (errno text and the path). Open descriptors: one per level of the current path (at most
// kMaxDepth, archive/archive_policy.h). Borrows `root_fd`. One thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace erp::archive {

class DirectoryChain {
 public:
  explicit DirectoryChain(int root_fd) : root_fd_(root_fd) {}
  ~DirectoryChain() { clear(); }
  DirectoryChain(const DirectoryChain&) = delete;
  DirectoryChain& operator=(const DirectoryChain&) = delete;

  // The descriptor of the directory components[0, count) (the root for count 0), valid until
  // the next call or clear(). Reuses the prefix shared with the previous call and opens the
  // rest one step at a time; missing directories are created (mode `create_mode`, umask
  // applies) when `create` is set.
  Result<int> open(const std::vector<std::string>& components, std::size_t count, bool create,
                   const std::string& shown, unsigned create_mode = 0755);

  // Closes every descriptor of the chain (not the root).
  void clear();

  // openat() calls made so far: what the tests count to prove the cost linear.
  std::uint64_t opens() const { return opens_; }

 private:
  int root_fd_;
  std::vector<std::string> names_;  // the path the chain holds
  std::vector<int> fds_;            // fds_[i] is names_[0..i]
  std::uint64_t opens_ = 0;
};

// The names in the directory open as `dir_fd` (not "." and ".."), sorted byte-wise; the fd's
// position is left alone (it lists a duplicate). Errors: permanent, "SHOWN: cannot list: ...".
Result<std::vector<std::string>> sorted_names(int dir_fd, const std::string& shown);

}  // namespace erp::archive
