#include "vitrine_plugin/html.h"

namespace vitrine::pc {
namespace {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\0':
        // A NUL has no business in HTML; browsers replace it anyway.
        out += "\xEF\xBF\xBD";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string esc(std::string_view text) { return escape(text); }
std::string esc_attr(std::string_view text) { return escape(text); }

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
