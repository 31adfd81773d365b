// Per-macro overhead of worker mode versus in-process mode on a trivial
// render (the `hello` plugin), measured side by side in one run
// (docs/performance.md, "Worker isolation"). Worker mode adds one render
// frame, one log frame (hello logs every render) and one result frame over a
// UNIX socket; the worker is warm (started by add(), reused per space).
#include <benchmark/benchmark.h>

#include <memory>

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

}  // namespace

BENCHMARK(BM_HelloInProcess)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HelloWorker)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
