// HTML output helpers. Every string that came from Grafana or from the page
// author passes through one of these before it reaches the HTML: the host
// sanitizes plugin output too (ABI-13), but correct escaping here keeps the
// fragment right even before it is sanitized.
#pragma once

#include <string>
#include <string_view>

namespace vitrine::pc {

// Escapes & < > " ' for element text.
std::string esc(std::string_view text);
// Escapes for a double-quoted attribute value (same set; kept separate so a
// future change to one context cannot weaken the other).
std::string esc_attr(std::string_view text);
// True for an absolute http(s) URL without control characters or spaces;
// anything else (javascript:, data:, relative) is not linked.
bool is_safe_link(std::string_view url);
// Truncates to at most `max_bytes` on a UTF-8 boundary, appending "…".
std::string ellipsize(std::string_view text, size_t max_bytes);

}  // namespace vitrine::pc
