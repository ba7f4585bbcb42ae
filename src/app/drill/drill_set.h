// Which set a drill restores: `latest` is the newest complete set that holds a committed dump;
// an ID must name a complete set holding one (a drill proves a whole set: a set whose
// documents failed is refused, naming why).
#pragma once

#include <string>

#include "app/commands/set_prologue.h"

namespace erp::app {

// Logs its refusal ("drill refused", the prefix, why) and hands back the exit code (1 for no
// such set or an incomplete one, what the store's error maps to otherwise).
Step<ChosenSet> choose_drill_set(Context& context, const catalog::KeyLayout& layout,
                                 const std::string& which);

}  // namespace erp::app
