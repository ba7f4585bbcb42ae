// Reads a mounted secret (a Kubernetes Secret volume, a Vault agent's file): the content
// without one trailing newline ("\n" or "\r\n"). Errors (permanent) name `variable`, never the
// content nor (for an unreadable file) the path; an empty file is an error. The configuration
// reads NAME_FILE variables with it, the credential providers their key and token files.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace erp {

Result<std::string> read_secret_file(const std::string& path, std::string_view variable);

}  // namespace erp
