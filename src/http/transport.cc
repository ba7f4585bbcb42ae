#include "http/transport.h"

#include <strings.h>

namespace erp::http {

std::optional<std::string_view> find_header(const std::vector<Header>& headers,
                                            std::string_view name) {
  for (const Header& header : headers) {
    if (header.name.size() == name.size() &&
        strncasecmp(header.name.data(), name.data(), name.size()) == 0) {
      return std::string_view(header.value);
    }
  }
  return std::nullopt;
}

}  // namespace erp::http
