// What the commands that read backup sets do first, once: the env's key layout, its catalog,
// the set an `ID|latest` argument names. Each helper logs its failure itself (the command's own
// words, the prefix, the error) and hands back the exit code to end with, so a command reads
//
//   auto chosen = choose_set(context, layout, which, catalog::Stream::db, {...});
//   if (!chosen) return chosen.error();
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "app/commands/context.h"
#include "catalog/catalog.h"
#include "catalog/key_layout.h"

namespace erp::app {

// A step that either gives its value or has logged why the command ends, with this code.
template <typename T>
using Step = std::expected<T, ExitCode>;

// `value`, or its error logged as a usage error (exit 2): for what a command makes of its
// arguments.
template <typename T>
Step<T> or_usage(Context& context, Result<T> value) {
  if (!value) {
    context.log.error(value.error().message);
    return std::unexpected(ExitCode::usage);
  }
  return std::move(*value);
}

// S3_PREFIX/BACKUP_ENV (the layout group must be in the command's needs).
catalog::KeyLayout env_layout(const Context& context);

// The catalog under `layout`. On failure logs `what` (e.g. "verify failed") with the prefix and
// the error; the code is exit_code_for the error.
Step<catalog::Catalog> load_env_catalog(Context& context, const catalog::KeyLayout& layout,
                                        std::string_view what);

// A catalog and one of its sets.
struct ChosenSet {
  catalog::Catalog catalog;
  std::size_t index = 0;
  const catalog::CatalogSet& set() const { return catalog.sets[index]; }
};

// What a command logs when it cannot list the sets, and when the set named is unusable.
struct ChoiceWords {
  std::string_view cannot_list;  // "restore refused: cannot list the sets"
  std::string_view refused;      // "restore refused"
};

// The set `which` (an ID or "latest") names among those holding a committed `stream`
// (catalog::find_set), from the catalog under `layout`.
Step<ChosenSet> choose_set(Context& context, const catalog::KeyLayout& layout,
                           const std::string& which, catalog::Stream stream,
                           const ChoiceWords& words);

}  // namespace erp::app
