#include "archive/owner_names.h"

#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <cstddef>
#include <vector>

namespace erp::archive {
namespace {

// The name `lookup` (getpwuid_r or getgrgid_r) gives `id`, growing the scratch buffer while
// it is too small (up to 1 MiB); "" when there is none.
template <typename Record, typename Id, typename Lookup, typename NameOf>
std::string look_up(Id id, Lookup lookup, NameOf name_of) {
  std::vector<char> scratch(16384);
  for (;;) {
    Record record{};
    Record* result = nullptr;
    const int error = lookup(id, &record, scratch.data(), scratch.size(), &result);
    if (error == ERANGE && scratch.size() < (std::size_t{1} << 20)) {
      scratch.resize(scratch.size() * 2);
      continue;
    }
    if (error == 0 && result != nullptr) return name_of(*result);
    return {};
  }
}

// Caches look_up's answer per id.
template <typename Map, typename Make>
const std::string& cached(Map& map, typename Map::key_type id, Make make) {
  auto found = map.find(id);
  if (found != map.end()) return found->second;
  return map.emplace(id, make(id)).first->second;
}

}  // namespace

const std::string& OwnerNames::user(uid_t uid) {
  return cached(users_, uid, [](uid_t id) {
    return look_up<passwd>(id, getpwuid_r, [](const passwd& record) { return record.pw_name; });
  });
}

const std::string& OwnerNames::group(gid_t gid) {
  return cached(groups_, gid, [](gid_t id) {
    return look_up<struct group>(id, getgrgid_r,
                                 [](const struct group& record) { return record.gr_name; });
  });
}

}  // namespace erp::archive
