#include "core/secret_file.h"

#include <fstream>
#include <sstream>

namespace erp {

Result<std::string> read_secret_file(const std::string& path, std::string_view variable) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    // The path is not echoed: an operator who put the secret itself into NAME_FILE by mistake
    // must not find it in the log.
    return make_error(ErrorKind::permanent, std::string(variable) +
                                                ": cannot read the file it names (hint: is the "
                                                "secret mounted at that path?)");
  }
  std::stringstream content;
  content << file.rdbuf();
  std::string value = content.str();
  if (value.ends_with("\r\n"))
    value.resize(value.size() - 2);
  else if (value.ends_with('\n'))
    value.pop_back();
  if (value.empty()) {
    return make_error(ErrorKind::permanent, std::string(variable) + ": " + path + " is empty");
  }
  return value;
}

}  // namespace erp
