#include "app/restore/docs_staging.h"

#include <unistd.h>

#include "app/restore/docs_read_chain.h"
#include "archive/archive_policy.h"

namespace erp::app {
namespace {

constexpr std::size_t kShownLinks = 5;

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  return parts;
}

}  // namespace

Result<std::filesystem::path> absolute_directory(const std::string& dir) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::absolute(dir, error);
  if (error) return make_error(ErrorKind::config, dir + ": " + error.message());
  path = path.lexically_normal();
  if (!path.has_filename() && path != path.root_path()) path = path.parent_path();
  return path;
}

archive::ExtractOptions extract_options_for(const catalog::Manifest& manifest,
                                            const std::filesystem::path& final_dir,
                                            const config::RestoreDocsConfig& config,
                                            const DocsRestoreRequest& request) {
  archive::ExtractOptions options{.subtree = request.subtree,
                                  .absolute_link_roots = request.absolute_links_under,
                                  .keep_links_outside = request.keep_links_outside,
                                  .keep_setid = request.keep_setid,
                                  .restore_owners = ::geteuid() == 0};
  options.absolute_link_roots.push_back(final_dir.string());
  options.absolute_link_roots.push_back(config.link_root);
  if (manifest.documents) {
    options.max_content_bytes = manifest.documents->uncompressed_bytes;
    options.max_entries = manifest.documents->entries();
  }
  return options;
}

Result<void> refuse_recorded_links(const catalog::Manifest& manifest,
                                   const archive::ExtractOptions& options) {
  if (options.keep_links_outside || !manifest.documents) return {};
  std::vector<std::vector<std::string>> roots;
  for (const std::string& root : options.absolute_link_roots) {
    if (auto parsed = archive::absolute_root(root)) roots.push_back(std::move(*parsed));
  }
  const std::vector<std::string> subtree = components(options.subtree);
  std::vector<std::string> refused;
  std::uint64_t count = 0;
  for (const catalog::LinkRecord& link : manifest.documents->links_outside) {
    const std::vector<std::string> name = components(link.path);
    if (name.empty() || name.size() < subtree.size() ||
        !std::equal(subtree.begin(), subtree.end(), name.begin())) {
      continue;
    }
    auto verdict = archive::judge_symlink(name, link.target, roots);
    if (verdict && !verdict->leaves_tree) continue;
    if (refused.size() < kShownLinks)
      refused.push_back("'" + link.path + "' -> '" + link.target + "'");
    ++count;
  }
  if (count == 0) return {};
  std::string text = "the set's documents hold " + std::to_string(count) + " symbolic link" +
                     (count == 1 ? "" : "s") +
                     " leaving the target directory, recorded at backup time: ";
  for (std::size_t i = 0; i < refused.size(); ++i) text += (i ? ", " : "") + refused[i];
  if (count > refused.size()) text += ", ...";
  text +=
      "; nothing was written (hint: --keep-links-outside recreates them as links, never "
      "followed; --absolute-links-under PATH allows absolute targets under PATH)";
  return make_error(ErrorKind::corrupt, text);
}

Result<std::unique_ptr<archive::SafeExtractor>> stage_set_docs(
    s3::ObjectStore& store, const catalog::Manifest& manifest, archive::StagingArea& area,
    const archive::ExtractOptions& options, const Cancellation& cancellation) {
  const catalog::StreamRecord& record = *manifest.docs;
  auto extractor = archive::SafeExtractor::open(area.tree_path(), options, cancellation);
  if (!extractor) return std::unexpected(extractor.error());

  auto chain = DocsReadChain::open(store, record);
  if (!chain) return std::unexpected(chain.error());
  if (auto done = (*extractor)->extract((*chain)->reader()); !done) {
    return std::unexpected(done.error());
  }
  if (auto checked = (*chain)->finish(); !checked) return std::unexpected(checked.error());
  chain->reset();  // stops its fetch thread before a second read starts

  if (!options.subtree.empty() && (*extractor)->stats().in_subtree == 0) {
    return make_error(ErrorKind::not_found,
                      record.key + ": the archive holds nothing under '" + options.subtree +
                          "' (hint: the subtree is a path relative to the documents root, e.g. "
                          "mycompany)");
  }
  if (!(*extractor)->outside_links().empty()) {
    // Hard links inside the subtree to a first name outside it: that content went by in the
    // first read; read the archive again (archive/safe_extractor.h), checked like the first.
    auto again = DocsReadChain::open(store, record);
    if (!again) return std::unexpected(again.error());
    if (auto done = (*extractor)->extract_outside_links((*again)->reader()); !done) {
      return std::unexpected(done.error());
    }
    if (auto checked = (*again)->finish(); !checked) return std::unexpected(checked.error());
  }
  if (auto finished = (*extractor)->finish(); !finished) {
    return std::unexpected(finished.error());
  }
  return std::move(*extractor);
}

}  // namespace erp::app
