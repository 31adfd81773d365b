#include "egress/url.h"

#include <array>
#include <string>

namespace vitrine::egress {
namespace {

UrlResult fail(std::string rule, std::string reason) {
  UrlResult r;
  r.rule = std::move(rule);
  r.reason = std::move(reason);
  return r;
}

std::string hex_byte(unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s = "0x";
  s += kHex[c >> 4];
  s += kHex[c & 0x0F];
  return s;
}

constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// RFC 3986 unreserved: percent-encodings of these are decoded during
// canonicalization (RFC 3986 6.2.2.2), so "%70" and "p" compare equal.
constexpr bool is_unreserved(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Raw bytes allowed in a path: RFC 3986 pchar minus ';'. ';' is left out on
// purpose: some servers and proxies (Tomcat, Jetty, some gateways) treat
// "..;" or ";param" as path parameters and normalize "/..;/" to "/../", a
// well-known way around prefix checks. Grafana API paths never need it.
// Raw bytes allowed in a query: the same plus '?'. ';' is refused there too:
// Go's net/url (Grafana's) rejects it since Go 1.17, so a URL with one means
// different things to different parsers.
// One table, built at compile time, so the hot loop is a single lookup.
enum : uint8_t { kPathChar = 1, kQueryChar = 2 };

constexpr std::array<uint8_t, 256> make_char_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    bool path = (c < 0x80 && is_unreserved(ch));
    for (char p : std::string_view("!$&'()*+,=:@/")) path = path || ch == p;
    if (path) t[static_cast<std::size_t>(c)] = kPathChar | kQueryChar;
  }
  t[static_cast<unsigned char>('?')] = kQueryChar;
  return t;
}
constexpr std::array<uint8_t, 256> kCharTable = make_char_table();

bool is_path_char(char c) { return (kCharTable[static_cast<unsigned char>(c)] & kPathChar) != 0; }
bool is_query_char(char c) { return (kCharTable[static_cast<unsigned char>(c)] & kQueryChar) != 0; }

// Validates and canonicalizes percent-encoding in a path or query.
// Unreserved bytes are decoded; every other encoding is kept with uppercase
// hex. In a path, encoded '/', '\' and control bytes are refused: they change
// what the server sees as the path structure.
bool canonicalize_component(std::string_view in, bool is_path, std::string& out, UrlResult& err) {
  const char* what = is_path ? "path" : "query";
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size() || !is_hex(in[i + 1]) || !is_hex(in[i + 2])) {
        err = fail("egress-url-percent-invalid",
                   std::string("the ") + what +
                       " has a '%' not followed by two hex digits; encode a literal '%' as %25");
        return false;
      }
      const auto v = static_cast<unsigned char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      if (is_path && v == '/') {
        err = fail("egress-url-path-encoded-slash",
                   "the path contains an encoded '/' (%2F), which servers decode differently; "
                   "use a literal '/' between segments and no '/' inside one");
        return false;
      }
      if (is_path && v == '\\') {
        err = fail("egress-url-path-encoded-backslash",
                   "the path contains an encoded backslash (%5C), which some servers treat as "
                   "'/'; remove it");
        return false;
      }
      if (is_path && (v < 0x20 || v == 0x7F)) {
        err = fail("egress-url-path-encoded-control",
                   "the path contains an encoded control byte (" + hex_byte(v) + "); remove it");
        return false;
      }
      if (v < 0x80 && is_unreserved(static_cast<char>(v))) {
        out += static_cast<char>(v);
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        out += '%';
        out += kHex[v >> 4];
        out += kHex[v & 0x0F];
      }
      i += 2;
      continue;
    }
    if (is_path ? !is_path_char(c) : !is_query_char(c)) {
      err = fail(is_path ? "egress-url-path-char" : "egress-url-query-char",
                 std::string("the ") + what + " contains '" + c +
                     "', which is not allowed there unencoded; percent-encode it (e.g. " +
                     (c == ';' ? "%3B" : "%XX") + ")");
      return false;
    }
    out += c;
  }
  return true;
}

// Checks the canonical path's segments. Runs after decoding, so "%2e%2E"
// is caught as "..".
bool check_segments(std::string_view path, UrlResult& err) {
  // path starts with '/'. Split the rest on '/'.
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    const bool last = end == std::string_view::npos;
    if (last) end = path.size();
    const std::string_view seg = path.substr(start, end - start);
    if (seg == "." || seg == "..") {
      err = fail("egress-url-path-dot-segment",
                 "the path contains a '" + std::string(seg) +
                     "' segment (raw or percent-encoded); servers and proxies resolve these "
                     "differently, so write the path without them");
      return false;
    }
    // An empty segment ("//") is allowed only as a trailing slash.
    if (seg.empty() && !last) {
      err = fail("egress-url-path-empty-segment",
                 "the path contains '//' (an empty segment), which servers normalize "
                 "differently; remove the extra '/'");
      return false;
    }
    if (last) break;
    start = end + 1;
  }
  return true;
}

bool check_port(std::string_view p, uint16_t& port, UrlResult& err) {
  if (p.empty()) {
    err = fail("egress-url-port-empty",
               "the URL has ':' after the host but no port; remove the ':' (443 is the default) "
               "or write the port");
    return false;
  }
  for (char c : p) {
    if (!is_digit(c)) {
      err = fail("egress-url-port-syntax",
                 "the port '" + std::string(p) + "' is not a decimal number; write digits only");
      return false;
    }
  }
  if (p.size() > 1 && p[0] == '0') {
    err = fail("egress-url-port-leading-zero",
               "the port '" + std::string(p) +
                   "' has a leading zero, which some parsers read as octal; write it without");
    return false;
  }
  if (p.size() > 5) {
    err = fail("egress-url-port-range",
               "the port '" + std::string(p) + "' is outside 1-65535; use a valid port");
    return false;
  }
  unsigned v = 0;
  for (char c : p) v = v * 10 + static_cast<unsigned>(c - '0');
  if (v == 0 || v > 65535) {
    err = fail("egress-url-port-range",
               "the port '" + std::string(p) + "' is outside 1-65535; use a valid port");
    return false;
  }
  port = static_cast<uint16_t>(v);
  return true;
}

bool check_host(std::string_view raw, std::string& host, UrlResult& err) {
  if (raw.empty()) {
    err = fail("egress-url-host-empty", "the URL has no host name; write https://HOST/PATH");
    return false;
  }
  host.assign(raw);
  for (char& c : host) c = to_lower(c);
  if (host.back() == '.') {
    err = fail("egress-url-host-trailing-dot",
               "the host '" + host +
                   "' ends with '.'; a trailing dot makes a second spelling of the same name, "
                   "remove it");
    return false;
  }
  if (host.size() > kMaxHostLength) {
    err = fail("egress-url-host-too-long", "the host name is " + std::to_string(host.size()) +
                                               " characters long; DNS names are at most 253");
    return false;
  }
  std::size_t start = 0;
  while (true) {
    std::size_t end = host.find('.', start);
    const bool last = end == std::string::npos;
    if (last) end = host.size();
    const std::string_view label = std::string_view(host).substr(start, end - start);
    if (label.empty()) {
      err = fail("egress-url-host-empty-label",
                 "the host '" + host + "' has an empty label ('..' or a leading '.'); remove it");
      return false;
    }
    if (label.size() > kMaxLabelLength) {
      err = fail("egress-url-host-label-too-long",
                 "a label of the host is " + std::to_string(label.size()) +
                     " characters long; DNS labels are at most 63");
      return false;
    }
    for (char c : label) {
      if (!(is_alpha(c) || is_digit(c) || c == '-')) {
        err = fail("egress-url-host-char",
                   "the host contains '" + std::string(1, c) +
                       "'; host names may contain only letters, digits, '-' and '.' (use the "
                       "A-label xn--... form for international names)");
        return false;
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      err = fail("egress-url-host-hyphen",
                 "the host label '" + std::string(label) +
                     "' starts or ends with '-', which DNS names do not allow");
      return false;
    }
    if (last) break;
    start = end + 1;
  }
  if (looks_like_ipv4_literal(host)) {
    err = fail("egress-url-ip-literal",
               "the host '" + host +
                   "' is an IP address (numeric hosts in any spelling: dotted, decimal, octal, "
                   "hex, short forms); egress is by host name only, declare and use a name");
    return false;
  }
  return true;
}

}  // namespace

bool looks_like_ipv4_literal(std::string_view host) {
  // WHATWG URL's "ends in a number" rule: a host whose last label is numeric
  // is parsed as IPv4 by browsers and inet_aton alike. No public TLD is
  // numeric, so refusing these costs nothing.
  const std::size_t dot = host.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  bool all_digits = true;
  for (char c : last) all_digits = all_digits && is_digit(c);
  if (all_digits) return true;
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
    for (char c : last.substr(2)) {
      if (!is_hex(c)) return false;
    }
    return true;
  }
  return false;
}

std::string Url::origin() const {
  std::string s = "https://" + host;
  if (port != 443) s += ":" + std::to_string(port);
  return s;
}

std::string Url::target() const { return query.empty() ? path : path + "?" + query; }

std::string Url::to_string() const { return origin() + target(); }

UrlResult parse_url(std::string_view text) {
  if (text.empty()) {
    return fail("egress-url-empty", "the URL is empty; pass an absolute https:// URL");
  }
  if (text.size() > kMaxUrlLength) {
    return fail("egress-url-too-long", "the URL is " + std::to_string(text.size()) +
                                           " bytes long; the limit is " +
                                           std::to_string(kMaxUrlLength) + ", shorten the query");
  }
  // One pass over the raw bytes before any structure is read: these bytes
  // are where parsers disagree (WHATWG strips tabs and newlines, treats '\'
  // as '/', IDNA-maps full-width dots), so none of them may reach a
  // decision.
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\t') {
      return fail("egress-url-whitespace", "the URL contains a space or tab at byte " +
                                               std::to_string(i) + "; percent-encode it (%20)");
    }
    if (c < 0x20 || c == 0x7F) {
      return fail("egress-url-control-byte", "the URL contains the control byte " + hex_byte(c) +
                                                 " at byte " + std::to_string(i) + "; remove it");
    }
    if (c == '\\') {
      return fail("egress-url-backslash",
                  "the URL contains a backslash at byte " + std::to_string(i) +
                      "; some parsers read it as '/', so it is refused everywhere; use '/' or "
                      "%5C in a query");
    }
    if (c >= 0x80) {
      return fail("egress-url-non-ascii",
                  "the URL contains a non-ASCII byte at byte " + std::to_string(i) +
                      "; write international host names as A-labels (xn--...) and "
                      "percent-encode other bytes");
    }
  }

  // Scheme.
  const std::size_t colon = text.find(':');
  const std::size_t first_slash = text.find('/');
  if (colon == std::string_view::npos ||
      (first_slash != std::string_view::npos && first_slash < colon)) {
    return fail("egress-url-scheme",
                "the URL has no scheme (relative or scheme-relative); write an absolute "
                "https:// URL");
  }
  const std::string_view scheme = text.substr(0, colon);
  std::string lower_scheme;
  for (char c : scheme) lower_scheme += to_lower(c);
  if (lower_scheme != "https") {
    return fail("egress-url-scheme", "the scheme '" + std::string(scheme) +
                                         "' is not allowed; only https:// URLs can be fetched");
  }
  if (text.substr(colon + 1, 2) != "//") {
    return fail("egress-url-scheme",
                "the URL does not continue with '//' after 'https:'; write https://HOST/PATH");
  }
  const std::string_view rest = text.substr(colon + 3);

  // Authority: up to the first '/', '?' or '#'. Backslash was refused above,
  // so this split is the only possible reading.
  std::size_t auth_end = 0;
  while (auth_end < rest.size() && rest[auth_end] != '/' && rest[auth_end] != '?' &&
         rest[auth_end] != '#') {
    ++auth_end;
  }
  if (auth_end == rest.size()) auth_end = std::string_view::npos;
  const std::string_view authority = rest.substr(0, auth_end);
  const std::string_view tail =
      auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);

  // One pass over the authority for the bytes that change its meaning.
  bool has_at = false, has_bracket = false, has_percent = false;
  std::size_t colons = 0;
  for (char c : authority) {
    has_at = has_at || c == '@';
    has_bracket = has_bracket || c == '[' || c == ']';
    has_percent = has_percent || c == '%';
    colons += c == ':' ? 1 : 0;
  }
  if (has_at) {
    return fail("egress-url-userinfo",
                "the URL contains '@' before the path (userinfo such as user:pass@host); "
                "credentials in URLs are refused, and 'a@b' hides the real host; remove it");
  }
  if (has_bracket) {
    return fail("egress-url-ip-literal",
                "the host is an IPv6 literal ([...]); egress is by host name only, declare and "
                "use a name");
  }
  if (has_percent) {
    return fail("egress-url-authority-percent",
                "the host or port contains '%' (percent-encoding); parsers decode it "
                "differently, write the host name in plain ASCII");
  }
  if (colons > 1) {
    return fail("egress-url-ip-literal",
                "the host contains several ':' (an IPv6 address without brackets?); egress is by "
                "host name only");
  }
  const std::size_t port_colon = authority.find(':');
  UrlResult result;
  const std::string_view raw_host = authority.substr(0, port_colon);
  if (!check_host(raw_host, result.url.host, result)) return result;
  if (port_colon != std::string_view::npos) {
    if (!check_port(authority.substr(port_colon + 1), result.url.port, result)) return result;
  }

  // Fragment: refused anywhere after the authority.
  if (tail.find('#') != std::string_view::npos) {
    return fail("egress-url-fragment",
                "the URL has a fragment ('#...'); fragments are never sent to the server, remove "
                "it (percent-encode a literal '#' as %23)");
  }
  const std::size_t q = tail.find('?');
  const std::string_view raw_path = tail.substr(0, q);
  const std::string_view raw_query =
      q == std::string_view::npos ? std::string_view{} : tail.substr(q + 1);

  if (raw_path.empty()) {
    result.url.path = "/";
  } else {
    if (!canonicalize_component(raw_path, true, result.url.path, result)) return result;
    if (!check_segments(result.url.path, result)) return result;
  }
  if (!canonicalize_component(raw_query, false, result.url.query, result)) return result;
  result.ok = true;
  return result;
}

UrlResult parse_origin(std::string_view text) {
  UrlResult r = parse_url(text);
  if (!r.ok) return r;
  if (r.url.path != "/" || !r.url.query.empty()) {
    return fail("egress-origin-invalid",
                "'" + std::string(text) +
                    "' is not an origin: write only https://HOST[:PORT], with no path or query");
  }
  return r;
}

}  // namespace vitrine::egress
