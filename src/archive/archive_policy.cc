#include "archive/archive_policy.h"

#include <algorithm>

#include "archive/printable_path.h"

namespace erp::archive {
namespace {

std::unexpected<Error> refused(std::string_view raw_name, const std::string& why) {
  return make_error(ErrorKind::corrupt, entry_label(raw_name) + ": " + why);
}

// Components of `text` split at '/', without empty and "." ones; `dotdot` tells whether a ".."
// was among them (it is kept).
std::vector<std::string> components_of(std::string_view text, bool& dotdot) {
  std::vector<std::string> parts;
  dotdot = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('/', start), text.size());
    const std::string_view part = text.substr(start, end - start);
    if (!part.empty() && part != ".") {
      if (part == "..") dotdot = true;
      parts.emplace_back(part);
    }
    start = end + 1;
  }
  return parts;
}

bool below(const std::vector<std::string>& path, const std::vector<std::string>& root) {
  return path.size() >= root.size() && std::equal(root.begin(), root.end(), path.begin());
}

}  // namespace

void LinksOutside::add(std::string path, std::string target) {
  ++total;
  const std::size_t bytes = path.size() + target.size();
  if (listed.size() >= kListedLinks || listed_bytes + bytes > kListedLinkBytes) return;
  listed_bytes += bytes;
  listed.push_back(TarLink{std::move(path), std::move(target)});
}

std::string entry_label(std::string_view raw_name) {
  return "tar entry '" + printable_path(raw_name) + "'";
}

Result<std::vector<std::string>> normalise_entry_name(std::string_view name) {
  if (name.empty()) return refused(name, "an empty name");
  if (name.front() == '/') return refused(name, "an absolute name");
  if (name.size() > kMaxNameBytes) {
    return refused(name.substr(0, 64), "a name of " + std::to_string(name.size()) +
                                           " bytes, longer than " + std::to_string(kMaxNameBytes) +
                                           " (PATH_MAX)");
  }
  bool dotdot = false;
  std::vector<std::string> components = components_of(name, dotdot);
  if (dotdot) return refused(name, "a '..' component");
  if (components.size() > kMaxDepth) {
    return refused(name, "a name " + std::to_string(components.size()) +
                             " levels deep, deeper than " + std::to_string(kMaxDepth));
  }
  for (const std::string& part : components) {
    if (part.size() > kMaxComponentBytes) {
      return refused(name, "a component longer than " + std::to_string(kMaxComponentBytes) +
                               " bytes (NAME_MAX)");
    }
  }
  return components;
}

std::string join_name(const std::vector<std::string>& components, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < components.size(); ++i) {
    if (i != 0) out += '/';
    out += components[i];
  }
  return out;
}

Result<std::vector<std::string>> absolute_root(std::string_view root) {
  bool dotdot = false;
  std::vector<std::string> components = components_of(root, dotdot);
  if (root.empty() || root.front() != '/' || dotdot) {
    return make_error(ErrorKind::corrupt, "absolute link root '" + printable_path(root) +
                                              "': not an absolute path without '..'");
  }
  return components;
}

Result<LinkVerdict> judge_symlink(const std::vector<std::string>& name, std::string_view target,
                                  const std::vector<std::vector<std::string>>& absolute_roots) {
  if (target.empty()) return make_error(ErrorKind::corrupt, "a symbolic link with an empty target");
  if (target.size() > kMaxNameBytes) {
    return make_error(ErrorKind::corrupt, "a symbolic link whose target is longer than " +
                                              std::to_string(kMaxNameBytes) + " bytes");
  }
  if (target.front() == '/') {
    bool dotdot = false;
    const std::vector<std::string> components = components_of(target, dotdot);
    if (dotdot) return LinkVerdict{true, "an absolute target with '..'"};
    for (const auto& root : absolute_roots) {
      if (below(components, root)) return LinkVerdict{};
    }
    return LinkVerdict{true, ""};
  }
  // Leading '..'s climb the link's own ancestors, which are directories of the tree (every
  // reader refuses a name below a link); anything after a name is not checkable lexically.
  std::size_t depth = name.empty() ? 0 : name.size() - 1;
  bool leading = true;
  std::size_t start = 0;
  while (start <= target.size()) {
    const std::size_t end = std::min(target.find('/', start), target.size());
    const std::string_view part = target.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      leading = false;
      continue;
    }
    if (!leading) return LinkVerdict{true, "'..' after a name"};
    if (depth == 0) return LinkVerdict{true, ""};
    --depth;
  }
  return LinkVerdict{};
}

Result<EntryChecker> EntryChecker::create(const std::vector<std::string>& absolute_roots) {
  std::vector<std::vector<std::string>> roots;
  for (const std::string& root : absolute_roots) {
    auto parsed = absolute_root(root);
    if (!parsed) return std::unexpected(parsed.error());
    roots.push_back(std::move(*parsed));
  }
  return EntryChecker(std::move(roots));
}

Result<EntryVerdict> EntryChecker::check(const TarEntry& entry) {
  auto name = normalise_entry_name(entry.path);
  if (!name) return std::unexpected(name.error());
  EntryVerdict verdict{.name = std::move(*name)};
  if (entry.type == EntryType::other) return refused(entry.path, "a device node, FIFO or socket");
  if (verdict.name.empty()) {
    if (entry.type == EntryType::directory) return verdict;  // "./": the tree itself
    return refused(entry.path, "a name that is only '.' components");
  }

  // Ancestors: up to the nearest one known as a directory (which was checked the same way and
  // can never become anything else); the unknown ones become implicit directories.
  std::vector<std::string> implicit;
  for (std::size_t count = verdict.name.size() - 1; count >= 1; --count) {
    std::string prefix = join_name(verdict.name, count);
    const auto found = seen_.find(prefix);
    if (found == seen_.end()) {
      implicit.push_back(std::move(prefix));
      continue;
    }
    if (found->second == Kind::directory) break;
    return refused(entry.path,
                   found->second == Kind::symlink
                       ? "goes through the symbolic link '" + printable_path(prefix) + "'"
                       : "goes through '" + printable_path(prefix) + "', which is not a directory");
  }

  const std::string joined = join_name(verdict.name);
  const auto existing = seen_.find(joined);
  const bool exists = existing != seen_.end();
  Kind kind = Kind::file;
  switch (entry.type) {
    case EntryType::directory:
      if (exists && existing->second != Kind::directory) {
        return refused(entry.path, existing->second == Kind::symlink
                                       ? "the name exists in the archive as a symbolic link"
                                       : "the name exists in the archive as a file");
      }
      kind = Kind::directory;
      break;
    case EntryType::hardlink: {
      const std::string shown = "a hard link to '" + printable_path(entry.link_target) + "'";
      auto first = normalise_entry_name(entry.link_target);
      if (!first) return refused(entry.path, shown + ": " + first.error().message);
      if (first->empty()) return refused(entry.path, shown + ", the tree itself");
      const std::string first_joined = join_name(*first);
      if (first_joined == joined) return refused(entry.path, shown + ", itself");
      const auto target = seen_.find(first_joined);
      if (target == seen_.end() || target->second != Kind::file) {
        return refused(entry.path, shown + ", which is not a file archived before it");
      }
      verdict.first = std::move(*first);
      [[fallthrough]];
    }
    case EntryType::file:
      if (exists && existing->second == Kind::directory) {
        return refused(entry.path, "the name exists in the archive as a directory");
      }
      break;
    case EntryType::symlink: {
      if (exists && existing->second == Kind::directory) {
        return refused(entry.path, "the name exists in the archive as a directory");
      }
      auto link = judge_symlink(verdict.name, entry.link_target, roots_);
      if (!link) return refused(entry.path, link.error().message);
      verdict.link = std::move(*link);
      kind = Kind::symlink;
      break;
    }
    case EntryType::other:
      break;
  }
  for (std::string& prefix : implicit) seen_.emplace(std::move(prefix), Kind::directory);
  seen_[joined] = kind;
  return verdict;
}

}  // namespace erp::archive
