#include "store/cache.h"

#include "digest/sha256.h"
#include "store/crypto/encoding.h"
#include "store/crypto/secret_box.h"

namespace vitrine::store {
namespace {

crypto::Binding cache_binding(const std::string& space, const std::string& plugin,
                              const std::string& key_hash) {
  return crypto::Binding{"cache", space, plugin, key_hash};
}

Status check_key(std::string_view key, int64_t max) {
  if (key.empty()) return make_error(Errc::invalid, "cache key is empty; pass a non-empty key");
  if (static_cast<int64_t>(key.size()) > max) {
    return make_error(Errc::invalid, "cache key is longer than " + std::to_string(max) +
                                         " bytes; hash long keys before using them");
  }
  return ok_status();
}

}  // namespace

Result<CacheHit> Cache::get(const std::string& space, const std::string& plugin_id,
                            std::string_view key) {
  if (auto st = check_key(key, limits_.max_key_bytes); !st) return st.error();
  const std::string key_hash = digest::sha256_hex(key);
  auto row = ctx_.db.get_cache(space, plugin_id, key_hash);
  if (!row) return row.error();
  const int64_t now = ctx_.now();
  if (now >= row->stale_until_ms) {
    (void)ctx_.db.delete_cache(space, plugin_id, key_hash);
    return make_error(Errc::not_found, "cache entry expired");
  }
  auto ring = ctx_.keyring_for(row->record);
  if (!ring) return ring.error();
  auto plain = crypto::open(**ring, cache_binding(space, plugin_id, key_hash), row->record);
  if (!plain) {
    // A damaged or moved entry is dropped: the caller renders fresh.
    (void)ctx_.db.delete_cache(space, plugin_id, key_hash);
    return plain.error();
  }
  if (now - row->last_access_ms >= limits_.touch_interval_ms) {
    (void)ctx_.db.touch_cache(space, plugin_id, key_hash, now);
  }
  CacheHit hit;
  hit.value = std::move(*plain);
  hit.fetched_at_ms = row->fetched_at_ms;
  hit.fresh_until_ms = row->fresh_until_ms;
  hit.stale_until_ms = row->stale_until_ms;
  hit.stale = now >= row->fresh_until_ms;
  return hit;
}

Status Cache::put(const std::string& space, const std::string& plugin_id, std::string_view key,
                  std::string_view value, uint32_t ttl_s, int64_t stale_s) {
  if (auto st = check_key(key, limits_.max_key_bytes); !st) return st;
  if (static_cast<int64_t>(value.size()) > limits_.max_entry_bytes) {
    return make_error(Errc::invalid, "cache value is " + std::to_string(value.size()) +
                                         " bytes, over the limit of " +
                                         std::to_string(limits_.max_entry_bytes) +
                                         "; cache a smaller result");
  }
  auto ring = ctx_.keyring();
  if (!ring) return ring.error();
  auto sp = ctx_.db.get_space(space);
  if (!sp) return sp.error();
  const std::string key_hash = digest::sha256_hex(key);
  auto record = crypto::seal(**ring, cache_binding(space, plugin_id, key_hash), value);
  if (!record) return record.error();
  const int64_t now = ctx_.now();
  if (stale_s < 0) stale_s = limits_.default_stale_s;
  CacheRow row;
  row.space = space;
  row.plugin_id = plugin_id;
  row.key_hash = key_hash;
  row.size = static_cast<int64_t>(record->size());
  row.record = std::move(*record);
  row.fetched_at_ms = now;
  row.fresh_until_ms = now + int64_t{ttl_s} * 1000;
  row.stale_until_ms = row.fresh_until_ms + stale_s * 1000;
  row.last_access_ms = now;
  return ctx_.db.transaction([&]() -> Status {
    if (auto st = ctx_.db.put_cache(row); !st) return st;
    auto a = ctx_.db.evict_cache_lru(space, limits_.max_space_bytes);
    if (!a) return a.error();
    auto b = ctx_.db.evict_cache_lru("", limits_.max_total_bytes);
    if (!b) return b.error();
    return ok_status();
  });
}

Result<int64_t> Cache::purge_expired() { return ctx_.db.delete_cache_expired(ctx_.now()); }

}  // namespace vitrine::store
