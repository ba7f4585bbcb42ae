// What a documents archive may hold: one policy for every reader and for the writer's walk, so
// that the extractor (restore docs, refresh-sandbox), verify and the backup can never disagree
// about an entry (issue 17). The archive is treated as hostile: a backup bucket is writable by
// more parties than the documents volume.
//
// Names. An entry's name is split at '/'; empty and "." components are dropped ("./a//b" is
// "a/b"). Refused (corrupt, naming the entry): an empty name, an absolute name, a ".."
// component, a name longer than kMaxNameBytes, a component longer than kMaxComponentBytes, or
// more than kMaxDepth components. The backup's walk applies the same limits
// (archive/tar_writer.h), so a tree that could not be restored is never archived silently.
//
// Symbolic links are judged lexically, never by looking at a file system (verify has none, and
// the extractor must not follow links):
//   - a relative target is resolved from the link's own directory inside the archive's
//     namespace (`a/b/l -> ../../x` is "x"; `l -> ..` leaves the tree). '..' may only lead the
//     target: after a name (`x/..`) it would resolve through whatever that name is (another
//     link, say `x -> .`, makes `x/..` the parent of the tree), which no lexical check can see,
//     so such a target counts as leaving the tree;
//   - an absolute target stays inside only when it lies under one of the absolute roots the
//     caller names (lexically normalised; a target with '..' never does). Who may name roots is
//     the caller's contract: restore names the target directory, DOCUMENTS_DIR and each
//     --absolute-links-under; the backup names the tree it archives; verify names the manifest's
//     root, and only to report, never to permit anything (app/sets/verify.h).
// A link that leaves the tree is not an error here: the verdict says so and why, and the caller
// decides (the extractor refuses it unless asked to keep it; verify and the backup report it).
// An empty target, or one longer than kMaxNameBytes, is refused.
//
// EntryChecker applies the rules that need what came earlier in the archive:
//   - an entry below a name the archive holds as a file or a symbolic link ("a symlink then a
//     file through it") is refused;
//   - a directory entry whose name the archive holds as a file or link, and a file or link
//     whose name it holds as a directory, are refused (the "symlink replaced by a directory"
//     attack); a repeated file or link name replaces the earlier one, a repeated directory
//     entry repeats its metadata;
//   - a hard link must name a regular file archived before it (not itself, not a later entry,
//     not a directory or link, nothing outside the tree: its first name is a name like any
//     other);
//   - devices, FIFOs and sockets are refused (the backup never writes them).
// These hold for the whole archive, whatever part of it a caller extracts.
//
// Cost: EntryChecker remembers every name it accepted with its kind (one hash-map entry per
// archive entry: for 100,000 documents about 10 MiB); each check costs O(length of the name),
// the ancestors being looked up only up to the nearest known directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "archive/tar_reader.h"
#include "core/error.h"

namespace erp::archive {

// PATH_MAX (4096) less its terminating NUL: longer names cannot be passed to a system call.
inline constexpr std::size_t kMaxNameBytes = 4095;
// NAME_MAX: no Linux file system stores a longer component.
inline constexpr std::size_t kMaxComponentBytes = 255;
// Components of a name. Real documents trees are a dozen levels deep; 256 leaves room for any
// of them while bounding the directory descriptors a walk holds open (one per level) well
// under the usual 1024 open files.
inline constexpr std::size_t kMaxDepth = 256;

// How many links that leave the tree a backup lists by name (manifest `links_outside`), and the
// bytes of names and targets they may take: the manifest stays small (every one is counted in
// links_outside_total whatever the list holds).
inline constexpr std::size_t kListedLinks = 1000;
inline constexpr std::size_t kListedLinkBytes = 64 * 1024;

// A symbolic link that leaves the tree: its name and target as stored (raw bytes; show them with
// printable_path).
struct TarLink {
  std::string path;
  std::string target;
};

// The links that leave a tree, as a backup records them: the first ones (at most kListedLinks,
// and kListedLinkBytes of names and targets) and how many in all.
struct LinksOutside {
  std::vector<TarLink> listed;
  std::uint64_t total = 0;
  std::size_t listed_bytes = 0;
  void add(std::string path, std::string target);
};

// "tar entry 'NAME'" with NAME made printable: how every message names an entry.
std::string entry_label(std::string_view raw_name);

// Splits and normalises an entry name: "./a//b/" → {"a", "b"}; "." → {}. Errors: corrupt for an
// empty, absolute, too long or too deep name or a ".." component (the message names the entry).
Result<std::vector<std::string>> normalise_entry_name(std::string_view name);

// "a/b" from {"a", "b"}: the first `count` components (all by default).
std::string join_name(const std::vector<std::string>& components,
                      std::size_t count = static_cast<std::size_t>(-1));

// An absolute root as components ("/var/www/documents/" → {"var", "www", "documents"}). Errors:
// corrupt for a relative root or one holding '..'.
Result<std::vector<std::string>> absolute_root(std::string_view root);

struct LinkVerdict {
  bool leaves_tree = false;
  std::string why;  // when it leaves: "" (plainly outside), "'..' after a name" or
                    // "an absolute target with '..'"
};

// Where the symbolic link `name` (normalised, non-empty) with target `target` leads. Errors:
// corrupt for an empty or too long target.
Result<LinkVerdict> judge_symlink(const std::vector<std::string>& name, std::string_view target,
                                  const std::vector<std::vector<std::string>>& absolute_roots);

struct EntryVerdict {
  std::vector<std::string> name;    // normalised; {} is the tree itself (a "./" directory)
  std::vector<std::string> first;   // hard links: the normalised first name
  std::optional<LinkVerdict> link;  // symbolic links: where it leads
};

class EntryChecker {
 public:
  // Errors: corrupt for a root that is not absolute or holds '..'.
  static Result<EntryChecker> create(const std::vector<std::string>& absolute_roots);

  // Checks `entry` against the policy and every entry accepted before it; an accepted entry is
  // remembered, a refused one is not. Errors: corrupt, naming the entry and why.
  Result<EntryVerdict> check(const TarEntry& entry);

 private:
  enum class Kind : unsigned char { directory, file, symlink };
  explicit EntryChecker(std::vector<std::vector<std::string>> roots) : roots_(std::move(roots)) {}

  std::vector<std::vector<std::string>> roots_;
  std::unordered_map<std::string, Kind> seen_;  // joined name → what the archive holds there
};

}  // namespace erp::archive
