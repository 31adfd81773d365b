#include "render/hot_cache.h"

#include <algorithm>
#include <mutex>
#include <vector>

namespace vitrine::render {
namespace {

// What an entry costs against the budget: its text and key plus a fixed
// allowance for the map node, the slot and the shared entry.
std::size_t cost_of(const std::string& key, const HotEntry& e) {
  return e.html.size() + key.size() + 160;
}

}  // namespace

std::shared_ptr<const HotEntry> HotCache::get(const std::string& key, int64_t now_ms) {
  if (max_bytes_ == 0) return nullptr;
  {
    std::shared_lock lock(mu_);
    auto it = slots_.find(key);
    if (it == slots_.end()) return nullptr;
    Slot& slot = *it->second;
    if (now_ms < slot.entry->stale_until_ms) {
      slot.used.store(tick_.fetch_add(1, std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return slot.entry;
    }
  }
  // Past its stale window: drop it (if nobody replaced it meanwhile).
  std::unique_lock lock(mu_);
  auto it = slots_.find(key);
  if (it != slots_.end() && now_ms >= it->second->entry->stale_until_ms) {
    bytes_ -= it->second->cost;
    slots_.erase(it);
  }
  return nullptr;
}

void HotCache::put(const std::string& key, std::shared_ptr<const HotEntry> entry) {
  if (max_bytes_ == 0 || !entry) return;
  const std::size_t cost = cost_of(key, *entry);
  std::unique_lock lock(mu_);
  if (auto it = slots_.find(key); it != slots_.end()) {
    bytes_ -= it->second->cost;
    slots_.erase(it);
  }
  if (cost > max_bytes_) return;
  if (bytes_ + cost > max_bytes_) evict_locked(cost);
  auto slot = std::make_unique<Slot>();
  slot->entry = std::move(entry);
  slot->cost = cost;
  slot->used.store(tick_.fetch_add(1, std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  slots_.emplace(key, std::move(slot));
  bytes_ += cost;
}

void HotCache::evict_locked(std::size_t incoming) {
  const std::size_t target = max_bytes_ - std::min(max_bytes_, incoming + max_bytes_ / 16);
  std::vector<std::pair<uint64_t, std::unordered_map<std::string, std::unique_ptr<Slot>>::iterator>>
      order;
  order.reserve(slots_.size());
  for (auto it = slots_.begin(); it != slots_.end(); ++it) {
    order.emplace_back(it->second->used.load(std::memory_order_relaxed), it);
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [used, it] : order) {
    if (bytes_ <= target) break;
    bytes_ -= it->second->cost;
    slots_.erase(it);
  }
}

std::size_t HotCache::bytes() const {
  std::shared_lock lock(mu_);
  return bytes_;
}

std::size_t HotCache::size() const {
  std::shared_lock lock(mu_);
  return slots_.size();
}

}  // namespace vitrine::render
