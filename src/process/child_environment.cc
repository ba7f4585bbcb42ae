#include "process/child_environment.h"

#include <algorithm>

namespace erp::process {

ChildEnvironment::Entry::~Entry() {
  wipe(text);
}

const ChildEnvironment::Entry* ChildEnvironment::find(std::string_view name) const {
  for (const auto& entry : entries_) {
    if (std::string_view(entry->text).substr(0, entry->name_size) == name) return entry.get();
  }
  return nullptr;
}

void ChildEnvironment::put(std::string_view name, std::string_view value, bool secret) {
  if (name.empty() || name.find('=') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return;
  }
  auto entry = std::make_unique<Entry>();
  entry->text.reserve(name.size() + 1 + value.size());
  entry->text.append(name).append("=").append(value);
  entry->name_size = name.size();
  entry->secret = secret;
  for (auto& existing : entries_) {
    if (std::string_view(existing->text).substr(0, existing->name_size) == name) {
      existing = std::move(entry);  // the old entry wipes itself
      return;
    }
  }
  entries_.push_back(std::move(entry));
}

void ChildEnvironment::set(std::string_view name, std::string_view value) {
  put(name, value, false);
}

void ChildEnvironment::set_secret(std::string_view name, const Secret& value) {
  put(name, value.reveal(), true);
}

void ChildEnvironment::unset(std::string_view name) {
  std::erase_if(entries_, [name](const std::unique_ptr<Entry>& entry) {
    return std::string_view(entry->text).substr(0, entry->name_size) == name;
  });
}

std::optional<std::string_view> ChildEnvironment::get(std::string_view name) const {
  const Entry* entry = find(name);
  if (entry == nullptr) return std::nullopt;
  return std::string_view(entry->text).substr(entry->name_size + 1);
}

std::string ChildEnvironment::redacted() const {
  std::string out;
  for (const auto& entry : entries_) {
    if (entry->secret) {
      out.append(entry->text, 0, entry->name_size + 1).append(Secret::kRedacted);
    } else {
      out += entry->text;
    }
    out += '\n';
  }
  return out;
}

std::vector<char*> ChildEnvironment::envp() const {
  std::vector<char*> pointers;
  pointers.reserve(entries_.size() + 1);
  // execve's prototype takes char* const[] for historical reasons; it does not write.
  for (const auto& entry : entries_) pointers.push_back(const_cast<char*>(entry->text.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace erp::process
