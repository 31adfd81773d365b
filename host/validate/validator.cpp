#include "validate/validator.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "render/sanitizer.h"
#include "validate/capture_services.h"
#include "validate/simulator_process.h"
#include "worker/worker_runner.h"

namespace vitrine::validate {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kSpace = "validate";
constexpr const char* kAssetPrefix = "/assets/validate/";

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// The simulator stands in for the space's Grafana under a name the
// plugin's first egress entry covers, so its requests pass the same
// policy a real space would apply.
std::string grafana_host(const manifest::Manifest& m, uint16_t& port) {
  for (const auto& e : m.egress) {
    port = e.port;
    return e.wildcard ? "grafana-sim." + e.host : e.host;
  }
  port = 443;
  return "grafana-sim.validate.test";
}

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "vitrine-validate-XXXXXX").string();
    if (::mkdtemp(t.data()) != nullptr) path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Run {
  const manifest::Manifest& m;
  const Options& opt;
  plugins::PluginRunner& runner;
  CaptureServices& services;
  std::string origin;
  std::mutex mu;
  Usage usage;

  CaseResult render_one(const Case& c, size_t index) {
    plugins::RenderInput in;
    in.macro_key = c.macro;
    in.params = c.params;
    in.space_key = kSpace;
    in.page_id = "validate-" + std::to_string(index);
    // The simulator's fixtures sit around 2024-06-03 (docs/simulator.md).
    in.time_from = "2024-05-27T00:00:00Z";
    in.time_to = "2024-06-04T00:00:00Z";
    in.grafana_base_url = origin;
    in.timeout_ms = opt.deadline_ms;
    in.services = &services;
    Observation o;
    auto started = Clock::now();
    o.output = runner.render(m.id, in);
    // A worker that crashed on an earlier case is restarted after a short
    // backoff, during which the runner answers E_UNAVAILABLE with a worker
    // rule; retry once so that crash is not blamed on this case too.
    if (o.output.status == VITRINE_E_UNAVAILABLE && o.output.rule.rfind("worker-", 0) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      (void)services.take(in.page_id);
      started = Clock::now();
      o.output = runner.render(m.id, in);
    }
    o.elapsed_ms = ms_since(started);
    o.requests = services.take(in.page_id);
    if (o.output.status == VITRINE_OK) {
      render::SanitizeContext ctx;
      ctx.grafana_origin = origin;
      ctx.asset_prefix = kAssetPrefix;
      auto clean = render::sanitize(o.output.html, ctx);
      for (const auto& r : clean.removed) o.stripped.push_back({r.rule, r.element, r.attribute});
      o.stripped_total = clean.removed_total;
    }
    {
      std::lock_guard lock(mu);
      record_usage(m, o.requests, usage);
    }
    CaseResult r;
    r.c = c;
    r.status = plugins::status_name(o.output.status);
    r.rule = o.output.rule;
    r.elapsed_ms = o.elapsed_ms;
    r.findings = check_render(c, o, opt.deadline_ms);
    return r;
  }

  // Renders `indexes` of `cases` with up to opt.jobs in parallel.
  void render_all(const std::vector<Case>& cases, const std::vector<size_t>& indexes,
                  std::vector<CaseResult>& results) {
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < indexes.size(); i = next++) {
        results[indexes[i]] = render_one(cases[indexes[i]], indexes[i]);
      }
    };
    std::vector<std::thread> threads;
    const size_t n = std::min<size_t>(static_cast<size_t>(std::max(1, opt.jobs)), indexes.size());
    for (size_t t = 0; t < n; ++t) threads.emplace_back(work);
    for (auto& t : threads) t.join();
  }
};

}  // namespace

bool validate_plugin(const manifest::Manifest& m, const std::string& manifest_name,
                     const Options& opt, Report& report, std::string& error) {
  const auto started = Clock::now();
  report.plugin_id = m.id;
  report.version = m.version;
  report.source = manifest_name;
  auto say = [&](const std::string& line) {
    if (opt.progress) opt.progress(m.id + ": " + line);
  };

  TempDir tmp;
  if (tmp.path().empty()) {
    error = "cannot create a temporary directory in " + fs::temp_directory_path().string();
    return false;
  }
  uint16_t port = 443;
  const std::string host = grafana_host(m, port);
  auto sim = SimulatorProcess::start(
      opt.simulator.empty() ? default_simulator_path() : opt.simulator, tmp.path(), {host}, error);
  if (!sim) return false;

  SpaceSetup space;
  space.grafana_origin = "https://" + host + (port == 443 ? "" : ":" + std::to_string(port));
  space.token = sim->token();
  space.ca_file = sim->ca_file().string();
  space.resolve = {host, "127.0.0.1", sim->port()};
  space.asset_prefix = kAssetPrefix;
  auto services = CaptureServices::create(space, error);
  if (!services) {
    error = "egress configuration for the simulator: " + error;
    return false;
  }

  worker::WorkerConfig wc;
  wc.worker_path = opt.worker;
  wc.max_workers_per_key = std::max(1, opt.jobs);
  wc.spare_workers = 0;
  // A crash is a finding of its own case; later cases should not wait out
  // a long restart backoff.
  wc.backoff_initial_ms = 10;
  wc.backoff_max_ms = 200;
  worker::WorkerRunner runner(wc);
  plugins::Refusal refusal;
  if (!runner.add(m, refusal)) {
    report.plugin_findings.push_back(
        {Level::fail, "load",
         "the plugin did not start in a worker: " + refusal.message + " [" + refusal.rule + "]"});
    report.elapsed_ms = ms_since(started);
    return true;
  }

  const auto cases = generate_cases(m, opt.deadline_ms);
  report.cases.resize(cases.size());
  Run run{m, opt, runner, *services, space.grafana_origin, {}, {}};

  std::vector<size_t> healthy;
  std::map<std::string, std::vector<size_t>> by_fault;
  std::vector<std::string> fault_order;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].kind != CaseKind::fault) {
      healthy.push_back(i);
      continue;
    }
    if (by_fault.count(cases[i].fault.name) == 0) fault_order.push_back(cases[i].fault.name);
    by_fault[cases[i].fault.name].push_back(i);
  }
  say(std::to_string(cases.size()) + " renders: " + std::to_string(healthy.size()) +
      " against a healthy Grafana, then " + std::to_string(fault_order.size()) + " faults");
  run.render_all(cases, healthy, report.cases);
  // Faults apply to the whole simulator, so each runs as its own phase.
  for (const auto& name : fault_order) {
    const auto& idx = by_fault[name];
    if (!sim->set_fault(cases[idx.front()].fault, error)) return false;
    say("fault " + name + " (" + std::to_string(idx.size()) + " renders)");
    run.render_all(cases, idx, report.cases);
  }
  if (!sim->clear_faults(error)) return false;

  for (const auto& s : services->storage_scopes_used()) run.usage.scopes.insert(s);
  for (auto& f : check_unused(m, run.usage, manifest_name)) report.plugin_findings.push_back(f);
  report.elapsed_ms = ms_since(started);
  return true;
}

}  // namespace vitrine::validate
