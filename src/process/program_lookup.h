// Finding the program a child runs and wording why it could not start (process/spawn.cc).
// The search uses the child's PATH, not this process's: the child runs with exactly the
// environment the caller gave it.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "process/child_environment.h"

namespace erp::process {

// Used when the child's environment has no PATH; the same places execvp would search,
// minus the current directory.
inline constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// The last component of `program` ("pg_dump" for "/usr/bin/pg_dump").
std::string basename_of(std::string_view program);

// `message` with " (hint: <hint>)" appended when `hint` is not empty.
std::string with_hint(std::string message, std::string_view hint);

// The path to execute: `program` itself when it holds a '/', else the first regular,
// executable file of that name in `environment`'s PATH (kDefaultPath without one; empty
// entries, the current directory to execvp, are skipped). Errors, all config and naming
// `name`, ending with `hint`: no program, not found on the PATH (quoted), or found but not
// executable.
Result<std::string> resolve_program(std::string_view program, const ChildEnvironment& environment,
                                    std::string_view name, std::string_view hint);

// The error for posix_spawn's `error` starting `path`: not found, not executable and the like
// are config (the operator can fix them), anything else permanent.
Error spawn_error(std::string_view name, const std::string& path, int error, std::string_view hint);

}  // namespace erp::process
