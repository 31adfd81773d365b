#include "runtime/space_states.h"

#include <mutex>

namespace vitrine::runtime {

std::shared_ptr<const SpaceState> SpaceStates::get(const std::string& space) {
  const auto now = std::chrono::steady_clock::now();
  // Read before loading: a write that lands during the load bumps the
  // generation past the one stored with the snapshot, so it is dropped.
  const uint64_t generation = generation_();
  {
    std::shared_lock lock(mu_);
    auto it = snapshots_.find(space);
    if (it != snapshots_.end() && it->second.generation == generation &&
        now - it->second.loaded < max_age_) {
      return it->second.state;
    }
  }
  // Loaded outside the lock: a slow store read must not stall other spaces.
  auto state = std::make_shared<const SpaceState>(loader_(space));
  if (max_age_.count() > 0) {
    std::unique_lock lock(mu_);
    // Space keys come from authorized requests for existing spaces, but a
    // bound keeps a flood of distinct keys from growing the map.
    if (snapshots_.size() >= 4096) snapshots_.clear();
    snapshots_[space] = Snapshot{state, now, generation};
  }
  return state;
}

}  // namespace vitrine::runtime
