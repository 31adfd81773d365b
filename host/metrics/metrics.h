// A small Prometheus-style metrics registry: counters and histograms with
// fixed label sets, rendered in the text exposition format for /metrics.
// Cheap enough for hot paths: one mutex-free atomic add per observation
// after the first lookup of a label set.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace vitrine::metrics {

class Counter {
 public:
  void inc(double by = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down (queue depth, threads, bytes). [thread-safe]
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double by);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  std::vector<uint64_t> counts() const;  // cumulative per bound, then +Inf
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
 public:
  // Returns the series for (name, labels), creating it on first use. The
  // reference stays valid for the registry's lifetime. [thread-safe]
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  std::string expose() const;  // text format 0.0.4

 private:
  struct Family {
    std::string help;
    bool is_histogram = false;
    bool is_gauge = false;
    std::map<std::string, std::unique_ptr<Counter>> counters;      // key: rendered labels
    std::map<std::string, std::unique_ptr<Histogram>> histograms;  // key: rendered labels
    std::map<std::string, std::unique_ptr<Gauge>> gauges;          // key: rendered labels
  };
  mutable std::shared_mutex mu_;
  std::map<std::string, Family> families_;
};

// Latency buckets in seconds, 1 ms to 30 s.
std::vector<double> latency_buckets();

}  // namespace vitrine::metrics
