// Settings whose value is a directory something is created in or removed under (DRILL_WORK_DIR,
// DRILL_PG_BINDIR, DOCUMENTS_DIR, ...): an absolute path without "..", so that it means one place
// whatever the current directory or a symlinked parent. One reader, one wording of the problem:
// "malformed NAME 'value' (explanation)".
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "config/environment.h"
#include "config/problems.h"

namespace erp::config {

// Whether `path` is absolute and has no ".." part. Pure.
bool plain_absolute(const std::filesystem::path& path);

// NAME's value, lexically normal; nullopt when unset, or when it is not plain_absolute: then
// "malformed NAME 'value' (explanation)" is added to `problems`.
std::optional<std::filesystem::path> read_plain_absolute_path(const Environment& env,
                                                              std::string_view name,
                                                              std::string_view explanation,
                                                              Problems& problems);

}  // namespace erp::config
