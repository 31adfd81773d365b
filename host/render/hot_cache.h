// The engine's in-memory layer in front of the store's encrypted render
// cache. A warm page view must not pay for a SQLite read and an AES-GCM
// decryption per macro, so rendered fragments that are already sanitized
// stay here, bounded by bytes, least recently used first out. The store
// stays the source of truth across restarts and for other processes; this
// layer only ever holds what this process rendered or read from the store,
// with the same fresh/stale windows.
//
// Keys carry the space (P6): a lookup for space A can never return space
// B's fragment, because the key is built by the engine from the call, never
// from plugin output.
//
// Concurrency: every page view reads several entries from many threads, so
// reads take the lock shared and record recency with one atomic store;
// only put() and the removal of an expired entry take it exclusively.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace vitrine::render {

struct HotEntry {
  std::string html;  // sanitized fragment, unwrapped
  int64_t as_of_ms = 0;
  int64_t fresh_until_ms = 0;  // served as is before this
  int64_t stale_until_ms = 0;  // served marked stale before this; gone after
};

class HotCache {
 public:
  // max_bytes 0 disables the layer: get() always misses, put() keeps nothing.
  explicit HotCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // nullptr on a miss or when the entry is past stale_until_ms (it is then
  // dropped). [thread-safe]
  std::shared_ptr<const HotEntry> get(const std::string& key, int64_t now_ms);
  // Replaces any entry under `key`. When the budget would overflow, the
  // least recently used entries go first, in one batch that also frees a
  // sixteenth of the budget so that the next puts do not each pay for a
  // sweep. An entry larger than the whole budget is not kept. [thread-safe]
  void put(const std::string& key, std::shared_ptr<const HotEntry> entry);

  std::size_t bytes() const;
  std::size_t size() const;

 private:
  struct Slot {
    std::shared_ptr<const HotEntry> entry;
    std::size_t cost = 0;
    std::atomic<uint64_t> used{0};  // tick of the last get() or put()
  };
  void evict_locked(std::size_t incoming);

  const std::size_t max_bytes_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Slot>> slots_;
  std::size_t bytes_ = 0;
  std::atomic<uint64_t> tick_{0};
};

}  // namespace vitrine::render
