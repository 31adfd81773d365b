// The URL table: every URL-parser confusion we know of, each with the exact
// verdict and rule id the egress decision must give (egress-url-*,
// egress-host-not-declared, egress-port-not-declared, egress-scope-path).
// Runs the full phase-1 decision without a space, so the verdict is what a
// plugin would get for the parse, match and scope rules.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "egress/policy.h"
#include "egress/url.h"
#include "test_support.h"

namespace vitrine::egress {
namespace {

using testing::entry;
using testing::plugin;
using testing::test_catalog;

constexpr const char* kAllow = "egress-allow";

struct Case {
  std::string url;
  std::string rule;  // expected rule; kAllow for an allowed URL
  std::string why;
};

std::string rep(char c, std::size_t n) { return std::string(n, c); }

std::vector<Case> table() {
  const std::string g = "https://acme.grafana.net";
  const std::string label63 = rep('a', 63);
  // 253 characters in all: 61*3 + 3 dots + "b.grafana.net" ... built exactly below.
  std::string name253;
  while (name253.size() + 62 + 12 < 253) name253 += rep('a', 61) + ".";
  name253 += rep('b', 253 - name253.size() - 12) + ".grafana.net";
  const std::string name254 = "c" + name253;
  std::vector<Case> t = {
      // ---- allowed forms
      {g + "/api/search", kAllow, "plain wildcard match"},
      {g + ":443/api/search", kAllow, "explicit default port"},
      {"https://ACME.Grafana.NET/api/search", kAllow, "host is lowercased"},
      {"HTTPS://acme.grafana.net/api/search", kAllow, "scheme is case-insensitive"},
      {"https://a.b.grafana.net/api/search", kAllow, "*.x matches deeper names"},
      {"https://grafana.example.com/api/search", kAllow, "exact entry"},
      {"https://api.example.com:8443/api/search", kAllow, "entry with explicit port"},
      {g + "/api/search?query=cpu&type=dash-db", kAllow, "query kept"},
      {g + "/api/dashboards/uid/abc123", kAllow, "prefix continued with /"},
      {g + "/api/dashboards/uid", kAllow, "prefix equal"},
      {g + "/api/prometheus/grafana/api/v1/rules", kAllow, "alerts scope"},
      {g + "/api/prometheus/grafana/api/v1/rules?x=1", kAllow, "prefix continued with ?"},
      {g + "/api/%73earch", kAllow, "unreserved percent-encoding decoded"},
      {"https://xn--grafana-abc.grafana.net/api/search", kAllow, "A-label allowed"},
      {g + "/api/search/", kAllow, "trailing slash"},
      {g + "/api/search?q=%2F", kAllow, "encoded slash in the query is data"},
      {g + "/api/search?q=a%20b", kAllow, "encoded space in the query"},
      {g + "/api/search?q=%C3%A9", kAllow, "encoded UTF-8 in the query"},
      {g + "/api/dashboards/uid/a-b_c~d", kAllow, "unreserved punctuation"},
      {"https://1.2.3.4.grafana.net/api/search", kAllow,
       "numeric labels before a name are a name; addresses are checked after resolution"},
      {"https://localhost.grafana.net/api/search", kAllow, "name only; resolution decides"},
      {g + "/api/search?", kAllow, "empty query"},
      {"https://acme-1.grafana.net/api/folders", kAllow, "hyphen inside a label"},
      {"https://" + label63 + ".grafana.net/api/search", kAllow, "63-character label"},
      {"https://" + name253 + "/api/search", kAllow, "253-character name"},
      {g + "/api/search?q=" + rep('a', kMaxUrlLength - g.size() - 14), kAllow,
       "exactly the maximum length"},
      {g + "/api/search?q=a/b?c", kAllow, "'/' and '?' are allowed in a query"},
      {g + "/api/search?q=it's(1)*+,!$", kAllow, "sub-delims in a query"},

      // ---- empty / scheme
      {"", "egress-url-empty", "empty"},
      {"http://acme.grafana.net/api/search", "egress-url-scheme", "http"},
      {"wss://acme.grafana.net/api/search", "egress-url-scheme", "wss"},
      {"ws://acme.grafana.net/api/search", "egress-url-scheme", "ws"},
      {"ftp://acme.grafana.net/api/search", "egress-url-scheme", "ftp"},
      {"file:///etc/passwd", "egress-url-scheme", "file"},
      {"gopher://acme.grafana.net:70/_x", "egress-url-scheme", "gopher"},
      {"javascript:alert(1)", "egress-url-scheme", "javascript"},
      {"data:text/plain,hi", "egress-url-scheme", "data"},
      {"httpss://acme.grafana.net/api/search", "egress-url-scheme", "near-miss scheme"},
      {"//acme.grafana.net/api/search", "egress-url-scheme", "scheme-relative"},
      {"acme.grafana.net/api/search", "egress-url-scheme", "no scheme"},
      {"/api/search", "egress-url-scheme", "relative"},
      {"https:acme.grafana.net/api/search", "egress-url-scheme", "https: without //"},
      {"https:/acme.grafana.net/api/search", "egress-url-scheme", "https:/ one slash"},
      {"https://", "egress-url-host-empty", "no host"},
      {"https:///api/search", "egress-url-host-empty", "three slashes"},
      {"https://?q=1", "egress-url-host-empty", "query without host"},
      {"https://:443/api/search", "egress-url-host-empty", "port without host"},

      // ---- userinfo
      {"https://user@acme.grafana.net/api/search", "egress-url-userinfo", "user"},
      {"https://user:pass@acme.grafana.net/api/search", "egress-url-userinfo", "user:pass"},
      {"https://acme.grafana.net@evil.com/api/search", "egress-url-userinfo",
       "allowed name as user"},
      {"https://evil.com@acme.grafana.net/api/search", "egress-url-userinfo", "evil as user"},
      {"https://acme.grafana.net:443@evil.com/api/search", "egress-url-userinfo", "port-like user"},
      {"https://@acme.grafana.net/api/search", "egress-url-userinfo", "empty userinfo"},
      {"https://a@b@acme.grafana.net/api/search", "egress-url-userinfo", "two @"},
      {"https://acme.grafana.net%40evil.com/api/search", "egress-url-authority-percent",
       "encoded @"},
      {"https://evil.com#@acme.grafana.net/api/search", "egress-url-fragment",
       "@ after # is not userinfo; the host is evil.com and the fragment is refused"},
      {"https://evil.com?@acme.grafana.net/api/search", "egress-host-not-declared",
       "@ after ? is query; the host is evil.com"},
      {"https://evil.com/@acme.grafana.net/api/search", "egress-host-not-declared",
       "@ in the path; the host is evil.com"},

      // ---- backslash
      {"https://acme.grafana.net\\@evil.com/api/search", "egress-url-backslash", "\\@"},
      {"https://acme.grafana.net\\evil.com/api/search", "egress-url-backslash", "\\ in host"},
      {"https:\\\\acme.grafana.net/api/search", "egress-url-backslash", "backslash slashes"},
      {"https:/\\acme.grafana.net/api/search", "egress-url-backslash", "mixed slashes"},
      {"https://evil.com\\.acme.grafana.net/api/search", "egress-url-backslash", "\\."},
      {g + "/api\\search", "egress-url-backslash", "\\ in path"},
      {g + "/api/search\\..\\..\\admin", "egress-url-backslash", "backslash traversal"},
      {g + "/api/search?q=a\\b", "egress-url-backslash", "\\ in query"},

      // ---- percent-encoding in the authority
      {"https://acme%2egrafana.net/api/search", "egress-url-authority-percent", "encoded dot"},
      {"https://%61cme.grafana.net/api/search", "egress-url-authority-percent", "encoded letter"},
      {"https://acme.grafana.net%00.evil.com/api/search", "egress-url-authority-percent",
       "encoded NUL"},
      {"https://acme.grafana.net%2F.evil.com/api/search", "egress-url-authority-percent",
       "encoded slash in host"},
      {"https://acme.grafana.net:%34%34%33/api/search", "egress-url-authority-percent",
       "encoded port"},
      {"https://acme.grafana.net%E3%80%82evil.com/api/search", "egress-url-authority-percent",
       "encoded ideographic full stop"},

      // ---- percent-encoding and dot segments in the path
      {g + "/api/search%2Fx", "egress-url-path-encoded-slash", "%2F"},
      {g + "/api/search%2fx", "egress-url-path-encoded-slash", "%2f"},
      {g + "/api/dashboards/uid/..%2f..%2fadmin", "egress-url-path-encoded-slash",
       "encoded traversal"},
      {g + "/api/search%5c..%5cadmin", "egress-url-path-encoded-backslash", "%5c"},
      {g + "/api/search%00", "egress-url-path-encoded-control", "%00"},
      {g + "/api/search%0d%0aHost:evil", "egress-url-path-encoded-control", "%0d%0a"},
      {g + "/api/search%7F", "egress-url-path-encoded-control", "%7F"},
      {g + "/api/search%zz", "egress-url-percent-invalid", "non-hex"},
      {g + "/api/search%", "egress-url-percent-invalid", "lone %"},
      {g + "/api/search%4", "egress-url-percent-invalid", "one hex digit"},
      {g + "/api/search%%34%31", "egress-url-percent-invalid", "double-encoding trick"},
      {g + "/api/search?q=%g1", "egress-url-percent-invalid", "query non-hex"},
      {g + "/api/search?q=100%", "egress-url-percent-invalid", "query lone %"},
      {g + "/api/search/../admin", "egress-url-path-dot-segment", ".."},
      {g + "/api/search/..", "egress-url-path-dot-segment", "trailing .."},
      {g + "/api/./search", "egress-url-path-dot-segment", "."},
      {g + "/api/search/.", "egress-url-path-dot-segment", "trailing ."},
      {g + "/api/search/%2e%2e/admin", "egress-url-path-dot-segment", "%2e%2e"},
      {g + "/api/search/%2E%2E/admin", "egress-url-path-dot-segment", "%2E%2E"},
      {g + "/api/search/.%2e/admin", "egress-url-path-dot-segment", ".%2e"},
      {g + "/api/search/%2e./admin", "egress-url-path-dot-segment", "%2e."},
      {g + "/api/search/%2e", "egress-url-path-dot-segment", "%2e"},
      {g + "/..", "egress-url-path-dot-segment", "root .."},
      {g + "/api//search", "egress-url-path-empty-segment", "//"},
      {g + "//api/search", "egress-url-path-empty-segment", "leading //"},
      {g + "/api/search;x=1", "egress-url-path-char", "; path parameter"},
      {g + "/api/search/..;/admin", "egress-url-path-char", "..; Tomcat traversal"},
      {g + "/api/search<script>", "egress-url-path-char", "<"},
      {g + "/api/search\"x", "egress-url-path-char", "quote"},
      {g + "/api/search|x", "egress-url-path-char", "|"},
      {g + "/api/search{x}", "egress-url-path-char", "{"},
      {g + "/api/search^x", "egress-url-path-char", "^"},
      {g + "/api/search`x", "egress-url-path-char", "backtick"},
      {g + "/api/search[0]", "egress-url-path-char", "["},
      {g + "/api/search?q=<x>", "egress-url-query-char", "< in query"},
      {g + "/api/search?a=1;b=2", "egress-url-query-char", "; in query"},
      {g + "/api/search?q=\"x\"", "egress-url-query-char", "quote in query"},
      {g + "/api/search?q[]=1", "egress-url-query-char", "[ in query"},
      {g + "/api/%C3%A9", "egress-scope-path", "encoded UTF-8 path outside scopes"},

      // ---- control bytes and whitespace
      {g + std::string("/api/search\0", 12), "egress-url-control-byte", "NUL at the end"},
      {std::string("https://acme.grafana.net\0.evil.com/api/search", 45), "egress-url-control-byte",
       "NUL in host"},
      {g + "/api/search\r\nHost: evil.com", "egress-url-control-byte", "CRLF injection"},
      {g + "/api/search\n", "egress-url-control-byte", "LF"},
      {g + "/api/search\x7f", "egress-url-control-byte", "DEL"},
      {"\x1bhttps://acme.grafana.net/api/search", "egress-url-control-byte", "ESC prefix"},
      {"https://acme.grafana.net\r/api/search", "egress-url-control-byte", "CR in authority"},
      {g + "/api/\tsearch", "egress-url-whitespace", "tab in path (WHATWG strips it)"},
      {"https://acme.gra\tfana.net/api/search", "egress-url-whitespace", "tab in host"},
      {"https://acme.grafana.net /api/search", "egress-url-whitespace", "space after host"},
      {" https://acme.grafana.net/api/search", "egress-url-whitespace", "leading space"},
      {g + "/api/search ", "egress-url-whitespace", "trailing space"},
      {"https ://acme.grafana.net/api/search", "egress-url-whitespace", "space in scheme"},
      {"https://acme.grafana.net:4 43/api/search", "egress-url-whitespace", "space in port"},

      // ---- non-ASCII: look-alikes, full-width and ideographic dots
      {"https://acme.grafana\xE3\x80\x82net/api/search", "egress-url-non-ascii",
       "U+3002 ideographic full stop"},
      {"https://acme.grafana\xEF\xBC\x8Enet/api/search", "egress-url-non-ascii",
       "U+FF0E full-width full stop"},
      {"https://acme\xEF\xBD\xA1grafana.net/api/search", "egress-url-non-ascii",
       "U+FF61 half-width ideographic full stop"},
      {"https://acme.grafan\xD0\xB0.net/api/search", "egress-url-non-ascii",
       "Cyrillic a look-alike"},
      {"https://\xD0\xB0\xD1\x81me.grafana.net/api/search", "egress-url-non-ascii",
       "Cyrillic 'ac'"},
      {"https://\xEF\xBD\x81\x63me.grafana.net/api/search", "egress-url-non-ascii", "full-width a"},
      {"https://acme.grafana.net\xEF\xBC\x8F\x61pi/search", "egress-url-non-ascii",
       "U+FF0F full-width solidus"},
      {"https://acme.grafana.net\xE2\x81\x84\x61pi", "egress-url-non-ascii",
       "U+2044 fraction slash"},
      {"https://acme.grafana.net\xE2\x80\x8B.evil.com/api/search", "egress-url-non-ascii",
       "zero-width space"},
      {g + "/api/s\xC3\xA9\x61rch", "egress-url-non-ascii", "raw UTF-8 in path"},
      {g + "/api/search?q=\xC3\xA9", "egress-url-non-ascii", "raw UTF-8 in query"},
      {g + "/api/\xC0\xAE\xC0\xAE/admin", "egress-url-non-ascii", "overlong-encoded dots"},
      {"https://acme.grafana.net\xC2\xA0/api/search", "egress-url-non-ascii", "no-break space"},
      {"https://xn--80ak6aa92e.com/api/search", "egress-host-not-declared",
       "A-label of a look-alike is a different name"},

      // ---- host syntax: dots, labels, lengths, characters
      {"https://acme.grafana.net./api/search", "egress-url-host-trailing-dot", "trailing dot"},
      {"https://acme.grafana.net../api/search", "egress-url-host-trailing-dot",
       "two trailing dots"},
      {"https://acme.grafana.net.:443/api/search", "egress-url-host-trailing-dot",
       "trailing dot and port"},
      {"https://./api/search", "egress-url-host-trailing-dot", "just a dot"},
      {"https://acme..grafana.net/api/search", "egress-url-host-empty-label", "empty label"},
      {"https://.acme.grafana.net/api/search", "egress-url-host-empty-label", "leading dot"},
      {"https://" + rep('a', 64) + ".grafana.net/api/search", "egress-url-host-label-too-long",
       "64-character label"},
      {"https://" + name254 + "/api/search", "egress-url-host-too-long", "254-character name"},
      {"https://" + rep('a', 5000) + ".grafana.net/api/search", "egress-url-host-too-long",
       "huge name"},
      {"https://-acme.grafana.net/api/search", "egress-url-host-hyphen", "leading hyphen"},
      {"https://acme-.grafana.net/api/search", "egress-url-host-hyphen", "trailing hyphen"},
      {"https://ac_me.grafana.net/api/search", "egress-url-host-char", "underscore"},
      {"https://acme!.grafana.net/api/search", "egress-url-host-char", "!"},
      {"https://acme$.grafana.net/api/search", "egress-url-host-char", "$"},
      {"https://*.grafana.net/api/search", "egress-url-host-char", "a literal wildcard"},
      {"https://acme.grafana.net;x/api/search", "egress-url-host-char", "; in host"},
      {"https://acme.grafana.net,evil.com/api/search", "egress-url-host-char", ", in host"},
      {"https://acme.grafana.net&evil.com/api/search", "egress-url-host-char", "& in host"},
      {"https://acme.grafana.net\"/api/search", "egress-url-host-char", "quote in host"},
      {"https://acme.grafana.net=/api/search", "egress-url-host-char", "= in host"},

      // ---- IP literals in every spelling
      {"https://127.0.0.1/api/search", "egress-url-ip-literal", "dotted"},
      {"https://2130706433/api/search", "egress-url-ip-literal", "decimal"},
      {"https://0177.0.0.1/api/search", "egress-url-ip-literal", "octal"},
      {"https://00000000177.0.0.1/api/search", "egress-url-ip-literal", "padded octal"},
      {"https://0x7f.1/api/search", "egress-url-ip-literal", "hex short"},
      {"https://0x7f.0x0.0x0.0x1/api/search", "egress-url-ip-literal", "hex dotted"},
      {"https://0x7f000001/api/search", "egress-url-ip-literal", "hex whole"},
      {"https://0X7F000001/api/search", "egress-url-ip-literal", "hex uppercase"},
      {"https://127.1/api/search", "egress-url-ip-literal", "two parts"},
      {"https://127.0.1/api/search", "egress-url-ip-literal", "three parts"},
      {"https://0/api/search", "egress-url-ip-literal", "zero"},
      {"https://0x/api/search", "egress-url-ip-literal", "bare 0x"},
      {"https://169.254.169.254/latest/meta-data", "egress-url-ip-literal", "metadata"},
      {"https://10.0.0.1:443/api/search", "egress-url-ip-literal", "private with port"},
      {"https://0300.0250.0.1/api/search", "egress-url-ip-literal", "octal 192.168"},
      {"https://3232235521/api/search", "egress-url-ip-literal", "decimal 192.168.0.1"},
      {"https://0xc0.0xa8.0x00.0x01/api/search", "egress-url-ip-literal", "hex 192.168"},
      {"https://8.8.8.8/api/search", "egress-url-ip-literal", "public IP too"},
      {"https://grafana.net.127.0.0.1/api/search", "egress-url-ip-literal", "name then IP"},
      {"https://acme.0x7f/api/search", "egress-url-ip-literal", "hex last label"},
      {"https://4294967296/api/search", "egress-url-ip-literal", "overflowing decimal"},
      {"https://[::1]/api/search", "egress-url-ip-literal", "IPv6 loopback"},
      {"https://[::1]:443/api/search", "egress-url-ip-literal", "IPv6 with port"},
      {"https://[::]/api/search", "egress-url-ip-literal", "IPv6 unspecified"},
      {"https://[::ffff:127.0.0.1]/api/search", "egress-url-ip-literal", "IPv4-mapped"},
      {"https://[::ffff:7f00:1]/api/search", "egress-url-ip-literal", "IPv4-mapped hex"},
      {"https://[fe80::1%25eth0]/api/search", "egress-url-ip-literal", "zone id, encoded"},
      {"https://[fe80::1%eth0]/api/search", "egress-url-ip-literal", "zone id, raw"},
      {"https://[2001:db8::1]/api/search", "egress-url-ip-literal", "IPv6 documentation"},
      {"https://[64:ff9b::7f00:1]/api/search", "egress-url-ip-literal", "NAT64"},
      {"https://::1/api/search", "egress-url-ip-literal", "IPv6 without brackets"},
      {"https://acme.grafana.net]/api/search", "egress-url-ip-literal", "stray ]"},

      // ---- ports
      {g + ":8443/api/search", "egress-port-not-declared", "undeclared port"},
      {g + ":80/api/search", "egress-port-not-declared", "port 80"},
      {g + ":65535/api/search", "egress-port-not-declared", "max port, undeclared"},
      {g + ":1/api/search", "egress-port-not-declared", "port 1, undeclared"},
      {g + ":/api/search", "egress-url-port-empty", "empty port"},
      {g + ":", "egress-url-port-empty", "empty port at the end"},
      {g + ":0443/api/search", "egress-url-port-leading-zero", "leading zero"},
      {g + ":00443/api/search", "egress-url-port-leading-zero", "two leading zeros"},
      {g + ":0/api/search", "egress-url-port-range", "port 0"},
      {g + ":65536/api/search", "egress-url-port-range", "port 65536"},
      {g + ":99999999999/api/search", "egress-url-port-range", "overflowing port"},
      {g + ":+443/api/search", "egress-url-port-syntax", "signed port"},
      {g + ":-1/api/search", "egress-url-port-syntax", "negative port"},
      {g + ":0x1bb/api/search", "egress-url-port-syntax", "hex port"},
      {g + ":443a/api/search", "egress-url-port-syntax", "trailing letter"},
      {g + ":https/api/search", "egress-url-port-syntax", "service name"},
      {g + ":443:443/api/search", "egress-url-ip-literal", "two colons"},
      {"https://api.example.com/api/search", "egress-port-not-declared",
       "entry declares 8443; default 443 is not it"},
      {"https://api.example.com:443/api/search", "egress-port-not-declared", "explicit 443"},
      {"https://grafana.example.com:8443/api/search", "egress-port-not-declared",
       "entry declares 443"},

      // ---- apex vs wildcard, prefix/suffix confusions
      {"https://grafana.net/api/search", "egress-host-not-declared", "*.x never matches x"},
      {"https://evilgrafana.net/api/search", "egress-host-not-declared", "suffix without dot"},
      {"https://grafana.net.evil.com/api/search", "egress-host-not-declared", "name as prefix"},
      {"https://acme.grafana.net.evil.com/api/search", "egress-host-not-declared",
       "full allowed name as prefix"},
      {"https://acme.grafana.network/api/search", "egress-host-not-declared", "longer TLD"},
      {"https://acme.grafana.ne/api/search", "egress-host-not-declared", "shorter TLD"},
      {"https://acme-grafana.net/api/search", "egress-host-not-declared", "hyphen for dot"},
      {"https://sub.grafana.example.com/api/search", "egress-host-not-declared",
       "exact entry is not a wildcard"},
      {"https://grafana.example.com.evil.com/api/search", "egress-host-not-declared",
       "exact name as prefix"},
      {"https://xgrafana.example.com/api/search", "egress-host-not-declared",
       "exact name as suffix"},
      {"https://example.com/api/search", "egress-host-not-declared", "parent of an exact entry"},
      {"https://localhost/api/search", "egress-host-not-declared", "localhost"},
      {"https://metadata.google.internal/computeMetadata/v1/", "egress-host-not-declared",
       "metadata name"},
      {"https://net/api/search", "egress-host-not-declared", "TLD alone"},

      // ---- fragments
      {g + "/api/search#x", "egress-url-fragment", "fragment"},
      {g + "/api/search#", "egress-url-fragment", "empty fragment"},
      {g + "#/api/search", "egress-url-fragment", "fragment instead of path"},
      {g + "/api/search?q=1#x", "egress-url-fragment", "fragment after query"},

      // ---- paths outside the plugin's scopes
      {g + "/", "egress-scope-path", "root"},
      {g, "egress-scope-path", "no path means /"},
      {g + "/api/admin/users", "egress-scope-path", "admin API"},
      {g + "/api/searchx", "egress-scope-path", "prefix continued by a letter"},
      {g + "/api/searc", "egress-scope-path", "shorter than the prefix"},
      {g + "/api/Search", "egress-scope-path", "paths are case-sensitive"},
      {g + "/api/annotations", "egress-scope-path", "scope not held"},
      {g + "/render/d-solo/abc", "egress-scope-path", "render scope not held"},
      {g + "/api/dashboards/db/x", "egress-scope-path", "sibling of a prefix"},
      {g + "/api/prometheus/grafana/api/v1/rulesx", "egress-scope-path", "prefix plus letters"},
      {g + "/api/prometheus/grafana/api/v1", "egress-scope-path", "parent of a prefix"},
      {g + "/api/search%3Fq=1", "egress-scope-path", "encoded ? is not a query separator"},
      {g + "/api/datasources/proxy/1/api/v1/query", "egress-scope-path", "datasource proxy"},

      // ---- very long URLs
      {g + "/api/search?q=" + rep('a', kMaxUrlLength), "egress-url-too-long", "over 8 KiB"},
      {g + "/api/search?q=" + rep('a', kMaxUrlLength - g.size() - 13), "egress-url-too-long",
       "one byte over"},
      {"https://" + rep('a', 100000), "egress-url-too-long", "100 KB host"},
  };
  return t;
}

class UrlTable : public ::testing::TestWithParam<std::size_t> {};

TEST_P(UrlTable, VerdictAndRule) {
  static const auto cases = table();
  const Case& c = cases[GetParam()];
  static const manifest::Manifest m =
      plugin("alert_list",
             {entry("https://*.grafana.net"), entry("https://grafana.example.com"),
              entry("https://api.example.com:8443")},
             {"grafana:read:dashboards", "grafana:read:alerts"});
  Request req;
  req.url = c.url;
  const Decision d = decide_without_space(m, req, &test_catalog());
  EXPECT_EQ(d.rule, c.rule) << "URL: " << c.url.substr(0, 200) << "\nwhy: " << c.why
                            << "\nreason: " << d.reason;
  EXPECT_EQ(d.allowed, c.rule == kAllow);
  if (!d.allowed) {
    EXPECT_FALSE(d.reason.empty()) << "every denial says what happened and what to do";
    EXPECT_FALSE(d.attach_token);
  }
}

std::string case_name(const ::testing::TestParamInfo<std::size_t>& info) {
  static const auto cases = table();
  std::string rule = cases[info.param].rule;
  for (char& ch : rule) {
    if (ch == '-') ch = '_';
  }
  char index[8];
  std::snprintf(index, sizeof index, "%03zu", info.param);
  return rule + "_" + index;
}

INSTANTIATE_TEST_SUITE_P(EgressUrl, UrlTable, ::testing::Range<std::size_t>(0, table().size()),
                         case_name);

TEST(UrlTableSize, AtLeast150Cases) { EXPECT_GE(table().size(), 150u); }

// ---- canonical forms: what the decision and the connection will use.

TEST(EgressUrlCanonical, LowercasesHostAndDefaultsPort) {
  const UrlResult r = parse_url("HTTPS://Acme.Grafana.NET/api/search?q=1");
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.url.host, "acme.grafana.net");
  EXPECT_EQ(r.url.port, 443);
  EXPECT_EQ(r.url.path, "/api/search");
  EXPECT_EQ(r.url.query, "q=1");
  EXPECT_EQ(r.url.to_string(), "https://acme.grafana.net/api/search?q=1");
}

TEST(EgressUrlCanonical, ExplicitPortKeptWhenNotDefault) {
  const UrlResult r = parse_url("https://a.example.com:8443");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.url.port, 8443);
  EXPECT_EQ(r.url.path, "/");
  EXPECT_EQ(r.url.origin(), "https://a.example.com:8443");
  EXPECT_EQ(parse_url("https://a.example.com:443/").url.origin(), "https://a.example.com");
}

TEST(EgressUrlCanonical, PercentEncodingNormalized) {
  const UrlResult r = parse_url("https://a.example.com/a%7eb/%c3%a9?x=%2f%41");
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.url.path, "/a~b/%C3%A9");
  EXPECT_EQ(r.url.query, "x=%2FA");
}

TEST(EgressUrlCanonical, EmptyQueryDropped) {
  const UrlResult r = parse_url("https://a.example.com/x?");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.url.to_string(), "https://a.example.com/x");
}

TEST(EgressOriginInvalid, OriginMustHaveNoPathOrQuery) {
  EXPECT_TRUE(parse_origin("https://acme.grafana.net").ok);
  EXPECT_TRUE(parse_origin("https://acme.grafana.net/").ok);
  EXPECT_EQ(parse_origin("https://acme.grafana.net/api").rule, "egress-origin-invalid");
  EXPECT_EQ(parse_origin("https://acme.grafana.net/?a=1").rule, "egress-origin-invalid");
  EXPECT_EQ(parse_origin("http://acme.grafana.net").rule, "egress-url-scheme");
}

TEST(EgressUrlIpLiteral, LastLabelRule) {
  EXPECT_TRUE(looks_like_ipv4_literal("1.2.3.4"));
  EXPECT_TRUE(looks_like_ipv4_literal("a.0x1F"));
  EXPECT_FALSE(looks_like_ipv4_literal("1.2.3.4.nip.io"));
  EXPECT_FALSE(looks_like_ipv4_literal("0xg"));
  EXPECT_FALSE(looks_like_ipv4_literal("a1"));
}

}  // namespace
}  // namespace vitrine::egress
