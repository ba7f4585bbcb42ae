#include "app/commands/refresh_sandbox_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "app/commands/set_prologue.h"
#include "app/restore/docs_staging.h"
#include "app/restore/restore_db.h"
#include "archive/archive_policy.h"
#include "archive/directory_chain.h"
#include "archive/staging_area.h"
#include "archive/tree_merge.h"
#include "catalog/catalog.h"
#include "config/layout_config.h"

namespace erp::app {
namespace {

struct RefreshArgs {
  std::string from_env;                 // --from-env ENV
  std::filesystem::path documents_dir;  // RESTORE_DOCUMENTS_DIR, absolute
};

// --from-env (the parser makes sure it is given) and RESTORE_DOCUMENTS_DIR. Errors: config for
// no env name, or no documents directory.
Result<RefreshArgs> refresh_args(const Arguments& args, const config::RestoreDocsConfig& config) {
  const std::string env = args.value("--from-env").value_or("");
  if (!config::valid_env_name(env)) {
    return make_error(ErrorKind::config, "--from-env '" + env +
                                             "' is not an env name (hint: lower-case letters, "
                                             "digits and '-', e.g. prod)");
  }
  if (!config.documents_dir) {
    return make_error(ErrorKind::config,
                      "missing RESTORE_DOCUMENTS_DIR (hint: the sandbox's documents directory, "
                      "whose REFRESH_DOCS_SUBTREE is replaced)");
  }
  auto documents_dir = absolute_directory(*config.documents_dir);
  if (!documents_dir) return std::unexpected(documents_dir.error());
  return RefreshArgs{.from_env = env, .documents_dir = std::move(*documents_dir)};
}

const catalog::CatalogSet* newest_full_set(const catalog::Catalog& catalog) {
  for (auto it = catalog.sets.rbegin(); it != catalog.sets.rend(); ++it) {
    if (it->complete && it->streams() == catalog::StreamSet::both()) return &*it;
  }
  return nullptr;
}

bool owned(const struct stat& st) {
  return ::geteuid() == 0 || st.st_uid == ::geteuid();
}

// The sandbox's subtree as the swap sees it: its parent directory (open) and its leaf name.
struct SubtreePlace {
  std::vector<std::string> name;  // REFRESH_DOCS_SUBTREE's components
  int parent_fd = -1;             // borrowed from the chain
  bool present = false;           // the sandbox holds it now
  struct stat st {};              // when present
};

// Whether the swap can happen: the subtree's parent is writable, the subtree (if any) is a
// directory or a file on the staging directory's file system that this user may move.
// Errors: permanent naming the path and what is in the way.
Result<void> check_swap(const SubtreePlace& place, const std::filesystem::path& current,
                        dev_t staging_device) {
  auto refuse = [&](const std::string& why) {
    return make_error(ErrorKind::permanent, current.string() + ": " + why);
  };
  if (::faccessat(place.parent_fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
    return refuse("its directory is not writable by uid " + std::to_string(::geteuid()));
  }
  if (!place.present) return {};
  if (!S_ISDIR(place.st.st_mode) && !S_ISREG(place.st.st_mode)) {
    return refuse(
        "it is a symbolic link or a special file, not the documents subtree (hint: "
        "replace it by the real directory)");
  }
  if (place.st.st_dev != staging_device) {
    return refuse(
        "another file system is mounted there: the subtree cannot be swapped by a "
        "rename (hint: mount the documents volume at RESTORE_DOCUMENTS_DIR, not the "
        "subtree)");
  }
  if (S_ISDIR(place.st.st_mode) && (place.st.st_mode & S_IWUSR) == 0 && !owned(place.st)) {
    return refuse("it belongs to uid " + std::to_string(place.st.st_uid) +
                  " and is read-only: it cannot be moved aside");
  }
  return {};
}

}  // namespace

ExitCode run_refresh_sandbox(Context& context, const Arguments& args) {
  auto parsed = or_usage(context, refresh_args(args, *context.settings.restore_docs));
  if (!parsed) return parsed.error();
  const auto& [from_env, root] = *parsed;
  Logger& log = context.log;
  std::error_code error;
  const std::string subtree = context.settings.restore_docs->refresh_subtree;
  const std::filesystem::path current = root / subtree;

  // 1. The set, from the bucket only.
  const catalog::KeyLayout layout(context.settings.layout->prefix, from_env);
  auto catalog = load_env_catalog(context, layout, "refresh refused: cannot list the sets");
  if (!catalog) return catalog.error();
  const catalog::CatalogSet* set = newest_full_set(*catalog);
  if (set == nullptr) {
    log.error("refresh refused: no complete set with both a dump and documents",
              {{"prefix", layout.env_prefix()}});
    return ExitCode::failed;
  }
  const catalog::Manifest& manifest = *set->manifest;
  log.info("refresh-sandbox starting",
           {{"from_env", from_env}, {"id", set->id}, {"documents_subtree", subtree}});
  auto refused = [&](const Error& why) {
    log.error("refresh refused before the database was touched; the sandbox is unchanged",
              {{"id", set->id}, {"documents", current.string()}, {"error", why.message}});
    return exit_code_for(why, context.cancellation);
  };

  // 2. The documents, staged and checked before the database is touched.
  const archive::ExtractOptions options = extract_options_for(
      manifest, root, *context.settings.restore_docs, DocsRestoreRequest{.subtree = subtree});
  if (auto links = refuse_recorded_links(manifest, options); !links) return refused(links.error());
  std::filesystem::create_directories(root, error);  // a first refresh may find none
  auto area = archive::StagingArea::open(root);
  if (!area) return refused(area.error());
  if (!(*area)->locked()) {
    log.warn(
        "refresh-sandbox: the documents' file system has no flock; make sure no other "
        "restore runs into it",
        {{"documents", root.string()}});
  }
  SubtreePlace place;
  place.name = archive::normalise_entry_name(subtree).value_or(std::vector<std::string>{subtree});
  const std::string leaf = place.name.back();
  archive::DirectoryChain sandbox((*area)->dir_fd());
  auto parent = sandbox.open(place.name, place.name.size() - 1, true, current.string());
  if (!parent) return refused(parent.error());
  place.parent_fd = *parent;
  auto look = [&]() -> Result<void> {
    place.present = ::fstatat(place.parent_fd, leaf.c_str(), &place.st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!place.present && errno != ENOENT) {
      return make_error(ErrorKind::permanent,
                        current.string() + ": fstatat: " + std::strerror(errno));
    }
    return {};
  };
  if (auto looked = look(); !looked) return refused(looked.error());
  // A run killed between the two renames of its swap left the sandbox's subtree in old/ of its
  // staging directory: put it back before anything else.
  for (const std::string& leftover : (*area)->leftovers()) {
    const std::string old = leftover + "/old";
    struct stat st {};
    if (::fstatat((*area)->dir_fd(), old.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    const std::string shown = (root / old).string();
    const int leftover_fd = ::openat((*area)->dir_fd(), leftover.c_str(),
                                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (leftover_fd < 0) continue;
    Result<void> done;
    if (!place.present) {
      done = archive::move_entry(leftover_fd, "old", place.parent_fd, leaf, shown);
      if (done)
        log.warn("refresh-sandbox: put back the subtree an interrupted refresh took out",
                 {{"from", shown}, {"to", current.string()}});
    } else {
      done = archive::remove_tree(leftover_fd, "old", shown);  // a newer copy is in place
    }
    ::close(leftover_fd);
    if (!done) return refused(done.error());
    if (auto looked = look(); !looked) return refused(looked.error());
  }
  for (const std::string& leftover : (*area)->leftovers()) {
    log.warn("refresh-sandbox: a staging directory left by an interrupted run",
             {{"path", (root / leftover).string()},
              {"action", (*area)->locked() ? "removed" : "kept: delete it when no restore runs"}});
  }
  if ((*area)->locked()) {
    if (auto removed = (*area)->remove_leftovers(); !removed) return refused(removed.error());
  }
  if (auto made = (*area)->create(set->id); !made) return refused(made.error());
  auto staged = stage_set_docs(context.s3, manifest, **area, options, context.cancellation);
  if (!staged) return refused(staged.error());
  archive::DirectoryChain staging((*area)->tree_fd());
  auto staged_parent = staging.open(place.name, place.name.size() - 1, false, "staged " + subtree);
  if (!staged_parent) return refused(staged_parent.error());
  struct stat staging_st {};
  if (::fstat((*area)->staging_fd(), &staging_st) != 0) {
    return refused(Error{ErrorKind::permanent, "fstat of the staging directory failed"});
  }
  if (auto possible = check_swap(place, current, staging_st.st_dev); !possible) {
    return refused(possible.error());
  }

  // 3. The database.
  if (auto restored = restore_set_db(context, *set, {.force_drop_owned = true}); !restored) {
    log.error("refresh-sandbox failed in the database step; the documents were not touched",
              {{"id", set->id}});
    return restored.error().code;
  }

  // 4. The swap: two renames on one file system.
  const std::string staging_path = (root / (*area)->name()).string();
  (*area)->mark_changed();
  if (place.present) {
    if (auto aside = archive::move_entry(place.parent_fd, leaf, (*area)->staging_fd(), "old",
                                         current.string());
        !aside) {
      log.error(
          "refresh-sandbox: the database was refreshed, but the documents subtree could "
          "not be moved aside; it is unchanged",
          {{"id", set->id}, {"documents", current.string()}, {"error", aside.error().message}});
      return ExitCode::partial;
    }
  }
  if (auto in = archive::move_entry(*staged_parent, leaf, place.parent_fd, leaf, current.string());
      !in) {
    if (place.present) {
      if (auto back = archive::move_entry((*area)->staging_fd(), "old", place.parent_fd, leaf,
                                          current.string());
          !back) {
        (*area)->keep();  // the sandbox's documents are in there: never delete them
        log.error(
            "refresh-sandbox: the database was refreshed, the new documents could not be "
            "moved in, and the old subtree could not be put back: it is in the staging "
            "directory; move it back by hand (or run refresh-sandbox again, which does)",
            {{"id", set->id},
             {"documents", current.string()},
             {"old_subtree", staging_path + "/old"},
             {"error", in.error().message},
             {"error_putting_back", back.error().message}});
        return ExitCode::partial;
      }
    }
    log.error(
        "refresh-sandbox: the database was refreshed, but the new documents subtree could "
        "not be moved in; the old one is back in place",
        {{"id", set->id}, {"documents", current.string()}, {"error", in.error().message}});
    return ExitCode::partial;
  }
  staging.clear();
  if (auto discarded = (*area)->discard(); !discarded) {
    log.warn(
        "refresh-sandbox: the staging directory (with the old subtree) could not be "
        "removed; delete it",
        {{"path", staging_path}, {"error", discarded.error().message}});
  }
  const archive::ExtractStats stats = (*staged)->stats();
  log.info("refresh-sandbox done", {{"from_env", from_env},
                                    {"id", set->id},
                                    {"documents", current.string()},
                                    {"files", std::to_string(stats.files)},
                                    {"setid_dropped", std::to_string(stats.setid_dropped)}});
  return ExitCode::ok;
}

}  // namespace erp::app
