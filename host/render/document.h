// The standalone HTML document around a rendered page body: used by the
// static exporter (and reusable by any front end that needs a full page).
#pragma once

#include <string>
#include <string_view>

namespace vitrine::render {

// Styles for Vitrine's class names only (vitrine-macro, vitrine-error,
// vitrine-stale, and the plugins' documented classes): for any front end.
std::string_view macro_stylesheet();

// A standalone page's stylesheet: document basics plus macro_stylesheet().
std::string_view stylesheet();

// A complete HTML5 document. `stylesheet_href` is linked (same origin); the
// CSP meta allows only same-origin styles and images (plus data: images).
std::string page_document(const std::string& title, const std::string& body_html,
                          const std::string& stylesheet_href);

}  // namespace vitrine::render
