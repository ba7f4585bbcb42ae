#include "app/restore_docs_command.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "app/object_commands.h"
#include "archive/safe_extractor.h"
#include "archive/tar_reader.h"
#include "catalog/catalog.h"
#include "codec/sha256_source.h"
#include "codec/zstd_source.h"
#include "s3/object_source.h"

namespace erp::app {
namespace {

constexpr std::string_view kUsage =
    "erp-backup restore docs [ID|latest] [--target-dir DIR] [--subtree PATH] [--force] "
    "[--absolute-links-under PATH]...";

struct RestoreDocsArgs {
  std::string which = "latest";
  std::optional<std::string> target_dir;
  std::string subtree;
  bool force = false;
  std::vector<std::string> link_roots;
};

Result<RestoreDocsArgs> parse_args(const std::vector<std::string>& args) {
  RestoreDocsArgs parsed;
  bool chosen = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        return make_error(ErrorKind::config,
                          arg + " needs a value (hint: " + std::string(kUsage) + ")");
      }
      return args[++i];
    };
    if (arg == "--force") {
      parsed.force = true;
    } else if (arg == "--target-dir" || arg == "--subtree" || arg == "--absolute-links-under") {
      auto got = value();
      if (!got) return std::unexpected(got.error());
      if (arg == "--target-dir") parsed.target_dir = *got;
      if (arg == "--subtree") parsed.subtree = *got;
      if (arg == "--absolute-links-under") parsed.link_roots.push_back(*got);
    } else if (!chosen && !arg.starts_with("-")) {
      parsed.which = arg;
      chosen = true;
    } else {
      return make_error(ErrorKind::config,
                        "unexpected argument '" + arg + "' (hint: " + std::string(kUsage) + ")");
    }
  }
  return parsed;
}

// Whether `dir` holds any entry; nullopt when it does not exist. Errors: permanent (not a
// directory, unreadable).
Result<std::optional<bool>> holds_entries(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int code = errno;
    if (code == ENOENT) return std::optional<bool>{};
    return make_error(ErrorKind::config, "target directory " + dir.string() + ": " +
                                             std::strerror(code) +
                                             " (hint: --target-dir or RESTORE_DOCUMENTS_DIR)");
  }
  DIR* listing = ::fdopendir(fd);
  if (listing == nullptr) {
    ::close(fd);
    return make_error(ErrorKind::permanent, "cannot list " + dir.string());
  }
  bool any = false;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      any = true;
      break;
    }
  }
  ::closedir(listing);
  return std::optional<bool>(any);
}

// The archive's entries through a fresh chain: object → sha256 → zstd → tar.
struct ArchiveChain {
  s3::ObjectSource object;
  codec::Sha256Source hashed{object};
  std::unique_ptr<codec::ZstdSource> decoder;
  std::unique_ptr<archive::TarReader> reader;

  ArchiveChain(s3::ObjectStore& store, const std::string& key) : object(store, key) {}
  Result<void> open() {
    auto zstd = codec::ZstdSource::create(hashed);
    if (!zstd) return std::unexpected(zstd.error());
    decoder = std::move(*zstd);
    auto tar = archive::TarReader::open(*decoder);
    if (!tar) return std::unexpected(tar.error());
    reader = std::move(*tar);
    return {};
  }
};

}  // namespace

int restore_set_docs(Context& context, const catalog::CatalogSet& set,
                     const std::filesystem::path& target, archive::ExtractOptions options) {
  Logger& log = context.log;
  const catalog::Manifest& manifest = *set.manifest;
  const catalog::StreamRecord& record = *manifest.docs;
  // Absolute links may point into the target and into the tree the backup was taken from
  // (where the application serves the documents), besides the caller's roots.
  options.absolute_link_roots.push_back(target.string());
  if (manifest.documents && !manifest.documents->root.empty() &&
      manifest.documents->root.front() == '/') {
    options.absolute_link_roots.push_back(manifest.documents->root);
  }
  auto extractor = archive::SafeExtractor::open(target, options, context.cancellation);
  if (!extractor) {
    log.error("restore docs failed",
              {{"target", target.string()}, {"error", extractor.error().message}});
    return exit_code_for(extractor.error(), context.cancellation);
  }
  log.info("restore docs", {{"id", manifest.id},
                            {"key", record.key},
                            {"target", target.string()},
                            {"subtree", options.subtree}});
  auto fail = [&](const Error& error) {
    log.error("restore docs failed", {{"id", manifest.id},
                                      {"key", record.key},
                                      {"target", target.string()},
                                      {"error", error.message}});
    return exit_code_for(error, context.cancellation);
  };

  ArchiveChain chain(context.s3, record.key);
  if (auto opened = chain.open(); !opened) return fail(opened.error());
  if (auto done = (*extractor)->extract(*chain.reader); !done) return fail(done.error());
  // The end-of-archive blocks may leave padding unread: the hash covers every byte.
  if (auto drained = chain.hashed.drain(); !drained) return fail(drained.error());
  std::vector<std::string> mismatches;
  if (chain.hashed.bytes() != record.bytes) {
    mismatches.push_back(std::to_string(chain.hashed.bytes()) + " bytes read, the manifest says " +
                         std::to_string(record.bytes));
  }
  if (chain.hashed.hex() != record.sha256) {
    mismatches.push_back("SHA-256 " + chain.hashed.hex() + ", the manifest says " + record.sha256);
  }
  if (!mismatches.empty()) {
    std::string text = record.key + ": the archive does not match its manifest (";
    for (std::size_t i = 0; i < mismatches.size(); ++i) text += (i ? "; " : "") + mismatches[i];
    text += "); its entries were extracted into " + target.string() +
            " before the end of the object could be checked: do not use them (hint: erp-backup "
            "verify " +
            manifest.id + ")";
    return fail(Error{ErrorKind::corrupt, text});
  }

  if (!(*extractor)->outside_links().empty()) {
    // Hard links inside the subtree to a first name outside it: that content went by in the
    // first pass; read the archive again up to it (archive/safe_extractor.h).
    log.info("restore docs: second pass for hard links to names outside the subtree",
             {{"names", std::to_string((*extractor)->outside_links().size())}});
    ArchiveChain again(context.s3, record.key);
    if (auto opened = again.open(); !opened) return fail(opened.error());
    if (auto done = (*extractor)->extract_outside_links(*again.reader); !done) {
      return fail(done.error());
    }
  }
  if (auto finished = (*extractor)->finish(); !finished) return fail(finished.error());

  const archive::ExtractStats& stats = (*extractor)->stats();
  log.info("restore docs ok", {{"id", manifest.id},
                               {"key", record.key},
                               {"target", target.string()},
                               {"files", std::to_string(stats.files)},
                               {"directories", std::to_string(stats.directories)},
                               {"symlinks", std::to_string(stats.symlinks)},
                               {"hardlinks", std::to_string(stats.hardlinks)},
                               {"bytes", std::to_string(stats.bytes)},
                               {"sha256", chain.hashed.hex()}});
  return 0;
}

int run_restore_docs(Context& context, const std::vector<std::string>& args) {
  Logger& log = context.log;
  auto parsed = parse_args(args);
  if (!parsed) {
    log.error(parsed.error().message);
    return 2;
  }
  std::optional<std::string> target_dir = parsed->target_dir;
  if (!target_dir) target_dir = context.settings.restore_docs->documents_dir;
  if (!target_dir) {
    log.error(
        "restore docs: no target directory: neither --target-dir nor RESTORE_DOCUMENTS_DIR is "
        "set (hint: --target-dir /var/www/documents)");
    return 2;
  }
  std::error_code cwd_error;
  const std::filesystem::path absolute = std::filesystem::absolute(*target_dir, cwd_error);
  if (cwd_error) {
    log.error("restore docs: cannot make the target directory absolute",
              {{"target", *target_dir}, {"error", cwd_error.message()}});
    return 2;
  }
  const std::filesystem::path target = absolute.lexically_normal();
  auto existing = holds_entries(target);
  if (!existing) {
    log.error("restore docs failed",
              {{"target", target.string()}, {"error", existing.error().message}});
    return exit_code_for(existing.error(), context.cancellation);
  }
  if (*existing && **existing && !parsed->force) {
    log.error(
        "restore docs: the target directory is not empty; nothing was written (hint: "
        "--force restores over it: existing files and links of the archive's names are "
        "replaced, everything else stays)",
        {{"target", target.string()}});
    return 2;
  }

  const catalog::KeyLayout layout(context.settings.layout->prefix, context.settings.layout->env);
  auto catalog = catalog::load_catalog(context.s3, layout);
  if (!catalog) {
    log.error("restore docs failed",
              {{"prefix", layout.env_prefix()}, {"error", catalog.error().message}});
    return exit_code_for(catalog.error(), context.cancellation);
  }
  auto set = erp::catalog::find_set(*catalog, parsed->which, erp::catalog::Stream::docs);
  if (!set) {
    log.error("restore docs refused",
              {{"prefix", layout.env_prefix()}, {"error", set.error().message}});
    return 1;
  }
  if (!*existing && ::mkdir(target.c_str(), 0755) != 0) {
    const int code = errno;
    log.error("restore docs failed", {{"target", target.string()},
                                      {"error", std::string("mkdir: ") + std::strerror(code)}});
    return 1;
  }
  const archive::ExtractOptions options{.subtree = parsed->subtree,
                                        .absolute_link_roots = parsed->link_roots,
                                        .restore_owners = ::geteuid() == 0};
  return restore_set_docs(context, **set, target, options);
}

}  // namespace erp::app
