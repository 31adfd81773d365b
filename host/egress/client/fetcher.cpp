#include "egress/client/fetcher.h"

#include <Poco/Net/IPAddress.h>

#include <algorithm>
#include <set>

#include "egress/ip_class.h"

namespace vitrine::egress::client {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" before any
// '/', '?' or '#'.
bool has_scheme(std::string_view s) {
  if (s.empty() || !is_alpha(s.front())) return false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ':') return true;
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

}  // namespace

// ------------------------------------------------------------ OverrideResolver

OverrideResolver::OverrideResolver(Resolver& inner, std::vector<ResolveOverride> overrides)
    : inner_(inner), overrides_(std::move(overrides)) {}

const ResolveOverride* OverrideResolver::find(std::string_view host) const {
  for (const auto& o : overrides_) {
    if (o.host == host) return &o;  // exact name only: no suffix, no wildcard
  }
  return nullptr;
}

ResolveResult OverrideResolver::resolve(const std::string& host) {
  if (const ResolveOverride* o = find(host)) {
    ResolveResult r;
    r.ok = true;
    r.addresses.emplace_back(o->address);
    return r;
  }
  return inner_.resolve(host);
}

// ------------------------------------------------------------ Location

std::optional<std::string> resolve_location(const Url& base, std::string_view location) {
  if (location.empty()) return std::nullopt;
  if (location.size() >= 2 && location[0] == '/' && location[1] == '/') {
    return "https:" + std::string(location);  // scheme-relative keeps https
  }
  if (has_scheme(location)) return std::string(location);  // parse_url judges the scheme
  if (location.front() == '/') return base.origin() + std::string(location);
  if (location.front() == '?') return base.origin() + base.path + std::string(location);
  // Relative path: replaces the last segment of the base path. Dot segments
  // are not resolved here; parse_url refuses them.
  const std::string dir = base.path.substr(0, base.path.rfind('/') + 1);
  return base.origin() + dir + std::string(location);
}

// ------------------------------------------------------------ Fetcher

Fetcher::Fetcher(FetchConfig config, Resolver& resolver, TokenProvider& tokens, AuditSink& audit,
                 std::unique_ptr<TlsClient> client)
    : config_(std::move(config)),
      resolver_(resolver, config_.resolve),
      tokens_(tokens),
      audit_(audit),
      client_(std::move(client)),
      flights_(config_.shared_flights, config_.on_shared, config_.reuse_window) {
  for (const auto& o : config_.resolve) {
    warnings_.push_back("egress test override active: " + o.host + " connects to " + o.address +
                        ":" + std::to_string(o.port) +
                        " and skips the address-class check (P7); for tests and demos only, "
                        "remove `resolve` entries from the config in production");
  }
}

std::unique_ptr<Fetcher> Fetcher::create(FetchConfig config, Resolver& resolver,
                                         TokenProvider& tokens, AuditSink& audit,
                                         std::string& error) {
  std::set<std::string> seen;
  for (const auto& o : config.resolve) {
    const UrlResult u = parse_url("https://" + o.host + "/");
    if (!u.ok || u.url.host != o.host || u.url.port != 443) {
      error = "resolve override host '" + o.host +
              "' is not a valid lowercase host name [egress-config-override-host]; write the "
              "exact name, without scheme, port or trailing dot";
      return nullptr;
    }
    if (!seen.insert(o.host).second) {
      error = "resolve override host '" + o.host +
              "' is listed twice [egress-config-override-host]; keep one entry";
      return nullptr;
    }
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(o.address, address) ||
        classify(address).klass != IpClass::loopback) {
      error = "resolve override for '" + o.host + "' maps to '" + o.address +
              "', which is not a loopback address [egress-config-override-address]; the test "
              "override may only point at this machine (127.0.0.0/8 or ::1)";
      return nullptr;
    }
    if (o.port == 0) {
      error = "resolve override for '" + o.host +
              "' has port 0 [egress-config-override-port]; give the port the test server "
              "listens on";
      return nullptr;
    }
  }
  if (config.connect_timeout.count() <= 0 || config.handshake_timeout.count() <= 0 ||
      config.total_timeout.count() <= 0) {
    error = "egress timeouts must be positive [egress-config-timeout]";
    return nullptr;
  }
  TlsConfig tls;
  tls.extra_ca_file = config.extra_ca_file;
  std::string tls_error;
  auto client = TlsClient::create(tls, tls_error);
  if (!client) {
    error = tls_error + " [egress-config-tls]";
    return nullptr;
  }
  return std::unique_ptr<Fetcher>(
      new Fetcher(std::move(config), resolver, tokens, audit, std::move(client)));
}

FetchResult Fetcher::get(const FetchRequest& request) {
  try {
    return get_impl(request);
  } catch (const std::exception& e) {
    FetchResult r;
    r.outcome = Outcome::internal;
    r.rule = "egress-internal";
    r.reason = std::string("internal error in the egress fetcher: ") + e.what();
    return r;
  } catch (...) {
    FetchResult r;
    r.outcome = Outcome::internal;
    r.rule = "egress-internal";
    r.reason = "internal error in the egress fetcher";
    return r;
  }
}

FetchResult Fetcher::get_impl(const FetchRequest& request) {
  const auto start = Clock::now();
  auto elapsed_ms = [&] {
    return static_cast<uint64_t>(duration_cast<milliseconds>(Clock::now() - start).count());
  };
  FetchResult out;
  if (request.plugin == nullptr || request.space == nullptr) {
    out.rule = "egress-internal";
    out.reason = "the fetch has no plugin manifest or space; this is a host bug";
    return out;
  }
  const manifest::Manifest& plugin = *request.plugin;
  Clock::time_point deadline = start + config_.total_timeout;
  if (request.deadline && *request.deadline < deadline) deadline = *request.deadline;

  std::string url = request.url;
  std::string previous;  // redacted URL of the hop that redirected here
  std::set<std::string> visited;

  for (int hop = 0;; ++hop) {
    // Every hop is a fresh request through all the rules (P1): the plugin's
    // own entries, the space's approvals, scopes, method, headers.
    Request req;
    req.method = "GET";
    req.url = url;
    req.headers = &request.headers;
    const Decision d = decide(plugin, *request.space, req, config_.catalog);
    AuditRecord rec = audit_record(plugin.id, request.space_key, req, d);
    const std::string hop_prefix =
        hop == 0 ? std::string() : "redirect " + std::to_string(hop) + " from " + previous + ": ";

    auto deny = [&](std::string rule, std::string reason) {
      rec.verdict = "deny";
      rec.rule = rule;
      rec.ms = elapsed_ms();
      audit_.record(rec);
      out.outcome = Outcome::denied;
      out.rule = std::move(rule);
      out.reason = hop_prefix + std::move(reason);
      out.redirects = hop;
      out.http_status = 0;
      return out;
    };

    if (!d.allowed) return deny(d.rule, d.reason);
    const std::string canonical = d.url.to_string();
    if (!visited.insert(canonical).second) {
      return deny("egress-redirect-loop",
                  "the redirect leads back to " + redact_query_values(canonical) +
                      ", which this fetch already requested; the server's redirects form a "
                      "loop, fix the URL or the server");
    }

    // Phase 2. The override flag applies to its exact host name only.
    const ResolveOverride* override_entry = resolver_.find(d.url.host);
    Decision pin_decision = d;
    if (override_entry != nullptr) pin_decision.allow_private = true;
    const PinResult p = pin(pin_decision, resolver_);
    if (!p.ok) {
      FetchResult r = deny(p.rule, p.reason);
      // A name that does not resolve is "upstream unreachable" (DNS), not a
      // policy refusal: VITRINE_E_UNAVAILABLE, as docs/plugin-abi.md lists
      // it. An address the policy forbids stays VITRINE_E_DENIED. The audit
      // verdict stays "deny": no request was sent.
      if (p.rule == "egress-resolve-failed" || p.rule == "egress-address-none") {
        r.outcome = Outcome::unavailable;
      }
      return r;
    }

    // The token only for the space's Grafana origin (decide() computed it
    // for this hop's URL, so it never follows a redirect elsewhere: P4).
    std::optional<std::string> token;
    if (p.target->attach_token()) {
      TokenAnswer answer = tokens_.token_for(request.space_key);
      if (!answer.unusable.empty()) {
        rec.verdict = "error";
        rec.rule = "egress-token-unusable";
        rec.ms = elapsed_ms();
        audit_.record(rec);
        out.outcome = Outcome::internal;
        out.rule = "egress-token-unusable";
        out.reason = hop_prefix + answer.unusable;
        out.redirects = hop;
        return out;
      }
      token = std::move(answer.token);
    }

    ExchangeOptions opt;
    opt.connect_port = override_entry != nullptr ? override_entry->port : 0;
    opt.headers = &request.headers;
    opt.bearer_token = token ? &*token : nullptr;
    opt.connect_timeout = config_.connect_timeout;
    opt.handshake_timeout = config_.handshake_timeout;
    opt.deadline = deadline;
    opt.limits = config_.limits;
    opt.skip_redirect_body = true;
    // UF-1: the policy allowed this hop and the credential is chosen, so
    // only now may it share an identical request in flight (UF-2..UF-5).
    ExchangeResult x = flights_.run(
        request.space_key,
        flight_key(req.method, canonical, opt.connect_port, request.headers, opt.bearer_token),
        deadline, request.upstream_from_ms, [&] { return client_->get(*p.target, opt); });
    token.reset();

    // "allow" only when the exchange happened; a request the policy allowed
    // but the network refused (TLS, timeout, limits) is an "error", so the
    // audit never shows a failed TLS check as an allowed fetch.
    rec.verdict = x.outcome == Outcome::ok ? "allow" : "error";
    rec.rule = x.rule;
    rec.http_status = x.outcome == Outcome::ok ? x.response.status : 0;
    rec.bytes = x.response.body.size();
    rec.ms = elapsed_ms();
    audit_.record(rec);

    out.final_url = canonical;
    out.redirects = hop;
    if (x.outcome != Outcome::ok) {
      out.outcome = x.outcome;
      out.rule = std::move(x.rule);
      out.reason = hop_prefix + std::move(x.reason);
      return out;
    }
    const int status = x.response.status;
    if (!is_redirect(status)) {
      out.outcome = Outcome::ok;
      out.rule = "egress-allow";
      out.http_status = status;
      if (const std::string* ct = x.response.header("content-type")) out.content_type = *ct;
      out.body = std::move(x.response.body);
      return out;
    }

    // A redirect: the next hop is only a candidate URL until it passes
    // decide() and pin() at the top of the loop.
    previous = redact_query_values(canonical);
    const std::string* location = x.response.header("location");
    std::optional<std::string> next;
    if (location != nullptr) next = resolve_location(d.url, *location);
    if (!next) {
      AuditRecord bad = rec;
      bad.verdict = "deny";
      bad.rule = "egress-redirect-location";
      audit_.record(bad);
      out.outcome = Outcome::upstream;
      out.rule = "egress-redirect-location";
      out.reason = previous + " answered " + std::to_string(status) +
                   " without a usable Location header; the server's redirect is broken";
      return out;
    }
    if (hop + 1 > kMaxRedirects) {
      Request next_req;
      next_req.url = *next;
      Decision nd;  // not evaluated: the hop limit refuses before any rule runs
      nd.rule = "egress-redirect-limit";
      AuditRecord lim = audit_record(plugin.id, request.space_key, next_req, nd);
      lim.ms = elapsed_ms();
      audit_.record(lim);
      out.outcome = Outcome::denied;
      out.rule = "egress-redirect-limit";
      out.reason = "more than " + std::to_string(kMaxRedirects) + " redirects (the last from " +
                   previous + "); the host follows at most 5, point the plugin at the final URL";
      out.http_status = 0;
      return out;
    }
    url = std::move(*next);
  }
}

}  // namespace vitrine::egress::client
