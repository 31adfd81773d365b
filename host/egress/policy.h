// The egress decision: may this plugin, rendering in this space, GET this
// URL with these headers? (DESIGN.md "Egress policy", promises P1 P2 P3 P4
// P7.) Every refusal names the rule that refused it; docs/security/egress.md
// lists the rules with rationale and examples.
//
// The decision is split in two phases because only the second needs the
// network:
//   1. decide()            URL, host, origin, scope, method, body, headers
//   2. pin()               resolve once, classify every address, fail closed
// pin() returns a PinnedTarget: the only value the network client accepts.
// It carries the exact address list that was checked, so the connection
// cannot look the name up a second time (DNS rebinding) and nothing can
// reach the network without having passed both phases.
#pragma once

#include <Poco/Net/IPAddress.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/ip_class.h"
#include "egress/url.h"
#include "manifest/manifest.h"
#include "manifest/scope_catalog.h"

namespace vitrine::egress {

// ------------------------------------------------------------ inputs

// An origin a platform admin approved for one space by binding one plugin's
// customer-managed egress entry to it (e.g. a self-hosted Grafana outside
// the entry's pattern). The binding names the plugin and the entry so that
// an approval given for plugin A never lets plugin B through (P1: never the
// union over plugins).
struct CustomerOrigin {
  std::string origin;          // https://HOST[:PORT]
  std::string plugin_id;       // the plugin whose entry was bound
  std::string entry;           // the entry's text as written in that manifest
  bool allow_private = false;  // admin-approved to resolve to private addresses (P7)
};

// What the space allows. The Grafana origin is the one origin the space's
// token is attached to (P4).
struct SpaceOrigins {
  std::string grafana_origin;          // https://HOST[:PORT] of the space's Grafana stack
  bool grafana_allow_private = false;  // platform admin approved it as private (self-hosted)
  std::vector<CustomerOrigin> customer_managed;
};

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string_view method = "GET";
  std::string_view url;
  const std::vector<Header>* headers = nullptr;  // may be null: no headers
  bool has_body = false;
};

// The scope catalog to read path prefixes from. nullptr means the compiled-in
// manifest::scope_catalog(); tests may pass their own to pin prefixes
// independently of the catalog's evolution.
using ScopeCatalog = const std::vector<manifest::Scope>*;

// ------------------------------------------------------------ output

struct Decision {
  bool allowed = false;
  std::string rule;    // on deny: the rule id; on allow: "egress-allow"
  std::string reason;  // on deny: what happened and what to do
  Url url;             // canonical URL (valid when parsing succeeded)
  // True only when the URL's origin is exactly the space's Grafana origin.
  bool attach_token = false;
  // True when the origin was approved as private for this space.
  bool allow_private = false;
  std::string matched_entry;  // the plugin's egress entry that matched (text)
  std::string matched_scope;  // the scope whose prefix allowed the path
};

// Limits on plugin headers (header-too-many, header-too-long).
inline constexpr std::size_t kMaxPluginHeaders = 16;
inline constexpr std::size_t kMaxHeaderValueLength = 1024;

// Phase 1 for a render call: `plugin` is the calling plugin's own manifest,
// `space` the space it renders in. Never throws.
Decision decide(const manifest::Manifest& plugin, const SpaceOrigins& space, const Request& req,
                ScopeCatalog catalog = nullptr);

// Phase 1 without a space, for `vitrine egress check` without --origin:
// the origin-approval rule is skipped and attach_token is always false.
// Never use this for a real fetch.
Decision decide_without_space(const manifest::Manifest& plugin, const Request& req,
                              ScopeCatalog catalog = nullptr);

// Header rules alone (also used for redirect hops).
Decision check_headers(const std::vector<Header>& headers);

// Does `host:port` match the entry? "*.x" matches "a.x" and "a.b.x", never
// "x"; the port must equal the entry's port.
bool entry_matches(const manifest::EgressEntry& entry, std::string_view host, uint16_t port);

// Does the scope prefix allow `target` (path + optional "?query")? True when
// target equals the prefix or continues it with '/' or '?'.
bool prefix_matches(std::string_view prefix, std::string_view target);

// ------------------------------------------------------------ phase 2

struct AddressCheck {
  bool allowed = false;
  std::string rule;  // egress-address-<class>, egress-address-none
  std::string reason;
};

// Fails closed when the list is empty or ANY address is not public, unless
// allow_private. Multicast, broadcast, unspecified and reserved addresses are
// refused even with allow_private: no Grafana is ever there.
AddressCheck check_addresses(const std::vector<Poco::Net::IPAddress>& addresses,
                             bool allow_private);

struct ResolveResult {
  bool ok = false;
  std::vector<Poco::Net::IPAddress> addresses;
  std::string error;  // when !ok
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Resolves `host` (already validated by parse_url) to all its addresses.
  virtual ResolveResult resolve(const std::string& host) = 0;
};

// getaddrinfo(AF_UNSPEC, SOCK_STREAM). Blocking; call from a render worker.
class SystemResolver final : public Resolver {
 public:
  ResolveResult resolve(const std::string& host) override;
};

// Answers from a script, for tests: each call for a host returns the next
// scripted answer (the last one repeats). Counts the calls so tests can
// prove a name is looked up exactly once.
class ScriptedResolver final : public Resolver {
 public:
  void add(const std::string& host, std::vector<std::string> addresses);
  void add_failure(const std::string& host, std::string error);
  ResolveResult resolve(const std::string& host) override;
  int calls(const std::string& host) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::deque<ResolveResult>> script_;
  std::map<std::string, int> calls_;
};

struct PinResult;
// Phase 2: resolves decision.url.host exactly once and checks every address.
PinResult pin(const Decision& decision, Resolver& resolver);

// The result of both phases: a URL plus the exact addresses that were
// checked. The network client connects only to `addresses()` (in order),
// with SNI, Host and the certificate name check set to url().host, and
// never resolves the name again, including on reconnect. Only pin() makes
// one, so holding a PinnedTarget proves the checks ran.
class PinnedTarget {
 public:
  const Url& url() const { return url_; }
  const std::vector<Poco::Net::IPAddress>& addresses() const { return addresses_; }
  bool attach_token() const { return attach_token_; }

 private:
  friend PinResult pin(const Decision& decision, Resolver& resolver);
  PinnedTarget() = default;
  Url url_;
  std::vector<Poco::Net::IPAddress> addresses_;
  bool attach_token_ = false;
};

struct PinResult {
  bool ok = false;
  std::optional<PinnedTarget> target;  // set only when ok
  std::string rule;                    // when !ok: egress-denied (decision not allowed),
                                       // egress-resolve-failed, egress-address-*
  std::string reason;
};

// ------------------------------------------------------------ audit

struct AuditRecord {
  std::string plugin;
  std::string space;
  std::string method;
  std::string url;      // redact_query_values() applied
  std::string verdict;  // "allow" or "deny"
  std::string rule;
  int http_status = 0;  // 0 when no response
  uint64_t bytes = 0;   // decoded body bytes received
  uint64_t ms = 0;      // wall time of the whole fetch
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void record(const AuditRecord& r) = 0;  // [thread-safe]
};

class InMemoryAuditSink final : public AuditSink {
 public:
  void record(const AuditRecord& r) override;
  std::vector<AuditRecord> records() const;

 private:
  mutable std::mutex mu_;
  std::vector<AuditRecord> records_;
};

// Makes a URL text safe to store: query values become "REDACTED" (names
// stay), userinfo and fragment are replaced, control and non-ASCII bytes are
// percent-encoded, and the result is capped at 2 KiB. Works on any text,
// including URLs the parser refused (they are audited too).
std::string redact_query_values(std::string_view url);

// The audit record of a decision before any network activity.
AuditRecord audit_record(std::string_view plugin, std::string_view space, const Request& req,
                         const Decision& d);

}  // namespace vitrine::egress
