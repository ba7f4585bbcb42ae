// The user and group names write_tar stores beside the numeric ids (archive/tar_writer.h),
// looked up once per id: a tree of many files has few owners, and a lookup can mean NSS
// (LDAP, sssd). An id without a name gives "" (the entry then carries the number only).
// Not thread-safe: one per archive run.
#pragma once

#include <sys/types.h>

#include <string>
#include <unordered_map>

namespace erp::archive {

class OwnerNames {
 public:
  // Borrowed until the next call.
  const std::string& user(uid_t uid);
  const std::string& group(gid_t gid);

 private:
  std::unordered_map<uid_t, std::string> users_;
  std::unordered_map<gid_t, std::string> groups_;
};

}  // namespace erp::archive
