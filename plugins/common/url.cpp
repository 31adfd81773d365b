#include "vitrine_plugin/url.h"

#include <cctype>

namespace vitrine::pc {

std::string pct(std::string_view s) { return vitrine::sdk::url_query(s); }

std::string api_url(std::string_view base_url, std::string_view path, const Query& q) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  return std::string(base_url) + std::string(path) + q.str();
}

std::optional<Origin> parse_origin(std::string_view url) {
  Origin o;
  size_t p = url.find("://");
  if (p == std::string_view::npos) return std::nullopt;
  for (size_t i = 0; i < p; ++i) {
    o.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(url[i])));
  }
  if (o.scheme != "https" && o.scheme != "http") return std::nullopt;
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') return std::nullopt;
  }
  std::string_view rest = url.substr(p + 3);
  const size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      authority.find('%') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view host = authority;
  o.port = o.scheme == "https" ? 443 : 80;
  if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5) return std::nullopt;
    int v = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    if (v < 1 || v > 65535) return std::nullopt;
    o.port = v;
  }
  if (host.empty() || host.find('[') != std::string_view::npos) return std::nullopt;
  for (char c : host) o.host += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t hash = tail.find('#');
  if (hash != std::string_view::npos) tail = tail.substr(0, hash);
  const size_t q = tail.find('?');
  o.path = std::string(tail.substr(0, q));
  if (q != std::string_view::npos) o.query = std::string(tail.substr(q + 1));
  return o;
}

bool same_origin(const Origin& a, const Origin& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

bool is_valid_uid(std::string_view uid) {
  if (uid.empty() || uid.size() > 40) return false;
  for (unsigned char c : uid) {
    if (std::isalnum(c) == 0 && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace vitrine::pc
