#include "metrics/metrics.h"

#include <cstdio>
#include <sstream>

namespace vitrine::metrics {
namespace {

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string render_labels(const Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string out = "{";
  for (const auto& [k, v] : labels) out += k + "=\"" + escape_label(v) + "\",";
  if (!extra.empty()) out += extra + ",";
  out.back() = '}';
  return out;
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void atomic_add(std::atomic<double>& a, double by) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + by, std::memory_order_relaxed)) {
  }
}

}  // namespace

void Counter::inc(double by) { atomic_add(value_, by); }

void Gauge::add(double by) { atomic_add(value_, by); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

std::vector<uint64_t> Histogram::counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

// Lookups of existing series (every request) take the lock shared; only
// the first use of a series takes it exclusively.
Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  const std::string key = render_labels(labels);
  {
    std::shared_lock lock(mu_);
    if (auto f = families_.find(name); f != families_.end()) {
      if (auto c = f->second.counters.find(key); c != f->second.counters.end()) return *c->second;
    }
  }
  std::unique_lock lock(mu_);
  auto& fam = families_[name];
  fam.help = help;
  auto& slot = fam.counters[key];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               const Labels& labels) {
  const std::string key = render_labels(labels);
  {
    std::shared_lock lock(mu_);
    if (auto f = families_.find(name); f != families_.end()) {
      if (auto h = f->second.histograms.find(key); h != f->second.histograms.end()) {
        return *h->second;
      }
    }
  }
  std::unique_lock lock(mu_);
  auto& fam = families_[name];
  fam.help = help;
  fam.is_histogram = true;
  auto& slot = fam.histograms[key];
  if (!slot) slot = std::make_unique<Histogram>(latency_buckets());
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  const std::string key = render_labels(labels);
  {
    std::shared_lock lock(mu_);
    if (auto f = families_.find(name); f != families_.end()) {
      if (auto g = f->second.gauges.find(key); g != f->second.gauges.end()) return *g->second;
    }
  }
  std::unique_lock lock(mu_);
  auto& fam = families_[name];
  fam.help = help;
  fam.is_gauge = true;
  auto& slot = fam.gauges[key];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

std::string Registry::expose() const {
  std::ostringstream out;
  std::shared_lock lock(mu_);
  for (const auto& [name, fam] : families_) {
    out << "# HELP " << name << " " << fam.help << "\n";
    out << "# TYPE " << name
        << (fam.is_histogram ? " histogram"
            : fam.is_gauge   ? " gauge"
                             : " counter")
        << "\n";
    for (const auto& [labels, c] : fam.counters) {
      out << name << labels << " " << num(c->value()) << "\n";
    }
    for (const auto& [labels, g] : fam.gauges) {
      out << name << labels << " " << num(g->value()) << "\n";
    }
    for (const auto& [labels, h] : fam.histograms) {
      auto counts = h->counts();
      // Re-open the label set to add "le"; labels is "" or "{...}".
      std::string base = labels.empty() ? "" : labels.substr(1, labels.size() - 2);
      for (size_t i = 0; i < counts.size(); ++i) {
        std::string le =
            "le=\"" + (i < h->bounds().size() ? num(h->bounds()[i]) : std::string("+Inf")) + "\"";
        out << name << "_bucket{" << (base.empty() ? "" : base + ",") << le << "} " << counts[i]
            << "\n";
      }
      out << name << "_sum" << labels << " " << num(h->sum()) << "\n";
      out << name << "_count" << labels << " " << counts.back() << "\n";
    }
  }
  return out.str();
}

std::vector<double> latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

}  // namespace vitrine::metrics
