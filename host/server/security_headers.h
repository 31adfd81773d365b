// Headers every response carries, applied after the handler so no handler
// can forget them. HTML gets the strict CSP; everything gets nosniff and
// Referrer-Policy same-origin; API and HTML answers are not cached (assets set their own
// caching).
#pragma once

#include <string>

#include "server/http.h"

namespace vitrine::server {

// The CSP of every HTML response.
std::string html_csp(const std::string& frame_ancestors);
// frame_ancestors is a CSP source list from the config; anything that could
// end the directive or the header (';', ',', CR, LF, other control bytes)
// falls back to 'none' rather than let the config inject directives.
std::string safe_frame_ancestors(const std::string& configured);

void apply_security_headers(Response& response, const std::string& frame_ancestors);

}  // namespace vitrine::server
