// Opening the store: the data directory, the backend, the audit log and the
// services, wired with one Context. The server and the CLI both start here.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>

#include "store/admin_tokens.h"
#include "store/approvals.h"
#include "store/assets.h"
#include "store/audit.h"
#include "store/audit_aggregate.h"
#include "store/backend.h"
#include "store/cache.h"
#include "store/context.h"
#include "store/crypto/keyring.h"
#include "store/json_log.h"
#include "store/plugin_store.h"
#include "store/spaces.h"

namespace vitrine::store {

struct StoreOptions {
  std::filesystem::path data_dir = "vitrine-data";
  std::string backend = "sqlite";  // sqlite | postgres
  // backend "postgres": the database (libpq URI without a password, e.g.
  // postgres://vitrine@db.internal:5432/vitrine?sslmode=verify-full) and the
  // file holding its password (the keyring file's rules; empty: none). The
  // data directory still holds the INSTANCE marker and plugin artifacts.
  std::string url;
  std::filesystem::path password_file;
  // backend "postgres": store.notify, whether wait_for_change() LISTENs for
  // other hosts' changes (store/postgres/postgres_backend.h).
  bool notify = true;
  std::optional<crypto::Keyring> keyring;  // absent: encrypting operations refuse
  // The file `keyring` was read from; a running host re-reads it when a
  // record names a key it does not hold or the keyring generation moves.
  // Empty: the keyring came from VITRINE_MASTER_KEY and is fixed.
  std::optional<std::filesystem::path> key_file;
  std::ostream* log = nullptr;  // JSON-lines log destination
  Clock now = system_now_ms;
  CacheLimits cache_limits;
  AssetLimits asset_limits;
  // A data directory that was initialised (it has an INSTANCE marker) but
  // whose database is missing or empty is refused unless this is set
  // (`vitrine serve --init`): losing the database must never look like a
  // fresh start. A new directory without a marker is initialised regardless.
  bool allow_init = false;
  // PRAGMA quick_check at open; a damaged database is refused.
  bool quick_check = true;
};

class Store {
 public:
  // Creates the data directory (mode 0700) when missing and opens the
  // backend; fails closed on a lost or damaged database (see StoreOptions).
  static Result<std::unique_ptr<Store>> open(StoreOptions options);

  Backend& backend() { return *backend_; }
  AuditLog& audit() { return *audit_; }
  // License decisions, counted per window and written as one row each
  // (store/audit_aggregate.h); flushed when the store closes.
  LicenseAuditAggregator& license_audit() { return *license_audit_; }
  const Context& context() const { return *ctx_; }
  // The keyring in use now (null when none was given). [thread-safe]
  std::shared_ptr<const crypto::Keyring> keyring() const { return keyring_->current(); }
  crypto::LiveKeyring& live_keyring() { return *keyring_; }

  Spaces spaces() { return Spaces(*ctx_); }
  Approvals approvals() { return Approvals(*ctx_); }
  Cache cache() { return Cache(*ctx_, cache_limits_); }
  Assets assets() { return Assets(*ctx_, asset_limits_); }
  AdminTokens admin_tokens() { return AdminTokens(*ctx_); }
  PluginStore plugin_store() { return PluginStore(*ctx_, data_dir_); }
  const std::filesystem::path& data_dir() const { return data_dir_; }

  // Moves whenever desired state may have changed: every audited write of
  // this process, and every change another process made that the
  // reconciler saw in the change feed (see Context::changes).
  uint64_t changes() const { return changes_.load(std::memory_order_acquire); }
  // Called by the reconciler when the change feed moved: every snapshot of
  // store state in this process is dropped. [thread-safe]
  void note_external_change() { changes_.fetch_add(1, std::memory_order_release); }

 private:
  Store() = default;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<JsonLog> log_;
  std::unique_ptr<crypto::LiveKeyring> keyring_;
  std::filesystem::path data_dir_;
  std::unique_ptr<Context> ctx_;
  std::atomic<uint64_t> changes_{0};
  CacheLimits cache_limits_;
  AssetLimits asset_limits_;
  // Last: destroyed first, so its final flush still has the backend.
  std::unique_ptr<LicenseAuditAggregator> license_audit_;
};

}  // namespace vitrine::store
