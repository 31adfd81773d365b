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

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
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
  std::string role;  // platform-admin | space-admin:SPACE | viewer:SPACE
  int64_t created_at_ms = 0;
  std::string created_by;
  int64_t revoked_at_ms = 0;  // 0 = active
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
};

struct AuditQuery {
  std::optional<std::string> space;
  int64_t since_ms = 0;
  std::optional<std::string> action_prefix;
  int64_t limit = 100000;
};

// Which encrypted table a record lives in (for `keys rotate`).
enum class RecordTable { secret, cache, asset };

struct EncryptedRef {
  RecordTable table = RecordTable::secret;
  std::string space;
  std::string a;  // secret: name      cache: plugin id   asset: id
  std::string b;  // secret: origin    cache: key hash    asset: content type
  std::string record;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Runs `fn` in one transaction; commits when it returns ok, rolls back
  // otherwise. Calls on this backend from inside `fn` join the transaction.
  virtual Status transaction(const std::function<Status()>& fn) = 0;

  // Spaces. delete_space removes everything of the space except its audit rows.
  virtual Status insert_space(const SpaceRow& row) = 0;
  virtual Result<SpaceRow> get_space(const std::string& key) = 0;
  virtual Result<std::vector<SpaceRow>> list_spaces() = 0;
  virtual Status delete_space(const std::string& key) = 0;
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
  virtual Status set_enabled(const EnablementRow& row) = 0;
  virtual Status delete_enabled(const std::string& space, const std::string& plugin_id) = 0;
  virtual Result<std::vector<EnablementRow>> list_enabled(const std::string& space) = 0;

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

  // Assets.
  virtual Status put_asset(const AssetRow& row) = 0;  // insert or ignore (content-addressed)
  virtual Result<AssetRow> get_asset(const std::string& space, const std::string& id) = 0;
  virtual Result<std::vector<AssetRow>> list_assets(const std::string& space) = 0;  // no record
  virtual Status delete_asset(const std::string& space, const std::string& id) = 0;

  // Admin API tokens.
  virtual Status insert_admin_token(const AdminTokenRow& row) = 0;
  virtual Result<AdminTokenRow> find_admin_token_by_hash(const std::string& hash) = 0;
  virtual Result<std::vector<AdminTokenRow>> list_admin_tokens() = 0;
  virtual Status revoke_admin_token(const std::string& id, int64_t at_ms) = 0;

  // Audit (append-only).
  virtual Result<int64_t> append_audit(const AuditRow& row) = 0;
  virtual Result<std::vector<AuditRow>> query_audit(const AuditQuery& q) = 0;
  virtual Result<int64_t> count_audit() = 0;

  // Key rotation: every encrypted record, and a compare-and-swap update.
  virtual Result<std::vector<EncryptedRef>> list_encrypted() = 0;
  virtual Status update_encrypted(const EncryptedRef& ref, const std::string& new_record) = 0;

  // Maintenance.
  virtual Result<std::string> integrity_check() = 0;  // "ok" when healthy
  virtual int schema_version() = 0;
};

}  // namespace vitrine::store
