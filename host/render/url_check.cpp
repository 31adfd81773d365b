#include "render/url_check.h"

#include <array>

#include "render/sanitizer_rules.h"

namespace vitrine::render {
namespace {

constexpr size_t kMaxUrlLength = 4096;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Printable ASCII other than space and backslash. Control bytes, whitespace
// and non-ASCII are where "java\tscript:" and look-alike tricks live; a
// backslash is a path separator to browsers but not to us.
bool printable_url_char(char c) { return c > 0x20 && c < 0x7f && c != '\\'; }

bool all_printable(std::string_view s) {
  for (char c : s)
    if (!printable_url_char(c)) return false;
  return true;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// host: dot-separated labels of [a-z0-9-], no empty label, no leading or
// trailing hyphen. IP literals are not origins a plugin links to.
bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t start = 0;
  bool all_numeric = true;
  while (true) {
    const size_t dot = host.find('.', start);
    const std::string_view label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label) {
      if (!is_lower_alnum(c) && c != '-') return false;
      if (!is_digit(c)) all_numeric = false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return !all_numeric;
}

// Splits "https://authority..." and returns the normalized origin, or "".
std::string origin_of(std::string_view url, size_t* authority_end) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) return {};
  const size_t start = kScheme.size();
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  if (authority_end) *authority_end = end;
  std::string authority;
  for (char c : url.substr(start, end - start)) authority += lower(c);
  if (authority.find_first_of("@%[]") != std::string::npos) return {};
  std::string host = authority;
  std::string port;
  if (const size_t colon = authority.find(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5) return {};
    for (char c : port)
      if (!is_digit(c)) return {};
    const unsigned long value = std::stoul(port);
    if (value == 0 || value > 65535) return {};
    port = std::to_string(value);
  }
  if (!valid_host(host)) return {};
  std::string origin = std::string(kScheme) + host;
  if (!port.empty() && port != "443") origin += ":" + port;
  return origin;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/';
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (is_digit(c)) return c - '0' + 52;
  return c == '+' ? 62 : 63;
}

// Decodes the first bytes of a base64 body (for the signature check).
std::string decode_prefix(std::string_view body, size_t bytes) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : body) {
    if (c == '=' || out.size() >= bytes) break;
    acc = (acc << 6) | static_cast<uint32_t>(base64_value(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

struct DataImageType {
  std::string_view prefix;
  std::string_view signature;  // the format's magic bytes
};
// Only raster formats: an SVG image is a document that can carry script and
// links, so data:image/svg+xml is never accepted.
constexpr std::array<DataImageType, 2> kDataImages = {{
    {"data:image/png;base64,", std::string_view("\x89PNG\r\n\x1a\n", 8)},
    {"data:image/jpeg;base64,", std::string_view("\xff\xd8\xff", 3)},
}};

UrlVerdict check_data_image(std::string_view src, size_t max_data_bytes) {
  for (const auto& type : kDataImages) {
    if (src.substr(0, type.prefix.size()) != type.prefix) continue;
    const std::string_view body = src.substr(type.prefix.size());
    if (body.empty() || body.size() % 4 != 0) return {false, rules::kImgData};
    size_t padding = 0;
    for (size_t i = 0; i < body.size(); ++i) {
      const char c = body[i];
      if (c == '=') {
        if (i + 2 < body.size()) return {false, rules::kImgData};  // '=' only at the end
        ++padding;
      } else if (!is_base64_char(c) || padding > 0) {
        return {false, rules::kImgData};
      }
    }
    const size_t decoded = body.size() / 4 * 3 - padding;
    if (decoded > max_data_bytes) return {false, rules::kImgData};
    if (decode_prefix(body, type.signature.size()) != type.signature)
      return {false, rules::kImgData};
    return {true, {}};
  }
  return {false, rules::kImgData};
}

UrlVerdict check_asset_path(std::string_view src, std::string_view prefix) {
  if (prefix.size() < 2 || prefix.front() != '/' || prefix.back() != '/' ||
      src.substr(0, prefix.size()) != prefix)
    return {false, rules::kImgAsset};
  // Unreserved path characters only: no '%' (so no encoded dots or
  // slashes), no query or fragment, no '\'.
  for (char c : src) {
    if (!(is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.' ||
          c == '~' || c == '/'))
      return {false, rules::kImgAsset};
  }
  const std::string_view rest = src.substr(prefix.size());
  if (rest.empty()) return {false, rules::kImgAsset};
  size_t start = 0;
  while (start <= rest.size()) {
    const size_t slash = rest.find('/', start);
    const std::string_view seg = rest.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") return {false, rules::kImgAsset};  // "//", dots
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {true, {}};
}

}  // namespace

std::string normalize_origin(std::string_view origin) {
  if (origin.size() > 300 || !all_printable(origin)) return {};
  size_t end = 0;
  std::string result = origin_of(origin, &end);
  if (end != origin.size()) return {};  // a path, query or fragment: not an origin
  return result;
}

UrlVerdict check_link(std::string_view href, const std::vector<std::string>& allowed_origins) {
  if (href.empty() || href.size() > kMaxUrlLength || !all_printable(href))
    return {false, rules::kLinkSyntax};
  if (href.substr(0, 8) != "https://") return {false, rules::kLinkScheme};
  size_t end = 0;
  const std::string origin = origin_of(href, &end);
  if (origin.empty()) return {false, rules::kLinkSyntax};
  for (const auto& allowed : allowed_origins)
    if (!allowed.empty() && origin == allowed) return {true, {}};
  return {false, rules::kLinkOrigin};
}

UrlVerdict check_image_src(std::string_view src, std::string_view asset_prefix,
                           size_t max_data_bytes) {
  if (src.empty() || !all_printable(src)) return {false, rules::kImgSrc};
  if (src.substr(0, 5) == "data:") return check_data_image(src, max_data_bytes);
  if (src.front() == '/' && src.substr(0, 2) != "//") return check_asset_path(src, asset_prefix);
  return {false, rules::kImgSrc};
}

}  // namespace vitrine::render
