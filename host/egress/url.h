// The strict URL parser and canonicalizer that every egress decision uses.
//
// Why our own parser: general-purpose parsers (Poco::URI included) are built
// to accept what browsers and users type. They treat '\' like '/', keep '%',
// tabs and NUL inside host names, and hand numeric hosts to inet_aton, which
// turns "2130706433", "0x7f.1" and "127.1" into 127.0.0.1. A security
// decision must be made on exactly one reading of the text, and that reading
// must be the one the connection later uses. This parser accepts a small,
// unambiguous subset of https URLs and rejects everything else with a named
// rule (docs/security/egress.md lists them all).
//
// Accepted form:  https://HOST[:PORT][/PATH][?QUERY]
//   HOST   lowercase LDH labels (A-labels allowed), no IP literal of any form
//   PORT   1-65535, digits only, no leading zero; absent means 443
//   PATH   '/'-rooted; no dot segments, no empty segments, no encoded '/'
//   QUERY  kept (bytes validated, percent-encoding canonicalized)
//   A fragment ('#') is rejected: it never reaches the server, so a plugin
//   that sends one is confused about what it asks for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vitrine::egress {

// Limits. A URL longer than this is refused outright (egress-url-too-long).
inline constexpr std::size_t kMaxUrlLength = 8192;
inline constexpr std::size_t kMaxHostLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

// A canonical https URL. Only parse_url() produces valid ones.
struct Url {
  std::string host;  // lowercase ASCII, no trailing dot
  uint16_t port = 443;
  std::string path;   // canonical, starts with '/'
  std::string query;  // canonical, without the '?'; empty when none

  // "https://host" or "https://host:port" (port omitted when 443).
  std::string origin() const;
  // The canonical URL text: origin + path + ("?" + query when not empty).
  std::string to_string() const;
  // path + ("?" + query when not empty): what goes on the request line.
  std::string target() const;

  friend bool operator==(const Url&, const Url&) = default;
};

struct UrlResult {
  bool ok = false;
  Url url;             // valid only when ok
  std::string rule;    // when !ok: the rule id, e.g. "egress-url-userinfo"
  std::string reason;  // when !ok: what was wrong and what to do
};

// Parses and canonicalizes `text`. Never throws.
UrlResult parse_url(std::string_view text);

// Parses an origin: an https URL with no path (or just "/") and no query.
// Used for the space's Grafana origin and admin-approved origins. Failures
// carry the parse rule, or "egress-origin-invalid" when a path or query is
// present.
UrlResult parse_origin(std::string_view text);

// True when `host` is syntactically an IPv4 literal in any spelling the
// inet_aton family accepts (decimal, octal, hex, 1-4 parts), i.e. its last
// label is all digits or "0x" followed by hex digits.
bool looks_like_ipv4_literal(std::string_view host);

}  // namespace vitrine::egress
