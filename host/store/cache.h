// The per-(space, plugin) cache behind the cache/1 capability (P5 P6).
//
// The host passes space and plugin from the call handle, never from the
// plugin, so a plugin cannot name another space or plugin. Keys are stored as
// SHA-256 (a key may contain a URL); values are encrypted with AAD bound to
// (space, plugin, key hash). Each entry has fetched_at, fresh_until and
// stale_until; a stale entry is still served (marked stale) until
// stale_until, then it is gone. Size bounds (bytes of stored records, per
// space and in total) evict least-recently-used entries.
#pragma once

#include <string>

#include "store/context.h"
#include "store/crypto/secure_bytes.h"

namespace vitrine::store {

struct CacheLimits {
  int64_t max_entry_bytes = 1 << 20;  // plaintext value
  int64_t max_key_bytes = 1024;
  int64_t max_space_bytes = 64ll << 20;   // stored bytes per space
  int64_t max_total_bytes = 512ll << 20;  // stored bytes over all spaces
  int64_t default_stale_s = 24 * 3600;    // kept after fresh_until
  // Recency is recorded at most this often per entry: LRU needs recency,
  // and a write per read would serialize warm page views on the write lock.
  int64_t touch_interval_ms = 10'000;
};

struct CacheHit {
  crypto::SecretBytes value;
  int64_t fetched_at_ms = 0;
  int64_t fresh_until_ms = 0;
  int64_t stale_until_ms = 0;
  bool stale = false;
};

class Cache {
 public:
  Cache(Context ctx, CacheLimits limits = {}) : ctx_(std::move(ctx)), limits_(limits) {}

  // not_found on a miss or past stale_until. Counts as an access (LRU).
  Result<CacheHit> get(const std::string& space, const std::string& plugin_id,
                       std::string_view key);
  // ttl_s: fresh for ttl_s seconds; stale_s: served as stale for that long
  // after (negative: CacheLimits::default_stale_s).
  Status put(const std::string& space, const std::string& plugin_id, std::string_view key,
             std::string_view value, uint32_t ttl_s, int64_t stale_s = -1);
  Result<int64_t> purge_expired();

 private:
  Context ctx_;
  CacheLimits limits_;
};

}  // namespace vitrine::store
