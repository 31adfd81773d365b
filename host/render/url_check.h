// URL decisions for the sanitizer: which links and image sources a plugin's
// HTML may keep. Values arrive entity-decoded (the HTML parser decodes
// "&#x09;" and friends), so every check sees what the browser would see.
// Strict by design: anything unusual is refused, never repaired.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::render {

// Normalizes "https://Host[:port]" to "https://host" (port 443 dropped) or
// "https://host:port". Returns "" when `origin` is not of that form.
std::string normalize_origin(std::string_view origin);

struct UrlVerdict {
  bool ok = false;
  std::string_view rule;  // when !ok
};

// a href: an absolute https URL whose origin is one of `allowed_origins`
// (already normalized with normalize_origin).
UrlVerdict check_link(std::string_view href, const std::vector<std::string>& allowed_origins);

// img src: a path under `asset_prefix`, or a base64 PNG/JPEG data URL whose
// decoded size is at most `max_data_bytes`.
UrlVerdict check_image_src(std::string_view src, std::string_view asset_prefix,
                           size_t max_data_bytes);

}  // namespace vitrine::render
