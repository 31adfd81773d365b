// The host's own markup around each macro: the frame, the "as of" notice,
// the stale marker and the error box. Everything inserted here is escaped
// text; the plugin's (already sanitized) fragment goes in as is.
#pragma once

#include <cstdint>
#include <string>

namespace vitrine::render {

// "10:42 UTC, 29 Nov 2026"
std::string format_as_of(int64_t unix_ms);

std::string wrap_content(const std::string& macro_key, const std::string& sanitized_html,
                         int64_t as_of_ms, bool stale, const std::string& stale_reason);
std::string wrap_error(const std::string& macro_key, const std::string& message,
                       const std::string& rule);

}  // namespace vitrine::render
