// Per-path request counters, so tests can assert how many upstream calls a
// render made. Every request counts, including rejected and faulted ones.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace vitrine::sim {

class Counters {
 public:
  void hit(const std::string& path);
  std::map<std::string, std::uint64_t> snapshot() const;
  std::uint64_t get(const std::string& path) const;
  void reset();

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> counts_;
};

}  // namespace vitrine::sim
