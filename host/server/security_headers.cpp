#include "server/security_headers.h"

#include <algorithm>

namespace vitrine::server {

std::string safe_frame_ancestors(const std::string& configured) {
  const bool bad =
      configured.empty() || std::any_of(configured.begin(), configured.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u >= 0x7f || c == ';' || c == ',';
      });
  return bad ? "'none'" : configured;
}

std::string html_csp(const std::string& frame_ancestors) {
  return "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
         "frame-ancestors " +
         safe_frame_ancestors(frame_ancestors) + "; base-uri 'none'; form-action 'self'";
}

void apply_security_headers(Response& response, const std::string& frame_ancestors) {
  response.set_header("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null"
  // on same-origin form posts, which the CSRF Origin check must refuse. No
  // referrer ever leaves this origin either way.
  response.set_header("Referrer-Policy", "same-origin");
  if (response.is_html()) {
    // Embeds (server/embed_render.h) set their own CSP: scripts from this
    // origin and the space's frame-ancestors. Every other HTML gets this one.
    if (!response.has_header("Content-Security-Policy")) {
      response.set_header("Content-Security-Policy", html_csp(frame_ancestors));
    }
  } else if (!response.has_header("Content-Security-Policy")) {
    // JSON, text and redirects are never documents to render or frame.
    response.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  }
  if (!response.has_header("Cache-Control")) response.set_header("Cache-Control", "no-store");
}

}  // namespace vitrine::server
