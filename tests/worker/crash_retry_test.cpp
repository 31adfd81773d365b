// One crash does not fail the sibling macros of a page view: a crashed
// render is retried once on a fresh worker within its deadline, siblings wait
// out the crash backoff when their deadline allows, a render that crashes
// twice says so in words, and a crash loop stays bounded
// (docs/security/isolation.md, "Supervision").
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "worker/sandbox.h"
#include "worker/worker_runner.h"
#include "worker_fixture.h"

namespace vitrine::worker {
namespace {

using testing::added;
using testing::test_config;

const std::filesystem::path kEvil = std::filesystem::path(EVIL_PLUGINS_DIR) / "evil.yml";

plugins::RenderInput macro(const std::string& key, int64_t timeout_ms = 5000) {
  plugins::RenderInput in;
  in.macro_key = key;
  in.space_key = "space-page";
  in.page_id = "page-with-four-macros";
  in.timeout_ms = timeout_ms;
  return in;
}

TEST(WorkerCrashRetry, worker_crashed_TheNextMacroOfThePageRendersRightAfterACrash) {
  // The reported case: the page's first macro crashes its worker, the next
  // macro of the same plugin on that page used to answer "crashed recently".
  WorkerRunner runner(test_config());
  ASSERT_TRUE(added(runner, kEvil));
  auto crashed = runner.render("evil", macro("evil-segv"));
  EXPECT_EQ(crashed.rule, "worker-crashed") << crashed.error;
  auto sibling = runner.render("evil", macro("evil-ok"));
  EXPECT_EQ(sibling.status, VITRINE_OK) << sibling.rule << ": " << sibling.error;
  EXPECT_EQ(sibling.html, "<p>fine</p>");
}

TEST(WorkerCrashRetry, worker_crashed_SiblingsRenderingAtTheSameTimeAllRender) {
  WorkerRunner runner(test_config());
  ASSERT_TRUE(added(runner, kEvil));
  std::vector<std::future<plugins::RenderOutput>> siblings;
  auto crash =
      std::async(std::launch::async, [&] { return runner.render("evil", macro("evil-segv")); });
  for (int i = 0; i < 3; ++i) {
    siblings.push_back(
        std::async(std::launch::async, [&] { return runner.render("evil", macro("evil-ok")); }));
  }
  for (auto& f : siblings) {
    auto out = f.get();
    EXPECT_EQ(out.status, VITRINE_OK) << out.rule << ": " << out.error;
    EXPECT_EQ(out.html, "<p>fine</p>");
  }
  auto out = crash.get();
  EXPECT_EQ(out.status, VITRINE_E_INTERNAL);
  EXPECT_EQ(out.rule, "worker-crashed");
}

TEST(WorkerCrashRetry, worker_crashed_ARenderThatCrashesTwiceSaysSoAndIsRetriedOnlyOnce) {
  WorkerRunner runner(test_config());
  ASSERT_TRUE(added(runner, kEvil));
  ASSERT_EQ(runner.render("evil", macro("evil-ok")).status, VITRINE_OK);
  const int started = runner.workers_started();
  auto out = runner.render("evil", macro("evil-segv"));
  EXPECT_EQ(out.status, VITRINE_E_INTERNAL);
  EXPECT_EQ(out.rule, "worker-crashed");
  EXPECT_NE(out.error.find("crashed twice while rendering 'evil-segv'"), std::string::npos)
      << out.error;
  if (!built_with_asan()) {
    EXPECT_NE(out.error.find("SIGSEGV"), std::string::npos) << out.error;
  }
  // The first attempt used the idle worker; exactly one fresh worker for the
  // retry (forked or exec'd, both count as started).
  EXPECT_EQ(runner.workers_started() - started, 1);
}

TEST(WorkerCrashRetry, worker_restarting_ACrashLoopIsBoundedByTheBackoff) {
  auto config = test_config();
  config.backoff_initial_ms = 2000;
  config.backoff_max_ms = 4000;
  WorkerRunner runner(config);
  ASSERT_TRUE(added(runner, kEvil));
  auto out = runner.render("evil", macro("evil-segv", 1000));
  EXPECT_EQ(out.rule, "worker-crashed") << out.error;
  // The backoff (2 s) outlasts the 1 s deadline: no retry, no second crash.
  EXPECT_EQ(out.error.find("crashed twice"), std::string::npos) << out.error;
  const auto before = std::chrono::steady_clock::now();
  auto next = runner.render("evil", macro("evil-segv", 1000));
  EXPECT_EQ(next.rule, "worker-restarting") << next.error;
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(500))
      << "a render whose deadline ends before the backoff answers at once";
}

}  // namespace
}  // namespace vitrine::worker
