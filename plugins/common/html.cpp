#include "vitrine_plugin/html.h"

#include "vitrine/sdk.hpp"

namespace vitrine::pc {

// Both contexts go through the SDK's C escapers (one implementation for
// every plugin, bundled or not).
std::string esc(std::string_view text) { return vitrine::sdk::escape_html(text); }
std::string esc_attr(std::string_view text) { return vitrine::sdk::escape_attr(text); }

bool is_safe_link(std::string_view url) {
  const bool https = url.substr(0, 8) == "https://";
  const bool http = url.substr(0, 7) == "http://";
  if (!https && !http) return false;
  if (url.size() <= (https ? 8u : 7u)) return false;
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f || c == '\\' || c == '"' || c == '\'' || c == '<' || c == '>') {
      return false;
    }
  }
  return true;
}

std::string ellipsize(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  // Step back over UTF-8 continuation bytes so no code point is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "\xE2\x80\xA6";
}

}  // namespace vitrine::pc
