// Worker mode with well-behaved plugins: the same output as in-process, the
// sandbox reported as applied, refusals surfacing at add(), and the
// capability path running on the host with the host's space.
#include "worker/worker_runner.h"

#include <gtest/gtest.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "plugins/capability_tables.h"
#include "plugins/host_table.h"
#include "worker/sandbox.h"
#include "worker_fixture.h"

namespace vitrine::worker {
namespace {

using testing::kHello;
using testing::load_manifest;
using testing::RecordingServices;
using testing::test_config;

plugins::RenderInput hello_input(RecordingServices* services, std::string name = "Ada") {
  plugins::RenderInput in;
  in.macro_key = "hello";
  in.params = {{"name", std::move(name)}};
  in.space_key = "ops";
  in.page_id = "runbook";
  in.now_ms = 1'700'000'000'000;
  in.services = services;
  return in;
}

TEST(WorkerRunner, RendersTheSameHtmlAsInProcess) {
  RecordingServices services;
  auto worker = make_worker_runner(test_config());
  plugins::HostTable table;
  plugins::offer_standard_capabilities(table);
  auto in_process = plugins::make_in_process_runner(table.abi());
  plugins::Refusal refusal;
  ASSERT_TRUE(worker->add(load_manifest(kHello), refusal)) << refusal.message;
  ASSERT_TRUE(in_process->add(load_manifest(kHello), refusal)) << refusal.message;
  EXPECT_STREQ(worker->mode(), "worker");

  auto a = worker->render("hello", hello_input(&services, "<Ada & co>"));
  auto b = in_process->render("hello", hello_input(&services, "<Ada & co>"));
  EXPECT_EQ(a.status, VITRINE_OK) << a.error;
  EXPECT_EQ(a.html, b.html);
  EXPECT_EQ(a.cache_ttl_s, b.cache_ttl_s);
  EXPECT_EQ(a.html, "<p class=\"vitrine-hello\">Hello, &lt;Ada &amp; co&gt;!</p>");
}

TEST(WorkerRunner, ParameterErrorsComeFromTheSameBinder) {
  auto worker = make_worker_runner(test_config());
  plugins::Refusal refusal;
  ASSERT_TRUE(worker->add(load_manifest(kHello), refusal)) << refusal.message;
  auto out = worker->render("hello", hello_input(nullptr, std::string(65, 'x')));
  EXPECT_EQ(out.status, VITRINE_E_INVALID);
  EXPECT_FALSE(out.rule.empty());
  auto unknown = hello_input(nullptr);
  unknown.macro_key = "nope";
  EXPECT_EQ(worker->render("hello", unknown).rule, "macro-unknown");
  EXPECT_EQ(worker->render("absent", hello_input(nullptr)).rule, "plugin-not-loaded");
}

TEST(WorkerRunner, LogCapabilityRunsOnTheHostWithTheHostsSpace) {
  RecordingServices services;
  auto worker = make_worker_runner(test_config());
  plugins::Refusal refusal;
  ASSERT_TRUE(worker->add(load_manifest(kHello), refusal)) << refusal.message;
  auto out = worker->render("hello", hello_input(&services));
  ASSERT_EQ(out.status, VITRINE_OK) << out.error;
  auto records = services.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].op, "log");
  EXPECT_EQ(records[0].space, "ops");
  EXPECT_EQ(records[0].key, "rendering hello");
}

TEST(WorkerRunner, SandboxIsReportedAsApplied) {
  auto runner = std::make_unique<WorkerRunner>(test_config());
  plugins::Refusal refusal;
  ASSERT_TRUE(runner->add(load_manifest(kHello), refusal)) << refusal.message;
  const std::string report = runner->sandbox_report("hello");
  EXPECT_NE(report.find("seccomp"), std::string::npos) << report;
  EXPECT_NE(report.find("no_new_privs"), std::string::npos) << report;
  EXPECT_NE(report.find("rlimits"), std::string::npos) << report;
  if (::geteuid() == 0) {
    EXPECT_NE(report.find("netns"), std::string::npos) << report;
  }
  if (!built_with_asan()) {
    EXPECT_NE(report.find("as,"), std::string::npos) << report;
  }
  if (::syscall(__NR_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION) >= 1) {
    EXPECT_NE(report.find("landlock"), std::string::npos) << report;
  }
  ::testing::Test::RecordProperty("sandbox", report);
}

TEST(WorkerRunner, RefusalsSurfaceAtAdd) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("vitrine-worker-refusal-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kHello, dir / "hello.yml",
                             std::filesystem::copy_options::overwrite_existing);
  auto worker = make_worker_runner(test_config());
  plugins::Refusal refusal;
  EXPECT_FALSE(worker->add(load_manifest(dir / "hello.yml"), refusal));
  EXPECT_EQ(refusal.rule, "library-missing") << refusal.message;
  std::filesystem::remove_all(dir);
}

TEST(WorkerRunner, MissingWorkerExecutableIsARefusalNotACrash) {
  auto config = test_config();
  config.worker_path = "/nonexistent/vitrine-worker";
  auto worker = make_worker_runner(config);
  plugins::Refusal refusal;
  EXPECT_FALSE(worker->add(load_manifest(kHello), refusal));
  EXPECT_EQ(refusal.rule, "worker-start");
  EXPECT_NE(refusal.message.find("vitrine-worker"), std::string::npos);
}

TEST(WorkerRunner, P6_OneWorkerPoolPerPluginAndSpace) {
  RecordingServices services;
  auto runner = std::make_unique<WorkerRunner>(test_config());
  plugins::Refusal refusal;
  ASSERT_TRUE(runner->add(load_manifest(kHello), refusal)) << refusal.message;
  EXPECT_EQ(runner->worker_count(), 1);  // the probe, kept for the space-less key
  auto in = hello_input(&services);
  in.space_key = "space-a";
  ASSERT_EQ(runner->render("hello", in).status, VITRINE_OK);
  ASSERT_EQ(runner->render("hello", in).status, VITRINE_OK);
  EXPECT_EQ(runner->worker_count(), 2);  // reused for space-a
  in.space_key = "space-b";
  ASSERT_EQ(runner->render("hello", in).status, VITRINE_OK);
  EXPECT_EQ(runner->worker_count(), 3);  // space-b never shares space-a's process
}

TEST(WorkerRunner, IdleWorkersAreReaped) {
  auto config = test_config();
  // Generous against slow (sanitizer) builds: a worker start alone can take
  // a few hundred milliseconds there.
  config.idle_timeout_ms = 1000;
  auto runner = std::make_unique<WorkerRunner>(config);
  plugins::Refusal refusal;
  ASSERT_TRUE(runner->add(load_manifest(kHello), refusal)) << refusal.message;
  auto in = hello_input(nullptr);
  ASSERT_EQ(runner->render("hello", in).status, VITRINE_OK);
  EXPECT_EQ(runner->worker_count(), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  in.space_key = "other";
  ASSERT_EQ(runner->render("hello", in).status, VITRINE_OK);
  EXPECT_EQ(runner->worker_count(), 1);  // both idle ones reaped, the new one kept
}

TEST(WorkerRunner, ConcurrentRendersOfOneKeyUseSeveralWorkers) {
  RecordingServices services;
  auto runner = std::make_unique<WorkerRunner>(test_config());
  plugins::Refusal refusal;
  ASSERT_TRUE(runner->add(load_manifest(kHello), refusal)) << refusal.message;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (runner->render("hello", hello_input(&services)).status == VITRINE_OK) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 60);
  EXPECT_LE(runner->worker_count(), 1 + test_config().max_workers_per_key);
}

}  // namespace
}  // namespace vitrine::worker
