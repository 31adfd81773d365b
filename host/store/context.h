// What every store service needs: the backend, the keyring (only services
// that encrypt need it), a clock (injectable so tests control time), the
// audit log and the structured log.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "store/backend.h"
#include "store/crypto/keyring.h"
#include "store/crypto/live_keyring.h"

namespace vitrine::store {

class AuditLog;
class JsonLog;

using Clock = std::function<int64_t()>;  // milliseconds since the Unix epoch

inline int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Context {
  Backend& db;
  AuditLog& audit;
  crypto::LiveKeyring* keys = nullptr;  // null or empty: operations that encrypt refuse
  Clock now = system_now_ms;
  JsonLog* log = nullptr;  // optional
  // Bumped after every audited write (run_audited). Readers that keep a
  // snapshot of store state (admin tokens, a space's enablement and
  // origins) compare it to know their copy is still current. Null: none.
  std::atomic<uint64_t>* changes = nullptr;

  // The keyring that seals new records, or a key error telling the admin
  // how to provide one.
  Result<std::shared_ptr<const crypto::Keyring>> keyring() const;
  // The keyring that opens `record` (it names its key id): re-reads the
  // keyring file once when the id is unknown to this process, so a record
  // re-wrapped by another process's rotation still opens. The error says
  // which key is missing and never blames anything else.
  Result<std::shared_ptr<const crypto::Keyring>> keyring_for(std::string_view record) const;
};

// Space keys: [a-z0-9-]{2,32}.
bool valid_space_key(std::string_view key);
Status check_space_key(std::string_view key);

}  // namespace vitrine::store
