// Workers at scale: forked workers from a per-plugin zygote keep one process
// per (plugin, space), a crash stays inside one child, a crashed zygote is
// replaced, idle workers retire least recently used first, and worker memory
// is reported (docs/security/isolation.md, "Fork servers").
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "metrics/metrics.h"
#include "worker/sandbox.h"
#include "worker/worker_runner.h"
#include "worker_fixture.h"

namespace vitrine::worker {
namespace {

using testing::added;
using testing::kHello;
using testing::test_config;

const std::filesystem::path kEvil = std::filesystem::path(EVIL_PLUGINS_DIR) / "evil.yml";

// A render of `macro` in `space`, with the timeout every test here allows.
plugins::RenderInput input(const std::string& macro, const std::string& space) {
  plugins::RenderInput in;
  in.macro_key = macro;
  in.space_key = space;
  in.timeout_ms = 5000;
  return in;
}

plugins::RenderOutput hello(WorkerRunner& runner, const std::string& space) {
  plugins::RenderInput in = input("hello", space);
  in.params = {{"name", space}};
  return runner.render("hello", in);
}

pid_t only_pid(const WorkerRunner& runner, const std::string& plugin, const std::string& space) {
  auto pids = runner.idle_worker_pids(plugin, space);
  EXPECT_EQ(pids.size(), 1u) << plugin << "/" << space;
  return pids.empty() ? -1 : pids.front();
}

bool alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

TEST(WorkerZygote, P6_EachSpaceGetsItsOwnForkedProcess) {
  WorkerRunner runner(test_config());
  ASSERT_TRUE(added(runner, kHello));
  std::set<pid_t> pids;
  for (const char* space : {"space-a", "space-b", "space-c"}) {
    auto out = hello(runner, space);
    ASSERT_EQ(out.status, VITRINE_OK) << out.error;
    EXPECT_EQ(out.html, std::string("<p class=\"vitrine-hello\">Hello, ") + space + "!</p>");
    pids.insert(only_pid(runner, "hello", space));
  }
  EXPECT_EQ(pids.size(), 3u) << "two spaces shared a worker process";
  const pid_t zygote = runner.zygote_pid("hello");
  ASSERT_GT(zygote, 0);
  EXPECT_EQ(pids.count(zygote), 0u) << "the zygote itself served a space";
  EXPECT_EQ(runner.workers_forked(), 3);
  // Reuse stays within the space: space-a's next render runs in its process.
  const pid_t a = only_pid(runner, "hello", "space-a");
  ASSERT_EQ(hello(runner, "space-a").status, VITRINE_OK);
  EXPECT_EQ(only_pid(runner, "hello", "space-a"), a);
  EXPECT_EQ(runner.workers_forked(), 3);
  // The forked children are the host's own (CLONE_PARENT), so it reaps them.
  int status = 0;
  EXPECT_EQ(::waitpid(a, &status, WNOHANG), 0) << "a forked worker is not the host's child";
}

TEST(WorkerZygote, P8_ForkedWorkersCannotSignalTheHostOrStartProcesses) {
  WorkerRunner runner(test_config());
  ASSERT_TRUE(added(runner, kEvil));
  plugins::RenderInput in = input("evil-signal", "space-signal");
  auto out = runner.render("evil", in);
  ASSERT_EQ(out.status, VITRINE_OK) << out.error;
  EXPECT_EQ(runner.workers_forked(), 1);
  // Signalling the parent (the host, through CLONE_PARENT) is refused by the
  // child's own filter, exactly as in an exec'd worker.
  EXPECT_EQ(out.html, "kill-parent=-1 errno=1 ptrace=-1 errno=1 kill-all=-1 errno=1");
  in.macro_key = "evil-exec";
  in.params = {{"path", "/tmp/vitrine-zygote-pwned"}};
  out = runner.render("evil", in);
  ASSERT_EQ(out.status, VITRINE_OK) << out.error;
  EXPECT_NE(out.html.find("fork=-1 errno=1"), std::string::npos) << out.html;
  EXPECT_NE(out.html.find("execve=-1 errno=1"), std::string::npos) << out.html;
}

TEST(WorkerZygote, P8_ACrashInOneChildSparesTheZygoteAndItsSiblings) {
  WorkerRunner runner(test_config());
  ASSERT_TRUE(added(runner, kEvil));
  const plugins::RenderInput ok = input("evil-ok", "space-sibling");
  ASSERT_EQ(runner.render("evil", ok).status, VITRINE_OK);
  const pid_t sibling = only_pid(runner, "evil", "space-sibling");
  const pid_t zygote = runner.zygote_pid("evil");
  ASSERT_GT(zygote, 0);

  plugins::RenderInput segv = ok;
  segv.macro_key = "evil-segv";
  segv.space_key = "space-crash";
  auto out = runner.render("evil", segv);
  EXPECT_EQ(out.rule, "worker-crashed") << out.error;
  if (!built_with_asan()) {
    EXPECT_NE(out.error.find("SIGSEGV"), std::string::npos) << out.error;
  }

  EXPECT_TRUE(alive(zygote));
  EXPECT_EQ(runner.zygote_pid("evil"), zygote);
  auto again = runner.render("evil", ok);
  EXPECT_EQ(again.status, VITRINE_OK) << again.error;
  EXPECT_EQ(only_pid(runner, "evil", "space-sibling"), sibling);
  // The crashed space restarts after its backoff, forked from the same zygote.
  std::this_thread::sleep_for(std::chrono::milliseconds(test_config().backoff_initial_ms + 50));
  segv.macro_key = "evil-ok";
  auto restarted = runner.render("evil", segv);
  EXPECT_EQ(restarted.status, VITRINE_OK) << restarted.error;
  // sibling, crash, the crash's one retry on a fresh child, restarted.
  EXPECT_EQ(runner.workers_forked(), 4);
}

TEST(WorkerZygote, P8_AKilledZygoteIsReplacedAndItsChildrenKeepServing) {
  WorkerRunner runner(test_config());
  ASSERT_TRUE(added(runner, kHello));
  ASSERT_EQ(hello(runner, "space-old").status, VITRINE_OK);
  const pid_t child = only_pid(runner, "hello", "space-old");
  const pid_t zygote = runner.zygote_pid("hello");
  ASSERT_GT(zygote, 0);
  ASSERT_EQ(::kill(zygote, SIGKILL), 0);
  // The zygote is the host's child too; it stays a zombie until the next
  // request finds its socket closed and reaps it.
  for (int i = 0; i < 100 && ::waitpid(zygote, nullptr, WNOHANG | WNOWAIT) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  auto old_space = hello(runner, "space-old");
  EXPECT_EQ(old_space.status, VITRINE_OK) << old_space.error;
  EXPECT_EQ(only_pid(runner, "hello", "space-old"), child) << "the zygote took its child along";

  auto new_space = hello(runner, "space-new");
  EXPECT_EQ(new_space.status, VITRINE_OK) << new_space.error;
  const pid_t replacement = runner.zygote_pid("hello");
  EXPECT_GT(replacement, 0);
  EXPECT_NE(replacement, zygote);
  EXPECT_EQ(runner.workers_forked(), 2) << "the new space was not forked from the new zygote";
}

bool wait_for_spares(WorkerRunner& runner, int n) {
  for (int i = 0; i < 500; ++i) {
    if (runner.memory().spares == n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(WorkerZygote, P6_ASpareServesOnlyTheSpaceThatTookIt) {
  auto config = test_config();
  config.spare_workers = 1;
  WorkerRunner runner(config);
  ASSERT_TRUE(added(runner, kHello));
  ASSERT_TRUE(wait_for_spares(runner, 1));
  EXPECT_EQ(runner.workers_forked(), 1);
  EXPECT_EQ(runner.worker_count(), 1) << "a spare counted as a space's worker";

  ASSERT_EQ(hello(runner, "space-a").status, VITRINE_OK);
  const pid_t a = only_pid(runner, "hello", "space-a");
  ASSERT_TRUE(wait_for_spares(runner, 1));  // refilled in the background
  EXPECT_EQ(runner.workers_forked(), 2);
  ASSERT_EQ(hello(runner, "space-b").status, VITRINE_OK);
  const pid_t b = only_pid(runner, "hello", "space-b");
  EXPECT_NE(a, b);
  ASSERT_EQ(hello(runner, "space-a").status, VITRINE_OK);
  EXPECT_EQ(only_pid(runner, "hello", "space-a"), a);
  ASSERT_TRUE(wait_for_spares(runner, 1));
  EXPECT_EQ(runner.workers_forked(), 3) << "space-a's second render took a spare";
  // Retiring the plugin drops its spares (and its zygote); new ones come
  // from a new zygote.
  runner.retire("hello");
  EXPECT_EQ(runner.memory().spares, 0);
  ASSERT_TRUE(wait_for_spares(runner, 1));
  EXPECT_EQ(hello(runner, "space-c").status, VITRINE_OK);
}

TEST(WorkerZygote, ExecIsUsedWhenZygotesAreOff) {
  auto config = test_config();
  config.zygote = false;
  WorkerRunner runner(config);
  ASSERT_TRUE(added(runner, kHello));
  ASSERT_EQ(hello(runner, "space-a").status, VITRINE_OK);
  EXPECT_EQ(runner.workers_forked(), 0);
  EXPECT_EQ(runner.zygote_pid("hello"), -1);
  EXPECT_EQ(runner.workers_started(), 2);  // the probe and space-a
}

// At the cap, the least recently used idle worker goes first, whatever its
// space or age.
TEST(WorkerRetirement, AtTheCapTheLeastRecentlyUsedIdleWorkerRetiresFirst) {
  auto config = test_config();
  config.max_workers = 4;
  WorkerRunner runner(config);
  ASSERT_TRUE(added(runner, kHello));
  auto step = [] { std::this_thread::sleep_for(std::chrono::milliseconds(5)); };
  // Live: probe (oldest), a, b, c.
  for (const char* space : {"a", "b", "c"}) {
    ASSERT_EQ(hello(runner, space).status, VITRINE_OK);
    step();
  }
  ASSERT_EQ(runner.worker_count(), 4);
  ASSERT_EQ(hello(runner, "a").status, VITRINE_OK);  // a is now the most recent
  step();
  ASSERT_EQ(hello(runner, "d").status, VITRINE_OK);  // evicts the probe
  step();
  EXPECT_TRUE(runner.idle_worker_pids("hello", "").empty());
  ASSERT_EQ(hello(runner, "e").status, VITRINE_OK);  // evicts b (a was used after it)
  step();
  EXPECT_EQ(runner.worker_count(), 4);
  EXPECT_TRUE(runner.idle_worker_pids("hello", "b").empty());
  EXPECT_EQ(runner.idle_worker_pids("hello", "a").size(), 1u);
  EXPECT_EQ(runner.idle_worker_pids("hello", "c").size(), 1u);
  const int started = runner.workers_started();
  ASSERT_EQ(hello(runner, "a").status, VITRINE_OK);
  ASSERT_EQ(hello(runner, "c").status, VITRINE_OK);
  EXPECT_EQ(runner.workers_started(), started) << "a or c was retired before b";
  ASSERT_EQ(hello(runner, "b").status, VITRINE_OK);
  EXPECT_EQ(runner.workers_started(), started + 1);
}

TEST(WorkerMemoryGauge, IdleWorkerMemoryIsMeasuredAndExposed) {
  metrics::Registry registry;
  auto config = test_config();
  config.metrics = &registry;
  WorkerRunner runner(config);
  ASSERT_TRUE(added(runner, kHello));
  ASSERT_EQ(hello(runner, "space-a").status, VITRINE_OK);
  ASSERT_EQ(hello(runner, "space-b").status, VITRINE_OK);
  WorkerMemory m = runner.memory();
  EXPECT_EQ(m.workers, 3);
  EXPECT_EQ(m.idle, 3);
  EXPECT_EQ(m.zygotes, 1);
  EXPECT_GT(m.idle_bytes_mean, 0u);
  EXPECT_LT(m.idle_bytes_mean, 512ull << 20);
  EXPECT_GT(m.zygote_bytes, 0u);
  EXPECT_EQ(m.worker_bytes, m.idle_bytes_mean * 3);
  const std::string text = registry.expose();
  const std::string name = "\nvitrine_worker_idle_memory_bytes ";
  const auto at = text.find(name);
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_DOUBLE_EQ(std::stod(text.substr(at + name.size())),
                   static_cast<double>(m.idle_bytes_mean));
  EXPECT_NE(text.find("vitrine_workers{state=\"idle\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("vitrine_worker_starts_total{how=\"fork\"} 2"), std::string::npos) << text;
}

// Renders sample memory every 5 s, so between samples the gauges show the
// last one; a /metrics scrape (refresh_metrics) reads them anew.
TEST(WorkerMemoryGauge, AScrapeRefreshesTheGaugesBetweenSamples) {
  metrics::Registry registry;
  auto config = test_config();
  config.metrics = &registry;
  WorkerRunner runner(config);
  ASSERT_TRUE(added(runner, kHello));
  for (const char* space : {"space-a", "space-b", "space-c"}) {
    ASSERT_EQ(hello(runner, space).status, VITRINE_OK);
  }
  // Every worker is idle now (the one add() warmed and one per space).
  const std::string all_idle =
      "vitrine_workers{state=\"idle\"} " + std::to_string(runner.worker_count()) + "\n";
  EXPECT_EQ(registry.expose().find(all_idle), std::string::npos)
      << "the renders sampled again within 5 s: this test no longer shows the scrape's effect";
  runner.refresh_metrics();
  EXPECT_NE(registry.expose().find(all_idle), std::string::npos) << registry.expose();
}

TEST(WorkerMemoryGauge, AZeroCapIsSizedByTheMemoryBudget) {
  auto config = test_config();
  config.max_workers = 0;
  config.memory_budget_bytes = 4096ull << 20;
  WorkerRunner runner(config);
  ASSERT_TRUE(added(runner, kHello));
  ASSERT_EQ(hello(runner, "space-a").status, VITRINE_OK);
  WorkerMemory m = runner.memory();
  ASSERT_GT(m.idle_bytes_mean, 0u);
  rlimit nofile{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &nofile), 0);
  const uint64_t by_fds =
      nofile.rlim_cur == RLIM_INFINITY ? (1u << 20) : std::max<uint64_t>(16, nofile.rlim_cur / 4);
  const uint64_t by_memory =
      config.memory_budget_bytes / std::max<uint64_t>(m.idle_bytes_mean, 256ull << 10);
  EXPECT_EQ(static_cast<uint64_t>(m.cap), std::clamp<uint64_t>(by_memory, 16, by_fds));
  // A fixed cap is kept as configured.
  config.max_workers = 5;
  WorkerRunner fixed(config);
  EXPECT_EQ(fixed.memory().cap, 5);
}

}  // namespace
}  // namespace vitrine::worker
