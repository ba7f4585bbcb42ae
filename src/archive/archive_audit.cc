#include "archive/archive_audit.h"

namespace erp::archive {
namespace {

constexpr std::size_t kReadBlock = 256 * 1024;

}  // namespace

Result<ArchiveAudit> audit_tar(TarReader& reader, const std::vector<std::string>& absolute_roots,
                               const Cancellation& cancellation) {
  std::vector<std::string> roots;
  for (const std::string& root : absolute_roots) {
    if (absolute_root(root)) roots.push_back(root);
  }
  auto checker = EntryChecker::create(roots);
  if (!checker) return std::unexpected(checker.error());
  ArchiveAudit audit;
  std::vector<char> buffer(kReadBlock);
  for (;;) {
    if (cancellation.cancelled()) return make_error(ErrorKind::cancelled, "verify stopped");
    auto entry = reader.next();
    if (!entry) return std::unexpected(entry.error());
    if (!*entry) break;
    const TarEntry& current = **entry;
    audit.counts.add(current.type);
    auto verdict = checker->check(current);
    if (!verdict) {
      if (audit.refusals.size() < kListedRefusals)
        audit.refusals.push_back(verdict.error().message);
      ++audit.refusals_total;
    } else if (verdict->link && verdict->link->leaves_tree) {
      audit.links_outside.add(current.path, current.link_target);
    }
    if (current.type != EntryType::file) continue;
    auto bytes = discard_data(reader, buffer);
    if (!bytes) return std::unexpected(bytes.error());
    audit.counts.content_bytes += *bytes;
  }
  return audit;
}

}  // namespace erp::archive
