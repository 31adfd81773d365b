#include "render/warm_batch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

namespace vitrine::render {
namespace {

std::vector<RefreshItem> items(std::size_t n) {
  std::vector<RefreshItem> out;
  for (std::size_t i = 0; i < n; ++i) {
    MacroCall c;
    c.macro_key = "m" + std::to_string(i);
    c.params["i"] = std::to_string(i);
    out.push_back({i + 1, c});
  }
  return out;
}

MacroOutcome fresh() {
  MacroOutcome o;
  o.state = MacroState::fresh;
  return o;
}

TEST(RefreshAll, ABatchStartsOnlyWhenThePreviousOneHasFinished) {
  constexpr std::size_t kBatch = 3;
  std::atomic<std::size_t> finished{0};
  std::mutex mu;
  std::vector<std::string> violations;
  auto report = refresh_in_batches(items(10), kBatch, [&](const MacroCall& c) {
    const std::size_t i = std::stoul(c.params.at("i"));
    const std::size_t done_before = (i / kBatch) * kBatch;
    if (finished.load() < done_before) {
      std::lock_guard lock(mu);
      violations.push_back(c.macro_key);
    }
    ++finished;
    return fresh();
  });
  EXPECT_TRUE(violations.empty());
  EXPECT_EQ(report.batches, 4u);
  EXPECT_EQ(report.refreshed, 10u);
  EXPECT_TRUE(report.failed.empty());
}

TEST(RefreshAll, BatchSizeIsBounded) {
  auto report = refresh_in_batches(items(40), 1000, [](const MacroCall&) { return fresh(); });
  EXPECT_EQ(report.batches, 40u / kMaxRefreshBatch + (40u % kMaxRefreshBatch ? 1 : 0));
  EXPECT_EQ(refresh_in_batches(items(2), 0, [](const MacroCall&) { return fresh(); }).batches, 2u);
}

TEST(RefreshAll, ErrorsAndKeptStaleContentAreFailuresWithTheirRules) {
  auto report = refresh_in_batches(items(3), 2, [](const MacroCall& c) {
    MacroOutcome o;
    if (c.macro_key == "m0") {
      o.state = MacroState::error;
      o.rule = "grafana-unreachable";
      o.error = "Grafana did not answer";
    } else if (c.macro_key == "m1") {
      o.state = MacroState::stale;
    } else {
      o.state = MacroState::fresh;
    }
    return o;
  });
  EXPECT_EQ(report.refreshed, 1u);
  ASSERT_EQ(report.failed.size(), 2u);
  EXPECT_EQ(report.failed[0].macro, 1u);
  EXPECT_EQ(report.failed[0].rule, "grafana-unreachable");
  EXPECT_EQ(report.failed[1].macro, 2u);
  EXPECT_EQ(report.failed[1].rule, "refresh-stale");
}

TEST(RefreshAll, AnErrorWithoutARuleIsReportedAsRefreshFailed) {
  auto report = refresh_in_batches(items(1), 1, [](const MacroCall&) {
    MacroOutcome o;
    o.state = MacroState::error;
    o.error = "dashboard UID 'x' not found";
    return o;
  });
  ASSERT_EQ(report.failed.size(), 1u);
  EXPECT_EQ(report.failed[0].rule, "refresh-failed");
  EXPECT_EQ(report.failed[0].error, "dashboard UID 'x' not found");
}

TEST(RefreshAll, CallsBypassTheCacheAndInvalidBlocksAreReportedInPageOrder) {
  const std::string page =
      "```dashboard\ndashboard: a\n```\n```dashboard\nx: [\n```\n```dashboard\ndashboard: b\n```\n";
  MacroCall defaults;
  defaults.space = "ops";
  defaults.page_id = "runbook";
  std::vector<RefreshFailure> invalid;
  auto calls = refresh_calls(page, defaults, {"dashboard"}, invalid);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].macro, 1u);
  EXPECT_EQ(calls[1].macro, 3u);
  for (const auto& c : calls) {
    EXPECT_TRUE(c.call.bypass_cache);
    EXPECT_EQ(c.call.space, "ops");
    // Upstream responses from before the refresh began never answer it.
    EXPECT_GT(c.call.upstream_from_ms, 0);
  }
  EXPECT_EQ(calls[0].call.upstream_from_ms, calls[1].call.upstream_from_ms);
  ASSERT_EQ(invalid.size(), 1u);
  EXPECT_EQ(invalid[0].rule, "page-macro");
  auto report = refresh_in_batches(
      calls, 4, [](const MacroCall&) { return fresh(); }, invalid);
  EXPECT_EQ(report.refreshed, 2u);
  ASSERT_EQ(report.failed.size(), 1u);
  EXPECT_EQ(report.failed[0].macro, 2u);
}

}  // namespace
}  // namespace vitrine::render
