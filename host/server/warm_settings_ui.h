// The space settings page's "Cache warming" section (docs/freshness.md,
// "Scheduled warming"): the schedule (off, hourly, every N minutes) with a
// form to change it, the last run and when the next is due. ui_settings.cpp
// places the section; add_warm_settings_routes registers the form's route.
#pragma once

#include <string>

#include "server/context.h"

namespace vitrine::server {

// The section's HTML; `csrf` is the session's token for the form.
std::string warm_settings_section(ServerContext& ctx, const std::string& space,
                                  const std::string& csrf);

}  // namespace vitrine::server
