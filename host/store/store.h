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
#include "store/backend.h"
#include "store/cache.h"
#include "store/context.h"
#include "store/crypto/keyring.h"
#include "store/json_log.h"
#include "store/spaces.h"

namespace vitrine::store {

struct StoreOptions {
  std::filesystem::path data_dir = "vitrine-data";
  std::string backend = "sqlite";          // the only one today; "postgresql" follows
  std::optional<crypto::Keyring> keyring;  // absent: encrypting operations refuse
  std::ostream* log = nullptr;             // JSON-lines log destination
  Clock now = system_now_ms;
  CacheLimits cache_limits;
  AssetLimits asset_limits;
};

class Store {
 public:
  // Creates the data directory (mode 0700) when missing and opens the backend.
  static Result<std::unique_ptr<Store>> open(StoreOptions options);

  Backend& backend() { return *backend_; }
  AuditLog& audit() { return *audit_; }
  const Context& context() const { return *ctx_; }
  const crypto::Keyring* keyring() const { return keyring_ ? &*keyring_ : nullptr; }

  Spaces spaces() { return Spaces(*ctx_); }
  Approvals approvals() { return Approvals(*ctx_); }
  Cache cache() { return Cache(*ctx_, cache_limits_); }
  Assets assets() { return Assets(*ctx_, asset_limits_); }
  AdminTokens admin_tokens() { return AdminTokens(*ctx_); }

  // How many audited writes this process has made (see Context::changes).
  uint64_t changes() const { return changes_.load(std::memory_order_acquire); }

 private:
  Store() = default;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<JsonLog> log_;
  std::optional<crypto::Keyring> keyring_;
  std::unique_ptr<Context> ctx_;
  std::atomic<uint64_t> changes_{0};
  CacheLimits cache_limits_;
  AssetLimits asset_limits_;
};

}  // namespace vitrine::store
