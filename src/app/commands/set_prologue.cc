#include "app/commands/set_prologue.h"

namespace erp::app {

catalog::KeyLayout env_layout(const Context& context) {
  return catalog::KeyLayout(context.settings.layout->prefix, context.settings.layout->env);
}

Step<catalog::Catalog> load_env_catalog(Context& context, const catalog::KeyLayout& layout,
                                        std::string_view what) {
  auto catalog = catalog::load_catalog(context.s3, layout);
  if (!catalog) {
    context.log.error(std::string(what),
                      {{"prefix", layout.env_prefix()}, {"error", catalog.error().message}});
    return std::unexpected(exit_code_for(catalog.error(), context.cancellation));
  }
  return std::move(*catalog);
}

Step<ChosenSet> choose_set(Context& context, const catalog::KeyLayout& layout,
                           const std::string& which, catalog::Stream stream,
                           const ChoiceWords& words) {
  auto catalog = load_env_catalog(context, layout, words.cannot_list);
  if (!catalog) return std::unexpected(catalog.error());
  auto found = catalog::find_set(*catalog, which, stream);
  if (!found) {
    context.log.error(std::string(words.refused),
                      {{"prefix", layout.env_prefix()}, {"error", found.error().message}});
    return std::unexpected(exit_code_for(found.error(), context.cancellation));
  }
  const std::size_t index = static_cast<std::size_t>(*found - catalog->sets.data());
  return ChosenSet{.catalog = std::move(*catalog), .index = index};
}

}  // namespace erp::app
