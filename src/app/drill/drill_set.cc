#include "app/drill/drill_set.h"

namespace erp::app {
namespace {

constexpr ChoiceWords kWords{.cannot_list = "drill refused: cannot list the sets",
                             .refused = "drill refused"};

}  // namespace

Step<ChosenSet> choose_drill_set(Context& context, const catalog::KeyLayout& layout,
                                 const std::string& which) {
  auto refuse = [&](const std::string& why) -> Step<ChosenSet> {
    context.log.error(std::string(kWords.refused),
                      {{"prefix", layout.env_prefix()}, {"error", why}});
    return std::unexpected(ExitCode::failed);
  };
  if (which != "latest") {
    auto chosen = choose_set(context, layout, which, catalog::Stream::db, kWords);
    if (chosen && !chosen->set().complete) {
      return refuse("set " + which +
                    " is not complete (a stream failed or is missing): a drill proves a whole "
                    "set (hint: drill latest, or another ID from `list`)");
    }
    return chosen;
  }
  auto catalog = load_env_catalog(context, layout, kWords.cannot_list);
  if (!catalog) return std::unexpected(catalog.error());
  for (std::size_t i = catalog->sets.size(); i-- > 0;) {
    const catalog::CatalogSet& set = catalog->sets[i];
    if (set.complete && catalog::holds_stream(set, catalog::Stream::db)) {
      return ChosenSet{.catalog = std::move(*catalog), .index = i};
    }
  }
  return refuse("there is no complete set holding a database dump");
}

}  // namespace erp::app
