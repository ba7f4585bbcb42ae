#include "app/commands/restore_docs_command.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "app/commands/set_prologue.h"
#include "app/restore/docs_staging.h"
#include "archive/archive_policy.h"
#include "archive/staging_area.h"
#include "archive/tree_merge.h"
#include "catalog/catalog.h"

namespace erp::app {
namespace {

struct RestoreDocsArgs {
  std::string which = "latest";
  std::string target_dir;  // --target-dir, else RESTORE_DOCUMENTS_DIR
  bool force = false;
  DocsRestoreRequest request;
};

Result<RestoreDocsArgs> restore_docs_args(const Arguments& args,
                                          const config::RestoreDocsConfig& config) {
  const auto target_dir = args.value("--target-dir").or_else([&] { return config.documents_dir; });
  if (!target_dir) {
    return make_error(ErrorKind::config,
                      "restore docs: no target directory: neither --target-dir nor "
                      "RESTORE_DOCUMENTS_DIR is set (hint: --target-dir /var/www/documents)");
  }
  RestoreDocsArgs parsed{.which = args.positional(0).value_or("latest"),
                         .target_dir = *target_dir,
                         .force = args.has("--force")};
  parsed.request.keep_links_outside = args.has("--keep-links-outside");
  parsed.request.keep_setid = args.has("--keep-setid");
  parsed.request.subtree = args.value("--subtree").value_or("");
  for (const std::string& root : args.values("--absolute-links-under")) {
    if (!archive::absolute_root(root)) {
      return make_error(ErrorKind::config,
                        "--absolute-links-under '" + root + "': not an absolute path without '..'");
    }
    parsed.request.absolute_links_under.push_back(root);
  }
  if (!parsed.request.subtree.empty()) {
    // The archive's own rule for names: a subtree that no entry could have is a usage error.
    auto name = archive::normalise_entry_name(parsed.request.subtree);
    if (!name || name->empty()) {
      return make_error(ErrorKind::config,
                        "--subtree '" + parsed.request.subtree +
                            "': not a relative path inside the documents tree (hint: e.g. "
                            "mycompany or mycompany/logos)");
    }
    parsed.request.subtree = archive::join_name(*name);
  }
  return parsed;
}

enum class TargetState { absent, empty, not_empty };

// What `dir` holds; staging directories left by killed runs do not count. Errors: config for a
// path that is not a directory (or a symbolic link to one); permanent when unreadable.
Result<TargetState> target_state(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    const int code = errno;
    if (code == ENOENT) return TargetState::absent;
    return make_error(
        ErrorKind::config,
        "target directory " + dir.string() + ": " + std::strerror(code) +
            (code == ELOOP ? " (it is a symbolic link; name the real directory)" : "") +
            " (hint: --target-dir or RESTORE_DOCUMENTS_DIR)");
  }
  DIR* listing = ::fdopendir(fd);
  if (listing == nullptr) {
    ::close(fd);
    return make_error(ErrorKind::permanent, "cannot list " + dir.string());
  }
  TargetState state = TargetState::empty;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string name = entry->d_name;
    if (name == "." || name == ".." || archive::is_staging_directory(::dirfd(listing), name)) {
      continue;
    }
    state = TargetState::not_empty;
    break;
  }
  ::closedir(listing);
  return state;
}

}  // namespace

ExitCode run_restore_docs(Context& context, const Arguments& args) {
  Logger& log = context.log;
  auto parsed = or_usage(context, restore_docs_args(args, *context.settings.restore_docs));
  if (!parsed) return parsed.error();
  const std::string& target_dir = parsed->target_dir;
  const auto absolute = absolute_directory(target_dir);
  if (!absolute) {
    log.error("restore docs: cannot make the target directory absolute",
              {{"target", target_dir}, {"error", absolute.error().message}});
    return ExitCode::usage;
  }
  const std::filesystem::path& target = *absolute;
  auto state = target_state(target);
  if (!state) {
    log.error("restore docs failed",
              {{"target", target.string()}, {"error", state.error().message}});
    return exit_code_for(state.error(), context.cancellation);
  }
  if (*state == TargetState::not_empty && !parsed->force) {
    log.error(
        "restore docs: the target directory is not empty; nothing was written (hint: "
        "--force restores over it: existing files and links of the archive's names are "
        "replaced, everything else stays)",
        {{"target", target.string()}});
    return ExitCode::usage;
  }

  auto chosen =
      choose_set(context, env_layout(context), parsed->which, catalog::Stream::docs,
                 {.cannot_list = "restore docs failed", .refused = "restore docs refused"});
  if (!chosen) return chosen.error();
  const catalog::Manifest& manifest = *chosen->set().manifest;
  const catalog::StreamRecord& record = *manifest.docs;
  const archive::ExtractOptions options =
      extract_options_for(manifest, target, *context.settings.restore_docs, parsed->request);
  if (auto links = refuse_recorded_links(manifest, options); !links) {
    log.error("restore docs refused", {{"id", manifest.id},
                                       {"key", record.key},
                                       {"target", target.string()},
                                       {"error", links.error().message}});
    return ExitCode::failed;
  }

  // From here on the target is written to: first only into a staging directory inside it.
  const bool created = *state == TargetState::absent;
  if (created && ::mkdir(target.c_str(), 0755) != 0) {
    const int code = errno;
    log.error("restore docs failed", {{"target", target.string()},
                                      {"error", std::string("mkdir: ") + std::strerror(code)}});
    return ExitCode::failed;
  }
  auto fail = [&](const Error& error, std::string_view what) {
    log.error(std::string("restore docs failed") + std::string(what), {{"id", manifest.id},
                                                                       {"key", record.key},
                                                                       {"target", target.string()},
                                                                       {"error", error.message}});
    return exit_code_for(error, context.cancellation);
  };
  // A target this run made goes again when the restore fails (after `area`, declared below,
  // removed the staging directory in it).
  struct RemoveCreated {
    const std::filesystem::path& dir;
    bool armed;
    ~RemoveCreated() {
      if (armed) ::rmdir(dir.c_str());
    }
  } remove_created{target, created};
  auto area = archive::StagingArea::open(target);
  if (!area) return fail(area.error(), "");
  if (!(*area)->locked()) {
    log.warn(
        "restore docs: the target's file system has no flock; make sure no other restore "
        "runs into it",
        {{"target", target.string()}});
  }
  for (const std::string& leftover : (*area)->leftovers()) {
    log.warn("restore docs: a staging directory left by an interrupted run",
             {{"path", (target / leftover).string()},
              {"action", (*area)->locked() ? "removed" : "kept: delete it when no restore runs"}});
  }
  if ((*area)->locked()) {
    if (auto removed = (*area)->remove_leftovers(); !removed) return fail(removed.error(), "");
  }
  if (auto made = (*area)->create(manifest.id); !made) return fail(made.error(), "");
  log.info("restore docs", {{"id", manifest.id},
                            {"key", record.key},
                            {"target", target.string()},
                            {"staging", (target / (*area)->name()).string()},
                            {"subtree", options.subtree}});

  const std::string unchanged = "; nothing in the target directory was changed";
  auto staged = stage_set_docs(context.s3, manifest, **area, options, context.cancellation);
  if (!staged) return fail(staged.error(), unchanged);
  const archive::SafeExtractor& extractor = **staged;
  const archive::TreeMerge::DirectoryLookup archived =
      [&extractor](const std::vector<std::string>& name) {
        return extractor.archived_directory(name);
      };
  auto merge =
      archive::TreeMerge::plan((*area)->tree_fd(), (*area)->dir_fd(), target.string(), archived);
  if (!merge) return fail(merge.error(), unchanged);
  remove_created.armed = false;
  (*area)->mark_changed();
  if (auto applied =
          merge->apply((*area)->tree_fd(), (*area)->dir_fd(), archived, options.restore_owners);
      !applied) {
    return fail(applied.error(), " while moving the restored entries into place");
  }
  if (auto discarded = (*area)->discard(); !discarded) {
    log.warn("restore docs: the staging directory could not be removed; delete it",
             {{"path", (target / (*area)->name()).string()}, {"error", discarded.error().message}});
  }

  const archive::ExtractStats stats = extractor.stats();
  log.info("restore docs ok", {{"id", manifest.id},
                               {"key", record.key},
                               {"target", target.string()},
                               {"files", std::to_string(stats.files)},
                               {"directories", std::to_string(stats.directories)},
                               {"symlinks", std::to_string(stats.symlinks)},
                               {"hardlinks", std::to_string(stats.hardlinks)},
                               {"bytes", std::to_string(stats.bytes)},
                               {"links_outside_kept", std::to_string(stats.links_outside)},
                               {"setid_dropped", std::to_string(stats.setid_dropped)},
                               {"moved", std::to_string(merge->moved())},
                               {"replaced", std::to_string(merge->replaced())},
                               {"sha256", record.sha256}});
  return ExitCode::ok;
}

}  // namespace erp::app
