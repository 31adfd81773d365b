// Per-macro overhead of worker mode versus in-process mode on a trivial
// render (the `hello` plugin), measured side by side in one run
// (docs/performance.md, "Worker isolation"). Worker mode adds one render
// frame, one log frame (hello logs every render) and one result frame over a
// UNIX socket; the worker is warm (started by add(), reused per space).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "manifest/manifest.h"
#include "plugins/capability_tables.h"
#include "plugins/host_table.h"
#include "plugins/runner.h"
#include "worker/worker_runner.h"

namespace {

using namespace vitrine;

// Counts log lines so the capability path does real work on the host.
class NullServices final : public plugins::CallServices {
 public:
  vitrine_status http_get(vitrine_call*, const vitrine_http_request*,
                          vitrine_http_response*) override {
    return VITRINE_E_UNAVAILABLE;
  }
  vitrine_status cache_get(vitrine_call*, vitrine_str, vitrine_cache_entry*) override {
    return VITRINE_E_NOT_FOUND;
  }
  vitrine_status cache_put(vitrine_call*, vitrine_str, vitrine_str, uint32_t) override {
    return VITRINE_OK;
  }
  vitrine_status asset_put(vitrine_call*, vitrine_str, vitrine_str, vitrine_asset_ref*) override {
    return VITRINE_E_UNAVAILABLE;
  }
  void log(vitrine_call*, vitrine_log_level, vitrine_str) override { ++lines; }
  vitrine_status is_licensed(vitrine_call*, vitrine_str, int32_t* licensed) override {
    *licensed = 1;
    return VITRINE_OK;
  }
  long lines = 0;
};

manifest::Manifest hello_manifest() {
  auto checked = manifest::check_file(std::string(BENCH_PLUGINS_DIR) + "/hello.yml");
  if (!checked.ok()) std::abort();
  return *checked.manifest;
}

// The `hello` render the scale benchmarks send, with a render timeout as the host sets one; the
// caller names the space (and page) of each view.
plugins::RenderInput hello_input(plugins::CallServices& services) {
  plugins::RenderInput in;
  in.macro_key = "hello";
  in.params = {{"name", "bench"}};
  in.now_ms = 1'700'000'000'000;
  in.timeout_ms = 10'000;
  in.services = &services;
  return in;
}

void render_loop(benchmark::State& state, plugins::PluginRunner& runner) {
  NullServices services;
  plugins::RenderInput in;
  in.macro_key = "hello";
  in.params = {{"name", "bench"}};
  in.space_key = "ops";
  in.now_ms = 1'700'000'000'000;
  in.services = &services;
  for (auto _ : state) {
    auto out = runner.render("hello", in);
    if (out.status != VITRINE_OK) {
      state.SkipWithError(out.error.c_str());
      break;
    }
    benchmark::DoNotOptimize(out.html.data());
  }
}

void BM_HelloInProcess(benchmark::State& state) {
  static plugins::HostTable table;
  static bool offered = (plugins::offer_standard_capabilities(table), true);
  (void)offered;
  auto runner = plugins::make_in_process_runner(table.abi());
  plugins::Refusal refusal;
  if (!runner->add(hello_manifest(), refusal)) std::abort();
  render_loop(state, *runner);
}

void BM_HelloWorker(benchmark::State& state) {
  worker::WorkerConfig config;
  config.worker_path = BENCH_WORKER_PATH;
  auto runner = worker::make_worker_runner(config);
  plugins::Refusal refusal;
  if (!runner->add(hello_manifest(), refusal)) std::abort();
  render_loop(state, *runner);
}

// Cold first views across many spaces (docs/performance.md, "Workers at
// scale"): 5000 views, each of a different (space, page), page by page over
// all spaces (a crawler's or a morning's order: a space comes back only after
// every other space), by 8 concurrent viewers (the default render.threads) on a fresh runner, so
// every space's first view starts its worker. 1000 spaces x 5 pages is the case measured; 10 spaces
// x 500 pages, the same number of views, is its reference (10 worker starts, then warm workers).
// Arg 1 selects the worker start and retirement: 0 = the previous defaults (exec per worker, at
// most 64 workers, LRU eviction), 1 = zygote fork and a cap sized by memory (1 GiB).
void BM_ColdFirstViews(benchmark::State& state) {
  const int spaces = static_cast<int>(state.range(0));
  const bool scaled = state.range(1) == 1;
  constexpr int kViews = 5000;
  constexpr int kViewers = 8;  // render.threads default
  for (auto _ : state) {
    worker::WorkerConfig config;
    config.worker_path = BENCH_WORKER_PATH;
    config.zygote = scaled;
    config.max_workers = scaled ? 0 : 64;
    worker::WorkerRunner runner(config);
    plugins::Refusal refusal;
    if (!runner.add(hello_manifest(), refusal)) std::abort();
    std::vector<std::string> space_keys;
    for (int i = 0; i < spaces; ++i) space_keys.push_back("space-" + std::to_string(i));
    std::atomic<int> next{0};
    std::atomic<int> failed{0};
    const int views = kViews;
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> viewers;
    for (int t = 0; t < kViewers; ++t) {
      viewers.emplace_back([&] {
        NullServices services;
        plugins::RenderInput in = hello_input(services);
        for (int v = next++; v < views; v = next++) {
          in.space_key = space_keys[static_cast<size_t>(v % spaces)];
          in.page_id = "page-" + std::to_string(v / spaces);
          if (runner.render("hello", in).status != VITRINE_OK) ++failed;
        }
      });
    }
    for (auto& v : viewers) v.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(seconds);
    const worker::WorkerMemory memory = runner.memory();
    state.counters["views_per_s"] = views / seconds;
    state.counters["failed"] = failed.load();
    state.counters["starts"] = runner.workers_started();
    state.counters["live_workers"] = memory.workers;
    state.counters["cap"] = memory.cap;
    state.counters["idle_MiB_per_worker"] = static_cast<double>(memory.idle_bytes_mean) / (1 << 20);
    state.counters["workers_MiB"] = static_cast<double>(memory.worker_bytes) / (1 << 20);
  }
}

// What one worker start costs, sequentially: each iteration is the first
// render of a new space (start + handshake + one render). Arg 0 = exec,
// 1 = fork from the zygote; no spares, so every iteration pays its start.
void BM_WorkerStart(benchmark::State& state) {
  worker::WorkerConfig config;
  config.worker_path = BENCH_WORKER_PATH;
  config.zygote = state.range(0) == 1;
  config.spare_workers = 0;
  config.max_workers = 100'000;
  worker::WorkerRunner runner(config);
  plugins::Refusal refusal;
  if (!runner.add(hello_manifest(), refusal)) std::abort();
  NullServices services;
  plugins::RenderInput in = hello_input(services);
  int space = 0;
  for (auto _ : state) {
    in.space_key = "space-" + std::to_string(space++);
    if (runner.render("hello", in).status != VITRINE_OK) {
      state.SkipWithError("render failed");
      break;
    }
  }
}

}  // namespace

BENCHMARK(BM_WorkerStart)
    ->ArgName("fork")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(300)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ColdFirstViews)
    ->ArgNames({"spaces", "scaled"})
    ->Args({10, 0})
    ->Args({1000, 0})
    ->Args({10, 1})
    ->Args({1000, 1})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HelloInProcess)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HelloWorker)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
