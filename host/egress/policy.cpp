#include "egress/policy.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace vitrine::egress {
namespace {

Decision deny(Decision d, std::string rule, std::string reason) {
  d.allowed = false;
  d.attach_token = false;
  d.allow_private = false;
  d.rule = std::move(rule);
  d.reason = std::move(reason);
  return d;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  if (scopes.empty()) return "none";
  std::string s;
  for (const auto& id : scopes) {
    if (!s.empty()) s += ", ";
    s += id;
  }
  return s;
}

// ------------------------------------------------------------ headers

// Plugin headers are allowlisted. Each one is there because a read-only
// Grafana client needs it and it cannot change where or how the request goes:
//   accept, accept-language        content negotiation (JSON vs. text, locale)
//   if-none-match, if-modified-since  conditional GETs so cached data can be
//                                  revalidated cheaply (304)
//   x-grafana-org-id               selects the organization on multi-org
//                                  stacks; Grafana still checks it against the
//                                  token, so it cannot widen access
// Everything else (User-Agent, Accept-Encoding, Host, ...) is the host's.
constexpr std::string_view kAllowedHeaders[] = {
    "accept", "accept-language", "if-none-match", "if-modified-since", "x-grafana-org-id",
};

struct Forbidden {
  std::string_view name;  // lowercase; a trailing '*' matches any suffix
  std::string_view why;
};

// Refused with a specific explanation (rule header-forbidden), so a plugin
// author learns why instead of just "not allowed".
constexpr Forbidden kForbiddenHeaders[] = {
    {"host",
     "the host sets Host from the checked URL; another Host would reach a different "
     "virtual host than the one the policy approved"},
    {"authorization",
     "credentials never come from plugins (P4); the host attaches the space's "
     "token itself, only for the space's Grafana origin"},
    {"cookie", "credentials never come from plugins (P4)"},
    {"content-length",
     "GET requests carry no body; body framing headers enable request "
     "smuggling"},
    {"transfer-encoding",
     "GET requests carry no body; body framing headers enable request "
     "smuggling"},
    {"connection", "hop-by-hop headers belong to the host's HTTP client"},
    {"upgrade", "protocol switching (e.g. WebSocket) is not part of a read-only GET"},
    {"te", "hop-by-hop headers belong to the host's HTTP client"},
    {"trailer", "GET requests carry no body or trailers"},
    {"keep-alive", "hop-by-hop headers belong to the host's HTTP client"},
    {"expect", "GET requests carry no body to expect a 100-continue for"},
    {"proxy-*", "proxy routing and proxy credentials belong to the host"},
    {"x-http-method-override",
     "method overrides turn a GET into another method on servers that "
     "honour them (P2: read-only)"},
    {"x-http-method",
     "method overrides turn a GET into another method on servers that honour "
     "them (P2: read-only)"},
    {"x-method-override",
     "method overrides turn a GET into another method on servers that "
     "honour them (P2: read-only)"},
};

// RFC 9110 token characters, as a compile-time table.
constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kTchar = make_tchar_table();

bool is_tchar(char c) { return kTchar[static_cast<unsigned char>(c)]; }

bool has_crlf_nul(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

// ------------------------------------------------------------ addresses

// Classes a platform admin can open for one origin with allow_private (a
// self-hosted Grafana on a private network or on the same machine). The
// rest stay closed even then: nothing legitimate is behind them, and the
// link-local range holds the cloud metadata service.
constexpr IpClass kPrivatelyApprovable[] = {
    IpClass::loopback,
    IpClass::private_rfc1918,
    IpClass::cgnat,
    IpClass::ula,
};

bool privately_approvable(IpClass c) {
  return std::find(std::begin(kPrivatelyApprovable), std::end(kPrivatelyApprovable), c) !=
         std::end(kPrivatelyApprovable);
}

std::string escape_bytes(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    } else {
      out += ch;
    }
  }
  return out;
}

const std::vector<manifest::Scope>& catalog_or_default(ScopeCatalog catalog) {
  return catalog != nullptr ? *catalog : manifest::scope_catalog();
}

const manifest::Scope* find_in(const std::vector<manifest::Scope>& catalog, std::string_view id) {
  for (const auto& s : catalog) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

bool url_prefix_matches(std::string_view prefix, const Url& url) {
  // Fast path: the prefix lies within the path, the common case.
  const std::string_view path = url.path;
  if (prefix.size() <= path.size()) {
    if (path.compare(0, prefix.size(), prefix) != 0) return false;
    if (path.size() == prefix.size()) return true;  // equal (query, if any, follows with '?')
    return path[prefix.size()] == '/';
  }
  // The prefix reaches into the query (e.g. "/api/search?type=dash-db"):
  // compare against path + "?" + query without building that string.
  if (url.query.empty() || prefix.compare(0, path.size(), path) != 0 ||
      prefix[path.size()] != '?') {
    return false;
  }
  const std::string_view want = prefix.substr(path.size() + 1);
  const std::string_view query = url.query;
  if (query.size() < want.size() || query.compare(0, want.size(), want) != 0) return false;
  if (query.size() == want.size()) return true;
  return query[want.size()] == '/' || query[want.size()] == '?';
}

// True when `text` is exactly "https://HOST" (port 443) or
// "https://HOST:PORT" for the URL's host and port.
bool is_canonical_origin_of(std::string_view text, const Url& url) {
  constexpr std::string_view kScheme = "https://";
  if (text.substr(0, kScheme.size()) != kScheme) return false;
  text.remove_prefix(kScheme.size());
  if (text.substr(0, url.host.size()) != url.host) return false;
  text.remove_prefix(url.host.size());
  if (url.port == 443) return text.empty();
  std::array<char, 8> buf{};
  buf[0] = ':';
  const auto [end, ec] = std::to_chars(buf.data() + 1, buf.data() + buf.size(), url.port);
  if (ec != std::errc{}) return false;
  return text == std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data()));
}

Decision decide_impl(const manifest::Manifest& plugin, const SpaceOrigins* space,
                     const Request& req, ScopeCatalog catalog_in) {
  Decision d;

  // 1. egress-url-*: the strict parse.
  UrlResult parsed = parse_url(req.url);
  if (!parsed.ok) return deny(std::move(d), std::move(parsed.rule), std::move(parsed.reason));
  d.url = std::move(parsed.url);
  const std::string& host = d.url.host;
  const uint16_t port = d.url.port;

  // 2. The plugin's OWN entries (never the union over plugins).
  const manifest::EgressEntry* matched = nullptr;
  const manifest::EgressEntry* other_port = nullptr;
  for (const auto& e : plugin.egress) {
    if (entry_matches(e, host, port)) {
      matched = &e;
      break;
    }
    if (entry_matches(e, host, e.port)) other_port = &e;
  }

  if (space != nullptr) {
    // 2b. Narrowed to the origins approved for the space.
    // The common case, the URL is on the space's Grafana origin spelled
    // canonically, needs no second parse: a text equal to the canonical
    // origin of a validated URL is valid by construction.
    const bool fast_grafana = is_canonical_origin_of(space->grafana_origin, d.url);
    UrlResult grafana;
    if (!fast_grafana) {
      grafana = parse_origin(space->grafana_origin);
      if (!grafana.ok) {
        return deny(std::move(d), "egress-space-origin-invalid",
                    "the space's Grafana origin '" + space->grafana_origin +
                        "' is not a valid https origin (" + grafana.rule +
                        "); a space admin must correct it in the space settings");
      }
    }
    const bool is_grafana = fast_grafana || (grafana.url.host == host && grafana.url.port == port);

    // A customer-managed binding counts only for this plugin and only when
    // the bound entry is still in its manifest and still customer-managed.
    const CustomerOrigin* bound = nullptr;
    const manifest::EgressEntry* bound_entry = nullptr;
    for (const auto& co : space->customer_managed) {
      if (co.plugin_id != plugin.id) continue;
      UrlResult o = parse_origin(co.origin);
      if (!o.ok || o.url.host != host || o.url.port != port) continue;
      for (const auto& e : plugin.egress) {
        if (e.customer_managed && e.text == co.entry) {
          bound = &co;
          bound_entry = &e;
          break;
        }
      }
      if (bound != nullptr) break;
    }

    if (matched == nullptr && bound == nullptr) {
      if (other_port != nullptr) {
        return deny(std::move(d), "egress-port-not-declared",
                    "port " + std::to_string(port) + " of " + host + " is not declared: entry '" +
                        other_port->text + "' allows port " + std::to_string(other_port->port) +
                        "; use that port or declare the port in "
                        "permissions.external.fetch.backend");
      }
      return deny(std::move(d), "egress-host-not-declared",
                  "plugin '" + plugin.id + "' does not declare " + d.url.origin() +
                      " in permissions.external.fetch.backend; add an entry for it to the "
                      "plugin's manifest (a platform admin must approve the change)");
    }
    if (matched == nullptr) matched = bound_entry;
    if (!is_grafana && bound == nullptr) {
      return deny(std::move(d), "egress-origin-not-approved",
                  d.url.origin() + " matches the plugin's entry '" + matched->text +
                      "' but is not approved for this space: the space's Grafana origin is " +
                      grafana.url.origin() +
                      "; use that origin, or ask a platform admin to bind a customer-managed "
                      "entry to this origin for the space");
    }
    d.attach_token = is_grafana;
    d.allow_private =
        (is_grafana && space->grafana_allow_private) || (bound != nullptr && bound->allow_private);
  } else if (matched == nullptr) {
    if (other_port != nullptr) {
      return deny(std::move(d), "egress-port-not-declared",
                  "port " + std::to_string(port) + " of " + host + " is not declared: entry '" +
                      other_port->text + "' allows port " + std::to_string(other_port->port) +
                      "; use that port or declare the port in permissions.external.fetch.backend");
    }
    return deny(std::move(d), "egress-host-not-declared",
                "plugin '" + plugin.id + "' does not declare " + d.url.origin() +
                    " in permissions.external.fetch.backend; add an entry for it to the plugin's "
                    "manifest (a platform admin must approve the change)");
  }
  d.matched_entry = matched->text;

  // 3. The path must be opened by one of the plugin's own scopes (P3).
  const auto& catalog = catalog_or_default(catalog_in);
  for (const auto& id : plugin.scopes) {
    const manifest::Scope* scope = find_in(catalog, id);
    if (scope == nullptr) continue;  // unknown ids are refused by the manifest checker
    for (const auto& prefix : scope->path_prefixes) {
      if (url_prefix_matches(prefix, d.url)) {
        d.matched_scope = scope->id;
        break;
      }
    }
    if (!d.matched_scope.empty()) break;
  }
  if (d.matched_scope.empty()) {
    std::string hint;
    for (const auto& scope : catalog) {
      for (const auto& prefix : scope.path_prefixes) {
        if (hint.empty() && url_prefix_matches(prefix, d.url)) {
          hint = "; the scope that opens it is " + scope.id +
                 ": add it to permissions.scopes (a platform admin must approve the change)";
        }
      }
    }
    if (hint.empty()) hint = "; no scope in the catalog opens this path, so no plugin may read it";
    return deny(std::move(d), "egress-scope-path",
                "the path " + d.url.path + " is not opened by the plugin's scopes (" +
                    join_scopes(plugin.scopes) + ")" + hint);
  }

  // 3b. Method exactly GET (P2). Case-sensitive: methods are (RFC 9110).
  if (req.method != "GET") {
    return deny(std::move(d), "egress-method",
                "the method '" + escape_bytes(req.method.substr(0, 32)) +
                    "' is not allowed: the http capability is read-only (P2) and sends GET only");
  }
  // 3c. No body.
  if (req.has_body) {
    return deny(std::move(d), "egress-body",
                "the request has a body; the http capability sends GET requests without a body, "
                "remove it");
  }
  // 3d. Headers.
  if (req.headers != nullptr) {
    Decision h = check_headers(*req.headers);
    if (!h.allowed) return deny(std::move(d), std::move(h.rule), std::move(h.reason));
  }
  d.allowed = true;
  d.rule = "egress-allow";
  return d;
}

}  // namespace

bool entry_matches(const manifest::EgressEntry& entry, std::string_view host, uint16_t port) {
  if (port != entry.port) return false;
  const std::string_view e = entry.host;
  if (!entry.wildcard) return iequals(host, e);
  // "*.x": at least one whole label before ".x"; "x" itself never matches.
  if (host.size() < e.size() + 2) return false;
  const std::size_t dot = host.size() - e.size() - 1;
  return host[dot] == '.' && iequals(host.substr(dot + 1), e);
}

bool prefix_matches(std::string_view prefix, std::string_view target) {
  if (target.size() < prefix.size() || target.compare(0, prefix.size(), prefix) != 0) return false;
  if (target.size() == prefix.size()) return true;
  const char next = target[prefix.size()];
  return next == '/' || next == '?';
}

Decision decide(const manifest::Manifest& plugin, const SpaceOrigins& space, const Request& req,
                ScopeCatalog catalog) {
  return decide_impl(plugin, &space, req, catalog);
}

Decision decide_without_space(const manifest::Manifest& plugin, const Request& req,
                              ScopeCatalog catalog) {
  return decide_impl(plugin, nullptr, req, catalog);
}

Decision check_headers(const std::vector<Header>& headers) {
  Decision d;
  if (headers.size() > kMaxPluginHeaders) {
    d.rule = "header-too-many";
    d.reason = std::to_string(headers.size()) + " headers were given; at most " +
               std::to_string(kMaxPluginHeaders) + " are accepted, send fewer";
    return d;
  }
  for (const auto& h : headers) {
    // CR, LF and NUL first: they split or truncate the request on the wire.
    if (has_crlf_nul(h.name) || has_crlf_nul(h.value)) {
      d.rule = "header-crlf";
      d.reason = "header '" + escape_bytes(h.name.substr(0, 64)) +
                 "' contains CR, LF or NUL, which would inject headers; remove them";
      return d;
    }
    if (h.name.empty() || !std::all_of(h.name.begin(), h.name.end(), is_tchar)) {
      d.rule = "header-name-invalid";
      d.reason = "header name '" + escape_bytes(h.name.substr(0, 64)) +
                 "' is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~ only)";
      return d;
    }
    std::string name(h.name);
    for (char& c : name) c = lower(c);
    for (const auto& f : kForbiddenHeaders) {
      const bool match =
          f.name.back() == '*'
              ? name.compare(0, f.name.size() - 1, f.name.substr(0, f.name.size() - 1)) == 0
              : name == f.name;
      if (match) {
        d.rule = "header-forbidden";
        d.reason = "header '" + h.name + "' is never accepted from plugins: " + std::string(f.why) +
                   "; remove it";
        return d;
      }
    }
    if (std::find(std::begin(kAllowedHeaders), std::end(kAllowedHeaders), name) ==
        std::end(kAllowedHeaders)) {
      d.rule = "header-not-allowed";
      d.reason = "header '" + h.name +
                 "' is not on the allowlist (Accept, Accept-Language, If-None-Match, "
                 "If-Modified-Since, X-Grafana-Org-Id); remove it";
      return d;
    }
    if (h.value.size() > kMaxHeaderValueLength) {
      d.rule = "header-too-long";
      d.reason = "header '" + h.name + "' has a value of " + std::to_string(h.value.size()) +
                 " bytes; the limit is " + std::to_string(kMaxHeaderValueLength);
      return d;
    }
    for (char ch : h.value) {
      const auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c >= 0x7F) {
        d.rule = "header-value-invalid";
        d.reason = "header '" + h.name +
                   "' has a control or non-ASCII byte in its value; send printable ASCII only";
        return d;
      }
    }
  }
  d.allowed = true;
  d.rule = "egress-allow";
  return d;
}

AddressCheck check_addresses(const std::vector<Poco::Net::IPAddress>& addresses,
                             bool allow_private) {
  AddressCheck r;
  if (addresses.empty()) {
    r.rule = "egress-address-none";
    r.reason = "the host name resolved to no address; check the name and DNS";
    return r;
  }
  // Every address is checked, not just the first: the client may fall back
  // to any of them, and an attacker controls which one fails.
  for (const auto& a : addresses) {
    const IpClassification c = classify(a);
    if (c.is_public()) continue;
    if (allow_private && privately_approvable(c.klass)) continue;
    r.rule = "egress-address-" + std::string(class_name(c.klass));
    r.reason = "the host resolved to " + a.toString() + ", which is " + describe(c) + "; ";
    if (allow_private) {
      r.reason += "this class stays closed even for origins approved as private";
    } else {
      r.reason +=
          "private and special-purpose networks are unreachable (P7) unless a platform admin "
          "approves this origin as private for the space";
    }
    return r;
  }
  r.allowed = true;
  return r;
}

ResolveResult SystemResolver::resolve(const std::string& host) {
  ResolveResult r;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    r.error = std::string("could not resolve ") + host + ": " + ::gai_strerror(rc);
    return r;
  }
  for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
    if (p->ai_addr == nullptr) continue;
    if (p->ai_family != AF_INET && p->ai_family != AF_INET6) continue;
    Poco::Net::IPAddress a(*p->ai_addr);
    if (std::find(r.addresses.begin(), r.addresses.end(), a) == r.addresses.end()) {
      r.addresses.push_back(a);
    }
  }
  ::freeaddrinfo(res);
  r.ok = true;
  return r;
}

void ScriptedResolver::add(const std::string& host, std::vector<std::string> addresses) {
  ResolveResult r;
  r.ok = true;
  for (const auto& a : addresses) r.addresses.emplace_back(a);
  std::lock_guard lock(mu_);
  script_[host].push_back(std::move(r));
}

void ScriptedResolver::add_failure(const std::string& host, std::string error) {
  ResolveResult r;
  r.error = std::move(error);
  std::lock_guard lock(mu_);
  script_[host].push_back(std::move(r));
}

ResolveResult ScriptedResolver::resolve(const std::string& host) {
  std::lock_guard lock(mu_);
  ++calls_[host];
  auto it = script_.find(host);
  if (it == script_.end() || it->second.empty()) {
    ResolveResult r;
    r.error = "no scripted answer for " + host;
    return r;
  }
  ResolveResult r = it->second.front();
  if (it->second.size() > 1) it->second.pop_front();
  return r;
}

int ScriptedResolver::calls(const std::string& host) const {
  std::lock_guard lock(mu_);
  auto it = calls_.find(host);
  return it == calls_.end() ? 0 : it->second;
}

PinResult pin(const Decision& decision, Resolver& resolver) {
  PinResult r;
  if (!decision.allowed) {
    r.rule = decision.rule.empty() ? "egress-denied" : decision.rule;
    r.reason =
        decision.reason.empty() ? "the request was not allowed by the policy" : decision.reason;
    return r;
  }
  // Exactly one lookup. Its answer is both what is checked and what the
  // connection uses.
  ResolveResult res = resolver.resolve(decision.url.host);
  if (!res.ok) {
    r.rule = "egress-resolve-failed";
    r.reason = res.error + "; check the host name and the host's DNS";
    return r;
  }
  AddressCheck check = check_addresses(res.addresses, decision.allow_private);
  if (!check.allowed) {
    r.rule = std::move(check.rule);
    r.reason = std::move(check.reason);
    return r;
  }
  PinnedTarget t;
  t.url_ = decision.url;
  t.addresses_ = std::move(res.addresses);
  t.attach_token_ = decision.attach_token;
  r.target = std::move(t);
  r.ok = true;
  r.rule = "egress-allow";
  return r;
}

void InMemoryAuditSink::record(const AuditRecord& r) {
  std::lock_guard lock(mu_);
  records_.push_back(r);
}

std::vector<AuditRecord> InMemoryAuditSink::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

std::string redact_query_values(std::string_view url) {
  constexpr std::size_t kMax = 2048;
  const bool truncated = url.size() > kMax;
  if (truncated) url = url.substr(0, kMax);
  std::string out;
  out.reserve(url.size() + 16);

  // Userinfo: everything before the last '@' of the authority.
  std::size_t pos = 0;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    const std::size_t auth_start = scheme_end + 3;
    std::size_t auth_end = url.find_first_of("/?#\\", auth_start);
    if (auth_end == std::string_view::npos) auth_end = url.size();
    const std::size_t at = url.substr(auth_start, auth_end - auth_start).rfind('@');
    out += escape_bytes(url.substr(0, auth_start));
    if (at != std::string_view::npos) {
      out += "REDACTED@";
      pos = auth_start + at + 1;
    } else {
      pos = auth_start;
    }
  }
  const std::size_t hash = url.find('#', pos);
  const std::string_view before_frag = url.substr(0, hash);
  const std::size_t q = before_frag.find('?', pos);
  out += escape_bytes(
      before_frag.substr(pos, q == std::string_view::npos ? std::string_view::npos : q - pos));
  if (q != std::string_view::npos) {
    out += '?';
    std::string_view query = before_frag.substr(q + 1);
    bool first = true;
    while (true) {
      const std::size_t amp = query.find('&');
      const std::string_view param = query.substr(0, amp);
      if (!first) out += '&';
      first = false;
      const std::size_t eq = param.find('=');
      if (eq == std::string_view::npos) {
        out += escape_bytes(param);
      } else {
        out += escape_bytes(param.substr(0, eq));
        out += eq + 1 < param.size() ? "=REDACTED" : "=";
      }
      if (amp == std::string_view::npos) break;
      query = query.substr(amp + 1);
    }
  }
  if (hash != std::string_view::npos) out += "#REDACTED";
  if (truncated) out += "...[truncated]";
  return out;
}

AuditRecord audit_record(std::string_view plugin, std::string_view space, const Request& req,
                         const Decision& d) {
  AuditRecord r;
  r.plugin = std::string(plugin);
  r.space = std::string(space);
  r.method = escape_bytes(req.method.substr(0, 32));
  r.url = redact_query_values(d.allowed ? std::string_view(d.url.to_string()) : req.url);
  r.verdict = d.allowed ? "allow" : "deny";
  r.rule = d.rule;
  return r;
}

}  // namespace vitrine::egress
