#include "s3/list_all_objects.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <string>

namespace erp::s3 {

Result<std::vector<ObjectInfo>> list_all_objects(ObjectStore& store, std::string_view prefix) {
  std::vector<ObjectInfo> objects;
  std::set<std::string> seen_tokens;
  std::string token;
  do {
    auto page = store.list_objects_v2(prefix, token, "", 0);
    if (!page) return std::unexpected(page.error());
    std::ranges::move(page->objects, std::back_inserter(objects));
    token = page->next_continuation_token.value_or("");
    if (!token.empty() && !seen_tokens.insert(token).second) {
      return make_error(ErrorKind::corrupt, "ListObjectsV2 of '" + std::string(prefix) +
                                                "' repeated the continuation token '" + token +
                                                "': the listing does not advance");
    }
  } while (!token.empty());
  return objects;
}

}  // namespace erp::s3
