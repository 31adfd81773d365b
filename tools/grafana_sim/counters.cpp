#include "counters.h"

namespace vitrine::sim {

void Counters::hit(const std::string& path) {
  std::lock_guard lock(mutex_);
  ++counts_[path];
}

std::map<std::string, std::uint64_t> Counters::snapshot() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::uint64_t Counters::get(const std::string& path) const {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(path);
  return it == counts_.end() ? 0 : it->second;
}

void Counters::reset() {
  std::lock_guard lock(mutex_);
  counts_.clear();
}

}  // namespace vitrine::sim
