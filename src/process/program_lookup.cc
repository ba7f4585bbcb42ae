#include "process/program_lookup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/errno_text.h"

namespace erp::process {

std::string basename_of(std::string_view program) {
  const auto slash = program.rfind('/');
  return std::string(slash == std::string_view::npos ? program : program.substr(slash + 1));
}

std::string with_hint(std::string message, std::string_view hint) {
  if (!hint.empty()) message += " (hint: " + std::string(hint) + ")";
  return message;
}

Result<std::string> resolve_program(std::string_view program, const ChildEnvironment& environment,
                                    std::string_view name, std::string_view hint) {
  if (program.empty()) {
    return make_error(ErrorKind::config, with_hint("no program to start", hint));
  }
  if (program.find('/') != std::string_view::npos) return std::string(program);
  const std::string search(environment.get("PATH").value_or(kDefaultPath));
  std::string not_executable;
  std::size_t begin = 0;
  while (begin <= search.size()) {
    std::size_t end = search.find(':', begin);
    if (end == std::string::npos) end = search.size();
    const std::string dir = search.substr(begin, end - begin);
    begin = end + 1;
    if (dir.empty()) continue;  // "" means the current directory to execvp; never wanted here
    std::string candidate = dir + "/" + std::string(program);
    struct stat info {};
    if (stat(candidate.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (not_executable.empty()) not_executable = candidate;
  }
  if (!not_executable.empty()) {
    return make_error(ErrorKind::config, with_hint("cannot run " + std::string(name) + " (" +
                                                       not_executable + "): " + errno_text(EACCES),
                                                   hint));
  }
  return make_error(ErrorKind::config,
                    with_hint(std::string(name) + " not found on PATH=" + search, hint));
}

Error spawn_error(std::string_view name, const std::string& path, int error,
                  std::string_view hint) {
  if (error == ENOENT) {
    return Error{ErrorKind::config, with_hint(std::string(name) + " not found at " + path, hint)};
  }
  const bool operator_fixable = error == EACCES || error == ENOEXEC || error == ENOTDIR;
  return Error{
      operator_fixable ? ErrorKind::config : ErrorKind::permanent,
      with_hint("cannot start " + std::string(name) + " (" + path + "): " + errno_text(error),
                hint)};
}

}  // namespace erp::process
