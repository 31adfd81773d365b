// The whole http/1 flow for one plugin request (DESIGN.md "Egress policy"
// steps 1-7): decide() -> pin() -> pinned TLS GET -> redirects followed by
// us, every hop re-running decide() and pin() in full with the same plugin
// manifest and space -> one audit record per decision.
//
// Rule ids this layer adds (docs/security/egress-network.md):
//   egress-redirect-limit      more than kMaxRedirects redirects
//   egress-redirect-loop       a redirect back to a URL already fetched
//   egress-redirect-location   a redirect without a usable Location
//   egress-config-*            invalid Fetcher configuration (create() only)
// plus every rule of the decision layer (egress.md) and of the TLS client.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/client/single_flight.h"
#include "egress/client/tls_client.h"
#include "egress/policy.h"
#include "egress/shared_flights.h"
#include "manifest/manifest.h"

namespace vitrine::egress::client {

inline constexpr int kMaxRedirects = 5;

// The config's `resolve` test override: `host` (exact name) connects to
// `address` (a loopback address) on `port`. For tests and the demo only.
struct ResolveOverride {
  std::string host;
  std::string address;
  uint16_t port = 0;
};

struct FetchConfig {
  std::string extra_ca_file;                        // PEM, added to the system CA store
  std::chrono::milliseconds connect_timeout{5000};  // per address tried
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds total_timeout{30000};  // cap for a whole fetch, all hops;
                                                   // the render deadline may be shorter
  Limits limits;
  std::vector<ResolveOverride> resolve;  // test override; see OverrideResolver
  ScopeCatalog catalog = nullptr;        // nullptr: the compiled-in catalog
  // Hosts sharing a database send one request per key between them
  // (single_flight.h UF-5); nullptr: single-flight within this process only.
  // Must outlive the Fetcher.
  SharedFlights* shared_flights = nullptr;
  // Called once per request answered by another request's response
  // (from_store: another host's); for metrics. May be empty.
  std::function<void(bool from_store)> on_shared;
  // How long before a request began a response may have been received to
  // answer it (single_flight.h UF-9); zero: only responses in flight.
  std::chrono::milliseconds reuse_window{0};
};

// Where the space's Grafana token comes from (storage comes later). The
// fetcher asks only when the hop's origin is the space's Grafana origin.
struct TokenAnswer {
  // The token; nullopt when none is configured (the request then goes
  // without Authorization).
  std::optional<std::string> token;
  // Non-empty when a token is configured but this host cannot use it (it
  // does not decrypt with the host's keyring): the fetch then fails with
  // rule egress-token-unusable and this reason instead of going without the
  // token, so nobody is told Grafana refused a token it never saw.
  std::string unusable;
};

class TokenProvider {
 public:
  virtual ~TokenProvider() = default;
  // [thread-safe]
  virtual TokenAnswer token_for(std::string_view space_key) = 0;
};

// The test override as a Resolver decorator. For a host named by an
// override it answers the override's loopback address and never asks the
// inner resolver; every other host goes to the inner resolver unchanged.
// The fetcher pairs it with a single flag: for an overridden host (and only
// that exact name) it sets Decision::allow_private before pin(), so pin()
// accepts the loopback answer. Everything else (URL rules, plugin entries,
// space approval, scopes, headers, TLS chain and name checks, limits,
// redirect re-checks) is unchanged. create() refuses overrides whose
// address is not loopback, so allow_private can only ever open loopback.
class OverrideResolver final : public Resolver {
 public:
  OverrideResolver(Resolver& inner, std::vector<ResolveOverride> overrides);
  ResolveResult resolve(const std::string& host) override;
  const ResolveOverride* find(std::string_view host) const;

 private:
  Resolver& inner_;
  std::vector<ResolveOverride> overrides_;
};

struct FetchRequest {
  const manifest::Manifest* plugin = nullptr;  // the calling plugin's own manifest
  const SpaceOrigins* space = nullptr;         // the space it renders in
  std::string space_key;
  std::string url;
  std::vector<Header> headers;  // plugin headers (checked by decide() on every hop)
  // The render call's deadline; the fetch never outlives it.
  std::optional<Clock::time_point> deadline;
  // Only a response received after this time (unix ms) answers it
  // (single_flight.h UF-9): a refresh sets when it began; 0: any response
  // the reuse window allows.
  int64_t upstream_from_ms = 0;
};

struct FetchResult {
  Outcome outcome = Outcome::internal;
  std::string rule;    // "egress-allow" on ok; the refusing/failing rule otherwise
  std::string reason;  // on failure: what happened and what to do (never a token)
  int http_status = 0;
  std::string content_type;
  std::string body;       // decoded
  std::string final_url;  // canonical URL of the last hop
  int redirects = 0;      // redirects followed
};

class Fetcher {
 public:
  // Validates the config (override hosts must be valid URL hosts, override
  // addresses loopback, ports non-zero; the CA file must load). Returns
  // nullptr and sets `error` on a bad config. `resolver`, `tokens` and
  // `audit` must outlive the Fetcher.
  static std::unique_ptr<Fetcher> create(FetchConfig config, Resolver& resolver,
                                         TokenProvider& tokens, AuditSink& audit,
                                         std::string& error);

  // One plugin GET, redirects included. Never throws. [thread-safe]
  FetchResult get(const FetchRequest& request);

  // Warnings the host must log at start (one per test override).
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Identical requests in flight share one upstream request (UF-1..UF-5).
  // [thread-safe]
  const SingleFlight& single_flight() const { return flights_; }

 private:
  Fetcher(FetchConfig config, Resolver& resolver, TokenProvider& tokens, AuditSink& audit,
          std::unique_ptr<TlsClient> client);
  FetchResult get_impl(const FetchRequest& request);

  FetchConfig config_;
  OverrideResolver resolver_;
  TokenProvider& tokens_;
  AuditSink& audit_;
  std::unique_ptr<TlsClient> client_;
  SingleFlight flights_;
  std::vector<std::string> warnings_;
};

// Resolves a Location header against the URL it came from (RFC 3986 forms:
// absolute, scheme-relative, absolute-path, query-only, relative-path). The
// result is text for parse_url(), which then applies every URL rule;
// nothing here decides whether the target is acceptable.
std::optional<std::string> resolve_location(const Url& base, std::string_view location);

}  // namespace vitrine::egress::client
