// The storage backend interface. Services (spaces, approvals, cache, assets,
// admin tokens, audit) talk only to this interface; SQLite implements it
// today (sqlite/sqlite_backend.*) and a PostgreSQL implementation can follow
// without touching any caller.
//
// Rules every implementation keeps:
//   * Every per-space query filters by the space key in SQL, so a row of
//     space A is never returned for space B (P6): a lookup of another
//     space's id answers "not found".
//   * Encrypted columns hold record text from crypto::seal; the backend never
//     sees plaintext secrets, cache values or key material.
//   * The audit table is append-only: there is no update or delete for it
//     (deleting a space keeps its audit rows).
//   * Methods are [thread-safe]; an implementation serializes as it needs.
//   * Expected failures are values (Errc::not_found, Errc::conflict);
//     database failures are Errc::io with the database's message.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/result.h"

namespace vitrine::store {

struct SpaceRow {
  std::string key;
  std::string display_name;
  int64_t created_at_ms = 0;
  std::string created_by;
  std::string grafana_origin;  // empty until connected
  bool grafana_allow_private = false;
  int64_t connected_at_ms = 0;
  std::string connected_by;
  // Immutable internal id (32 hex chars, random, never reused). The key is a
  // name that can be deleted and created again; the id tells the two
  // generations apart, and tokens and audit rows bind to it.
  std::string id = {};
};

struct CustomerOriginRow {
  std::string space;
  std::string origin;
  std::string plugin_id;
  std::string entry;
  bool allow_private = false;
  int64_t approved_at_ms = 0;
  std::string approved_by;
};

// One installed plugin artifact (store/plugin_store.h):
// a manifest and its library, content-addressed and read-only under the
// data directory. Several versions of one plugin live side by side.
struct ArtifactRow {
  std::string plugin_id;
  std::string version;
  std::string manifest_sha256;
  std::string library_sha256;
  std::string manifest_path;  // relative to the data directory
  std::string signer;         // trusted publisher name; empty: unsigned
  std::string source;         // where it was installed from (a path, "plugins_dir")
  int64_t installed_at_ms = 0;
  std::string installed_by;
};

// A platform admin's choice of version (rollback): the plugin runs this
// version, when approved, instead of the newest approved one.
struct PinRow {
  std::string plugin_id;
  std::string version;
  int64_t pinned_at_ms = 0;
  std::string pinned_by;
};

// A publisher key bundles may be signed with (plugins trust add).
struct PublisherRow {
  std::string name;
  std::string public_key;  // base64 of 32 raw Ed25519 bytes
  int64_t added_at_ms = 0;
  std::string added_by;
};

struct SecretRow {
  std::string space;
  std::string name;    // e.g. "grafana-token"
  std::string origin;  // the origin bound into the AAD
  std::string record;  // v1:<key_id>:...
  int64_t set_at_ms = 0;
  std::string set_by;
};

struct ApprovalRow {
  int64_t id = 0;
  std::string plugin_id;
  std::string version;
  std::string permissions_json;  // canonical JSON of scopes + egress
  std::string permissions_hash;  // sha256 hex of permissions_json
  int64_t approved_at_ms = 0;
  std::string approved_by;
  // The artifact the approval pins (plugin store): a library or manifest
  // with other bytes is never covered by it. Empty only in approvals made
  // before artifacts were pinned; the first artifact seen with that id,
  // version and permission set is pinned to it (Approvals::pin_legacy).
  std::string manifest_sha256;
  std::string library_sha256;
  // Set when a platform admin withdrew the plugin's approval (LC-6): the
  // row stays, as history, but covers nothing any more. 0: in force.
  int64_t withdrawn_at_ms = {};
  std::string withdrawn_by = {};
};

struct EnablementRow {
  std::string space;
  std::string plugin_id;
  int64_t enabled_at_ms = 0;
  std::string enabled_by;
};

struct CacheRow {
  std::string space;
  std::string plugin_id;
  std::string key_hash;  // sha256 hex of the plugin's key
  std::string record;    // encrypted value
  int64_t size = 0;      // bytes of `record`, counted against the bounds
  int64_t fetched_at_ms = 0;
  int64_t fresh_until_ms = 0;
  int64_t stale_until_ms = 0;
  int64_t last_access_ms = 0;
};

struct AssetRow {
  std::string space;
  std::string id;  // sha256 hex of the plaintext bytes
  std::string content_type;
  std::string record;  // encrypted bytes
  int64_t size = 0;    // plaintext bytes
  int64_t created_at_ms = 0;
};

struct AdminTokenRow {
  std::string id;    // public identifier ("t" + 8 hex), shown in lists
  std::string hash;  // sha256 hex of the whole token; the token itself is never stored
  std::string role;  // platform-admin | space-admin:SPACE | editor:SPACE | viewer:SPACE
  int64_t created_at_ms = 0;
  std::string created_by;
  int64_t revoked_at_ms = 0;  // 0 = active
  // Space roles: the id of the space the token was created for. The token
  // is honoured only while the space with its key still has this id.
  std::string space_id = {};
  std::string name = {};        // what it is for ("ci-docs-export"); may be empty
  int64_t expires_at_ms = 0;    // 0 = never expires
  int64_t last_used_at_ms = 0;  // 0 = never used; updated at most once a minute
};

// A person who signed in through OpenID Connect (issuer + subject is the
// identity; name and email are as the provider last reported them).
struct UserRow {
  std::string issuer;
  std::string subject;
  std::string name;
  std::string email;
  int64_t first_login_ms = 0;
  int64_t last_login_ms = 0;
};

struct AuditRow {
  int64_t id = 0;
  int64_t at_ms = 0;
  std::string who;
  std::string space;  // empty for platform-wide actions
  std::string action;
  std::string subject;
  std::string verdict;  // allow | deny | ok | error
  std::string detail_json;
  // The id of the space `space` named when the row was written; empty when
  // no such space existed then (or for rows older than space ids that did
  // not belong to the space generation existing at migration 3).
  std::string space_id = {};
  // The row's link in the tamper-evident chain (store/audit_chain.h):
  // SHA-256 hex over the previous row's link and this row's canonical
  // encoding. Empty for rows written before migration 5.
  std::string chain = {};
};

// Where the audit chain starts and what was pruned (one row, migration 5).
struct AuditChainState {
  int64_t genesis_after_id = 0;     // rows up to this id predate the chain
  int64_t pruned_through_id = 0;    // rows up to this id were archived and pruned
  std::string pruned_through_hash;  // the link of that last pruned row
  int64_t pruned_rows = 0;          // rows pruned so far, over every archive
};

struct AuditQuery {
  std::optional<std::string> space;
  int64_t since_ms = 0;
  std::optional<std::string> action_prefix;
  int64_t limit = 100000;
  // One generation of a space only (its id); unset: every generation of `space`.
  std::optional<std::string> space_id = {};
  // Rows written before this time only (exclusive); 0: no upper bound.
  int64_t until_ms = 0;
  // Rows of this actor only (exact `who`, e.g. "ui:tok_..." or "local:root").
  std::optional<std::string> who = {};
  // Newest first (the admin views and exports: `limit` keeps the newest
  // rows); false: oldest first (chain walks, usage).
  bool newest_first = false;
  // Paging newest first: rows with a smaller id only; 0: from the newest.
  int64_t before_id = 0;
};

// The desired-state change feed: one row. Every desired-state write bumps
// `seq` inside its own transaction; a keyring change also bumps
// `keyring_generation`. Running hosts poll it and reconcile (reconcile/).
struct ChangeFeed {
  int64_t seq = 0;
  int64_t keyring_generation = 0;
  int64_t changed_at_ms = 0;
};

// An origin a space admin allows to frame the space's embeds and share
// links (CSP frame-ancestors; store/embed_settings.h validates it).
struct EmbedOriginRow {
  std::string space;
  std::string origin;  // https://host[:port], https://*.suffix or loopback http
  int64_t added_at_ms = 0;
  std::string added_by;
};

// A share link (store/share_links.h): a signed, expiring, revocable
// read-only link to one page or one macro of a space. The signature is not
// stored; it is recomputed from these fields and the space's share-link key.
struct ShareLinkRow {
  std::string id;        // 32 lowercase hex chars, random
  std::string space;     // the space key
  std::string space_id;  // the space generation the link was created in
  std::string page;      // page name ([a-z0-9-]{1,64})
  int64_t macro = 0;     // 1-based index of the macro on the page; 0: the whole page
  int64_t expires_at_ms = 0;
  int64_t created_at_ms = 0;
  std::string created_by;
  int64_t revoked_at_ms = 0;  // 0 = active
  std::string revoked_by = {};
};

// A browser session (store/sessions.h), shared by every host of a cluster.
// Never the cookie's id (only its SHA-256) and never an admin token's text
// (only its id); the user's ID token is an encrypted record.
struct SessionRow {
  std::string id_hash;               // sha256 hex of the cookie's id
  std::string csrf;                  // the per-session token every form carries
  std::string token_id;              // a token session: the admin token's id; else empty
  std::string user_who;              // a user session: user:<issuer host>/<subject>; else empty
  std::string display_name;          // a user session
  std::string roles;                 // a user session: one role per line, as mapped at sign-in
  std::string id_token_record = {};  // a user session: the sealed ID token, or empty
  int64_t created_at_ms = 0;
  int64_t last_seen_ms = 0;  // written at most once a minute
  std::string flash = {};    // one-shot message for the next page
};

// One rate-limit row (server/rate_limit_db.h): a token bucket (tokens,
// refilled_at) or an account's failure backoff (failures, not_before),
// keyed by kind ('client', 'account', 'share-link', 'share-client') and key.
// Times are wall-clock milliseconds of whichever host wrote the row.
struct RateLimitRow {
  std::string kind;
  std::string key;
  double tokens = 0;
  int64_t refilled_at_ms = 0;
  int64_t failures = 0;
  int64_t not_before_ms = 0;
  int64_t touched_at_ms = 0;
};

// The transaction_on() key of one rate_limits row: a bucket's read-modify-
// write serializes with that bucket's only, not with every writer.
inline std::string rate_limit_lock(std::string_view kind, std::string_view key) {
  std::string out = "rate_limits/";
  out += kind;
  out += '/';
  out += key;
  return out;
}

// A space's scheduled cache warming (store/warm_schedules.h). One row per
// space that ever had a schedule; mode "off" keeps the last run's numbers.
struct WarmScheduleRow {
  std::string space;
  std::string mode;        // off | hourly | custom
  int64_t interval_s = 0;  // 3600 for hourly; 0 for off
  int64_t next_due_at_ms = 0;
  int64_t last_started_at_ms = 0;  // 0: never ran
  int64_t last_finished_at_ms = 0;
  int64_t last_refreshed = 0;
  int64_t last_failed = 0;
  std::string last_holder;  // the host that claimed the last run
  int64_t updated_at_ms = 0;
  std::string updated_by;
};

// One sealed known value per key id (store/key_check.h).
struct KeyCheckRow {
  std::string key_id;
  std::string record;
  int64_t created_at_ms = 0;
};

// Which encrypted table a record lives in (for `keys rotate`).
// Tables whose rows hold records sealed with the keyring, which key
// rotation re-wraps. Not here: upstream_flights (responses live seconds;
// one that no longer opens is sent again, UF-8) and key_checks (one per key
// by design).
enum class RecordTable { secret, cache, asset, session };

struct EncryptedRef {
  RecordTable table = RecordTable::secret;
  std::string space;  // session: empty (a session belongs to no space)
  std::string a;  // secret: name      cache: plugin id   asset: id            session: "sessions"
  std::string b;  // secret: origin    cache: key hash    asset: content type  session: id hash
  std::string record;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Runs `fn` in one transaction; commits when it returns ok, rolls back
  // otherwise. Calls on this backend from inside `fn` join the transaction.
  virtual Status transaction(const std::function<Status()>& fn) = 0;
  // A transaction for rows that only other transaction_on() calls naming
  // the same `keys` write (rate-limit buckets): it serializes with those
  // and with nothing else, where transaction() serializes with every
  // writer of the cluster (PostgreSQL's write lock, which audit rows and
  // the change feed need). Nothing in `fn` may write an audit row or bump
  // the change feed. Inside a transaction it joins it. This default (one
  // writer at a time anyway, as on SQLite) is transaction(fn).
  virtual Status transaction_on(const std::vector<std::string>& keys,
                                const std::function<Status()>& fn) {
    (void)keys;
    return transaction(fn);
  }

  // Spaces. delete_space removes everything of the space except its audit rows.
  virtual Status insert_space(const SpaceRow& row) = 0;
  virtual Result<SpaceRow> get_space(const std::string& key) = 0;
  virtual Result<std::vector<SpaceRow>> list_spaces() = 0;
  virtual Status delete_space(const std::string& key) = 0;
  // Revokes every active admin token bound to the space id; returns how many.
  virtual Result<int64_t> revoke_admin_tokens_of_space(const std::string& space_id,
                                                       int64_t at_ms) = 0;
  virtual Status set_space_origin(const std::string& key, const std::string& origin,
                                  bool allow_private, int64_t at_ms, const std::string& by) = 0;

  virtual Status upsert_customer_origin(const CustomerOriginRow& row) = 0;
  virtual Result<std::vector<CustomerOriginRow>> list_customer_origins(
      const std::string& space) = 0;
  virtual Status delete_customer_origins(const std::string& space) = 0;

  // Secrets.
  virtual Status put_secret(const SecretRow& row) = 0;  // insert or replace
  virtual Result<SecretRow> get_secret(const std::string& space, const std::string& name) = 0;
  virtual Status delete_secret(const std::string& space, const std::string& name) = 0;

  // Plugin approvals (platform-wide) and enablement (per space).
  virtual Result<int64_t> insert_approval(const ApprovalRow& row) = 0;
  virtual Result<std::vector<ApprovalRow>> list_approvals(
      const std::optional<std::string>& plugin_id) = 0;  // oldest first
  virtual Status pin_approval_artifact(int64_t approval_id, const std::string& manifest_sha256,
                                       const std::string& library_sha256) = 0;
  // Marks every approval of the plugin that is still in force withdrawn;
  // returns how many were. Rows are never deleted (history).
  virtual Result<int> withdraw_approvals(const std::string& plugin_id, int64_t at_ms,
                                         const std::string& who) {
    (void)plugin_id, (void)at_ms, (void)who;
    return make_error(Errc::io, "this storage backend does not record approval withdrawals");
  }
  virtual Status set_enabled(const EnablementRow& row) = 0;
  virtual Status delete_enabled(const std::string& space, const std::string& plugin_id) = 0;
  virtual Result<std::vector<EnablementRow>> list_enabled(const std::string& space) = 0;

  // Plugin store: installed artifacts, version pins, publisher keys.
  virtual Status insert_artifact(const ArtifactRow& row) = 0;  // conflict when present
  virtual Result<std::vector<ArtifactRow>> list_artifacts() = 0;
  virtual Status set_pin(const PinRow& row) = 0;  // insert or replace
  virtual Status delete_pin(const std::string& plugin_id) = 0;
  virtual Result<std::vector<PinRow>> list_pins() = 0;
  virtual Status insert_publisher(const PublisherRow& row) = 0;  // conflict when present
  virtual Status delete_publisher(const std::string& name) = 0;
  virtual Result<std::vector<PublisherRow>> list_publishers() = 0;

  // Cache.
  virtual Result<CacheRow> get_cache(const std::string& space, const std::string& plugin_id,
                                     const std::string& key_hash) = 0;
  virtual Status put_cache(const CacheRow& row) = 0;  // insert or replace
  virtual Status touch_cache(const std::string& space, const std::string& plugin_id,
                             const std::string& key_hash, int64_t at_ms) = 0;
  virtual Status delete_cache(const std::string& space, const std::string& plugin_id,
                              const std::string& key_hash) = 0;
  // Total bytes of `space` (or of all spaces when empty).
  virtual Result<int64_t> cache_bytes(const std::string& space) = 0;
  // Deletes least-recently-used rows (of `space`, or of all spaces when
  // empty) until at most `max_bytes` remain. Returns the number deleted.
  virtual Result<int64_t> evict_cache_lru(const std::string& space, int64_t max_bytes) = 0;
  virtual Result<int64_t> delete_cache_expired(int64_t now_ms) = 0;

  // Render leases (store/render_lease.h): who renders a cold cache entry
  // now, so hosts sharing one database make one upstream request for it.
  // take: one statement that inserts the lease, or takes it over when it
  // expired (expires_at_ms <= now_ms) or is already `holder`'s; true when
  // `holder` holds it afterwards. release: deletes it only if `holder`
  // still holds it (a lease taken over after expiry is not the old
  // holder's to drop).
  virtual Result<bool> take_render_lease(const std::string& space, const std::string& plugin_id,
                                         const std::string& key_hash, const std::string& holder,
                                         int64_t now_ms, int64_t expires_at_ms) = 0;
  virtual Status release_render_lease(const std::string& space, const std::string& plugin_id,
                                      const std::string& key_hash, const std::string& holder) = 0;

  // Upstream single-flight across hosts (store/upstream_flights.h), one row
  // per (space, request key hash). take: inserts the lease, or takes the
  // row over when its lease expired without a response, or its response is
  // past kept_until or was received before `fresh_from_ms` (the asking
  // request's start: a response never answers a request made after it
  // arrived); true when `holder` holds it afterwards. get: the sealed
  // response kept at `now_ms` and received at or after `fresh_from_ms`, or
  // "". put: stores the response, received at `received_at_ms`, until
  // `kept_until_ms` (whoever holds the lease now). release:
  // deletes `holder`'s row if it has no response. purge: deletes rows whose
  // lease and response both ended; returns how many.
  virtual Result<bool> take_upstream_flight(const std::string& space, const std::string& key_hash,
                                            const std::string& holder, int64_t now_ms,
                                            int64_t lease_until_ms, int64_t fresh_from_ms) = 0;
  virtual Result<std::string> get_upstream_response(const std::string& space,
                                                    const std::string& key_hash, int64_t now_ms,
                                                    int64_t fresh_from_ms) = 0;
  virtual Status put_upstream_response(const std::string& space, const std::string& key_hash,
                                       const std::string& holder, const std::string& record,
                                       int64_t received_at_ms, int64_t kept_until_ms) = 0;
  virtual Status release_upstream_flight(const std::string& space, const std::string& key_hash,
                                         const std::string& holder) = 0;
  virtual Result<int64_t> purge_upstream_flights(int64_t now_ms) = 0;

  // Assets.
  virtual Status put_asset(const AssetRow& row) = 0;  // insert or ignore (content-addressed)
  virtual Result<AssetRow> get_asset(const std::string& space, const std::string& id) = 0;
  virtual Result<std::vector<AssetRow>> list_assets(const std::string& space) = 0;  // no record
  virtual Status delete_asset(const std::string& space, const std::string& id) = 0;

  // Admin API tokens.
  virtual Status insert_admin_token(const AdminTokenRow& row) = 0;
  virtual Result<AdminTokenRow> find_admin_token_by_hash(const std::string& hash) = 0;
  // The token with this id (not_found when none), for sessions that name
  // their token by id.
  virtual Result<AdminTokenRow> find_admin_token_by_id(const std::string& id) {
    auto rows = list_admin_tokens();
    if (!rows) return rows.error();
    for (auto& r : *rows) {
      if (r.id == id) return r;
    }
    return make_error(Errc::not_found, "admin token '" + id + "' not found");
  }
  virtual Result<std::vector<AdminTokenRow>> list_admin_tokens() = 0;
  virtual Status revoke_admin_token(const std::string& id, int64_t at_ms) = 0;
  // Sets last_used_at (the caller decides how often).
  virtual Status touch_admin_token(const std::string& id, int64_t at_ms) {
    (void)id, (void)at_ms;
    return make_error(Errc::io, "this storage backend does not record token use");
  }

  // Users signed in through OpenID Connect: insert, or update name, email
  // and last_login of (issuer, subject); first_login is kept. SQLite
  // implements these and touch_admin_token (migration 6); a backend that
  // does not yet answers with an error (sign-in still works, the user is
  // not recorded and the failure is logged).
  virtual Status upsert_user(const UserRow& row) {
    (void)row;
    return make_error(Errc::io, "this storage backend does not record users");
  }
  virtual Result<std::vector<UserRow>> list_users() {
    return make_error(Errc::io, "this storage backend does not record users");
  }

  // Audit (append-only).
  virtual Result<int64_t> append_audit(const AuditRow& row) = 0;
  virtual Result<std::vector<AuditRow>> query_audit(const AuditQuery& q) = 0;
  virtual Result<int64_t> count_audit() = 0;
  // The chain (store/audit_chain.h). append_audit with row.id != 0 writes
  // that id: the chain link covers the id, so it is chosen before the insert.
  virtual Result<AuditChainState> audit_chain_state() = 0;
  // The id the next row gets (AUTOINCREMENT: never reused, even after a prune).
  virtual Result<int64_t> next_audit_id() = 0;
  // Up to `limit` rows with id > after_id, by id, every space (verify, archive).
  virtual Result<std::vector<AuditRow>> audit_rows_after(int64_t after_id, int64_t limit) = 0;
  // The newest row (id 0 when the table is empty).
  virtual Result<AuditRow> last_audit_row() = 0;
  // Deletes the rows with id <= through_id and records (id, link, count) as
  // the new chain anchor; call inside a transaction.
  virtual Status prune_audit(int64_t through_id, const std::string& through_hash, int64_t rows) = 0;

  // Embed settings: the origins allowed to frame a space's embeds, sorted
  // by origin; replace_embed_origins swaps the whole list.
  virtual Result<std::vector<EmbedOriginRow>> list_embed_origins(const std::string& space) {
    (void)space;
    return make_error(Errc::io, "this storage backend does not store embed settings");
  }
  virtual Status replace_embed_origins(const std::string& space,
                                       const std::vector<EmbedOriginRow>& rows) {
    (void)space, (void)rows;
    return make_error(Errc::io, "this storage backend does not store embed settings");
  }

  // Share links. get_share_link finds a link by id in any space (the
  // caller checks the space generation); list and revoke are per space.
  virtual Status insert_share_link(const ShareLinkRow& row) {
    (void)row;
    return make_error(Errc::io, "this storage backend does not store share links");
  }
  virtual Result<ShareLinkRow> get_share_link(const std::string& id) {
    (void)id;
    return make_error(Errc::io, "this storage backend does not store share links");
  }
  virtual Result<std::vector<ShareLinkRow>> list_share_links(const std::string& space) {
    (void)space;
    return make_error(Errc::io, "this storage backend does not store share links");
  }
  virtual Status revoke_share_link(const std::string& space, const std::string& id, int64_t at_ms,
                                   const std::string& by) {
    (void)space, (void)id, (void)at_ms, (void)by;
    return make_error(Errc::io, "this storage backend does not store share links");
  }

  // Browser sessions (store/sessions.h). get_session answers not_found for
  // an unknown hash; set_session_flash answers not_found when the session
  // is gone; take_session_flash reads and clears the message at once (of
  // two hosts taking it, one gets it); delete_sessions_expired deletes rows
  // last seen before idle_cutoff or created before absolute_cutoff;
  // delete_sessions_beyond keeps the `keep` most recently seen rows.
  virtual Status insert_session(const SessionRow& row) {
    (void)row;
    return make_error(Errc::io, "this storage backend does not store sessions");
  }
  virtual Result<SessionRow> get_session(const std::string& id_hash) {
    (void)id_hash;
    return make_error(Errc::io, "this storage backend does not store sessions");
  }
  virtual Status touch_session(const std::string& id_hash, int64_t at_ms) {
    (void)id_hash, (void)at_ms;
    return make_error(Errc::io, "this storage backend does not store sessions");
  }
  virtual Status set_session_flash(const std::string& id_hash, const std::string& flash) {
    (void)id_hash, (void)flash;
    return make_error(Errc::io, "this storage backend does not store sessions");
  }
  virtual Result<std::string> take_session_flash(const std::string& id_hash) {
    (void)id_hash;
    return make_error(Errc::io, "this storage backend does not store sessions");
  }
  virtual Status delete_session(const std::string& id_hash) {
    (void)id_hash;
    return make_error(Errc::io, "this storage backend does not store sessions");
  }
  virtual Result<int64_t> delete_sessions_expired(int64_t idle_cutoff_ms,
                                                  int64_t absolute_cutoff_ms) {
    (void)idle_cutoff_ms, (void)absolute_cutoff_ms;
    return make_error(Errc::io, "this storage backend does not store sessions");
  }
  virtual Result<int64_t> delete_sessions_beyond(int64_t keep) {
    (void)keep;
    return make_error(Errc::io, "this storage backend does not store sessions");
  }
  virtual Result<std::vector<SessionRow>> list_sessions() {
    return make_error(Errc::io, "this storage backend does not store sessions");
  }
  virtual Result<int64_t> count_sessions() {
    return make_error(Errc::io, "this storage backend does not store sessions");
  }

  // Rate limits shared by every host (server/rate_limit_db.h). get: one
  // primary-key SELECT, not_found when the key has no row. put: insert or
  // replace. A read-modify-write runs inside transaction() so hosts do not
  // lose each other's takes. purge: deletes the rows of `kind` last touched
  // before `touched_before_ms`; answers how many.
  virtual Result<RateLimitRow> get_rate_limit(const std::string& kind, const std::string& key) {
    (void)kind, (void)key;
    return make_error(Errc::io, "this storage backend does not store rate limits");
  }
  virtual Status put_rate_limit(const RateLimitRow& row) {
    (void)row;
    return make_error(Errc::io, "this storage backend does not store rate limits");
  }
  virtual Status delete_rate_limit(const std::string& kind, const std::string& key) {
    (void)kind, (void)key;
    return make_error(Errc::io, "this storage backend does not store rate limits");
  }
  virtual Result<int64_t> purge_rate_limits(const std::string& kind, int64_t touched_before_ms) {
    (void)kind, (void)touched_before_ms;
    return make_error(Errc::io, "this storage backend does not store rate limits");
  }
  // Every row, ordered by kind and key (tests and inspection).
  virtual Result<std::vector<RateLimitRow>> list_rate_limits() {
    return make_error(Errc::io, "this storage backend does not store rate limits");
  }

  // Scheduled cache warming. put writes every column (insert or replace);
  // get is not_found when the space never had one; list is sorted by
  // space; due answers the schedules not off whose
  // next_due_at <= now_ms, oldest due first. claim is one conditional
  // UPDATE: it moves next_due_at from `seen_due_ms` to `next_due_ms` and
  // records the holder and start, and answers true only for the one caller
  // whose update matched (hosts sharing the database race on it). finish
  // records a run's numbers when `holder` still holds the last claim.
  virtual Result<std::vector<WarmScheduleRow>> list_warm_schedules() {
    return make_error(Errc::io, "this storage backend does not store warming schedules");
  }
  virtual Result<WarmScheduleRow> get_warm_schedule(const std::string& space) {
    (void)space;
    return make_error(Errc::io, "this storage backend does not store warming schedules");
  }
  virtual Status put_warm_schedule(const WarmScheduleRow& row) {
    (void)row;
    return make_error(Errc::io, "this storage backend does not store warming schedules");
  }
  virtual Result<std::vector<WarmScheduleRow>> due_warm_schedules(int64_t now_ms) {
    (void)now_ms;
    return make_error(Errc::io, "this storage backend does not store warming schedules");
  }
  virtual Result<bool> claim_warm_schedule(const std::string& space, int64_t seen_due_ms,
                                           int64_t next_due_ms, const std::string& holder,
                                           int64_t now_ms) {
    (void)space, (void)seen_due_ms, (void)next_due_ms, (void)holder, (void)now_ms;
    return make_error(Errc::io, "this storage backend does not store warming schedules");
  }
  virtual Status finish_warm_schedule(const std::string& space, const std::string& holder,
                                      int64_t finished_at_ms, int64_t refreshed, int64_t failed) {
    (void)space, (void)holder, (void)finished_at_ms, (void)refreshed, (void)failed;
    return make_error(Errc::io, "this storage backend does not store warming schedules");
  }

  // Key rotation: every encrypted record, and a compare-and-swap update.
  virtual Result<std::vector<EncryptedRef>> list_encrypted() = 0;
  virtual Status update_encrypted(const EncryptedRef& ref, const std::string& new_record) = 0;

  // Change feed and keyring proofs.
  virtual Result<ChangeFeed> read_change_feed() = 0;
  virtual Status bump_change_feed(bool keyring_changed, int64_t at_ms) = 0;
  // Waits up to `timeout` for another connection's committed change feed
  // bump: true when one was announced (read the feed: the row stays the
  // truth, an announcement is only a wake-up), false when the time ran out
  // or this backend cannot be told. Never holds what other calls need, so
  // the store stays usable while one thread waits. [thread-safe; one waiter
  // at a time]
  //
  // This default sleeps out the timeout and answers false: the caller then
  // polls read_change_feed(). SQLite stays there on purpose: several
  // processes on one file (a server beside the CLI) have no channel to
  // announce a commit on, and the feed read is a cheap local SELECT.
  virtual Result<bool> wait_for_change(std::chrono::milliseconds timeout) {
    std::this_thread::sleep_for(timeout);
    return false;
  }
  // Whether wait_for_change() can return before its timeout on this
  // backend (PostgreSQL with store.notify on).
  virtual bool announces_changes() const { return false; }
  virtual Result<std::vector<KeyCheckRow>> list_key_checks() = 0;
  virtual Status put_key_check(const KeyCheckRow& row) = 0;  // insert or ignore
  virtual Status delete_key_check(const std::string& key_id) = 0;
  // Every key id that encrypted records name, with how many name it.
  virtual Result<std::map<std::string, int64_t>> record_key_ids() = 0;

  // Maintenance.
  virtual Result<std::string> integrity_check() = 0;  // "ok" when healthy
  // The cheaper check (no index cross-checks), fast enough to run at start.
  virtual Result<std::string> quick_check() = 0;  // "ok" when healthy
  // One line per row whose foreign key points at nothing; empty when healthy.
  virtual Result<std::vector<std::string>> foreign_key_check() = 0;
  // A cheap read that touches the database, for readiness probes.
  virtual Status ping() = 0;
  virtual int schema_version() = 0;

  // Online backup: copies a consistent snapshot of the whole database into
  // the new file `dest` while other connections (a running server) keep
  // writing. `progress` is called with (pages copied, pages total) after
  // each step. Backends that cannot do this answer Errc::invalid.
  virtual Status backup_database_to(const std::filesystem::path& dest,
                                    const std::function<void(int64_t, int64_t)>& progress) {
    (void)dest;
    (void)progress;
    return make_error(Errc::invalid, "this storage backend cannot take an online backup");
  }
};

}  // namespace vitrine::store
