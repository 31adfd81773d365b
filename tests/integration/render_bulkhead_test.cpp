// Issue "stay up when Grafana is slow": the engine's half of the bulkhead.
// A page view's deadline covers its time in the render queue; one busy
// space cannot take every render thread; an abandoned view's queued renders
// are dropped; shutdown drops what has not started; a front end that
// cannot spare its thread gets an answer at once. Real TLS to the
// simulator, whose faults make Grafana slow.
#include <gmock/gmock.h>

#include <chrono>
#include <future>
#include <thread>

#include "blocking/blocking.h"
#include "host_fixture.h"

using ::testing::HasSubstr;
using vitrine::render::MacroState;

namespace vitrine::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class RenderBulkhead : public HostFixture {
 protected:
  // The engine over the fixture's runtime with these render limits.
  void engine_with(int threads, int deadline_ms, int per_space = 0, int per_origin = 0) {
    engine_.reset();
    render::EngineOptions eo;
    eo.threads = threads;
    eo.macro_deadline_ms = deadline_ms;
    eo.per_space = per_space;
    eo.per_origin = per_origin;
    engine_ = std::make_unique<render::Engine>(*rt_, eo);
  }
  // Grafana answers every request under `path` (all when empty) late.
  void slow_grafana(int latency_ms, std::string path = {}) {
    sim::FaultRule slow;
    slow.mode = sim::FaultMode::kLatency;
    slow.latency_ms = latency_ms;
    if (!path.empty()) slow.paths = {path};
    sim_->context().faults.add(slow);
  }
  render::PageOutcome view(const std::string& space, const std::string& markdown,
                           const std::string& time_from = "2024-05-27T00:00:00Z") {
    render::MacroCall defaults;
    defaults.time_from = time_from;
    defaults.time_to = "2024-06-04T00:00:00Z";
    return *engine_->render_page(space, "p", markdown, defaults);
  }
  static int rule_count(const render::PageOutcome& p, const std::string& rule) {
    int n = 0;
    for (const auto& m : p.macros) n += m.rule == rule ? 1 : 0;
    return n;
  }
  void connect_second_space() {
    auto& st = rt_->store();
    ASSERT_TRUE(st.spaces().create("admin", "other", "Other").ok());
    store::ConnectRequest req;
    req.origin = "https://other.grafana.net";
    ASSERT_TRUE(st.spaces().connect("admin", "other", req).ok());
    ASSERT_TRUE(st.spaces().set_token("admin", "other", store::crypto::SecretString(token_)).ok());
    ASSERT_TRUE(st.approvals().enable("admin", "other", "alert_list").ok());
  }
};

// Three distinct renders (the parameters differ), each one upstream GET.
const char* kThreeMacros =
    "```alert-list\nmax_items: 1\n```\n\n```alert-list\nmax_items: 2\n```\n\n"
    "```alert-list\nmax_items: 3\n```\n";

const char* kDashboard = "```dashboard\ndashboard: svc-checkout\n```\n";
const char* kAlerts = "```alert-list\nmax_items: 5\n```\n";

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

TEST_F(RenderBulkhead, MacroDeadlineBoundsTheWholePageViewQueueTimeIncluded) {
  // One render thread, three cold macros, a Grafana slower than the
  // deadline: the first render times out at the deadline and the two
  // queued behind it must not each get a deadline of their own.
  engine_with(/*threads=*/1, /*deadline_ms=*/1000);
  slow_grafana(1500);
  const auto start = Clock::now();
  const auto page = view("demo", kThreeMacros);
  const double took = seconds_since(start);
  EXPECT_LT(took, 2.0) << "the page waited past its deadline (queue time not counted)";
  ASSERT_EQ(page.macros.size(), 3u);
  EXPECT_GE(rule_count(page, "macro-deadline"), 2) << page.body_html;
  for (const auto& m : page.macros) EXPECT_EQ(m.state, MacroState::error);
  EXPECT_THAT(page.body_html, HasSubstr("deadline"));
}

TEST_F(RenderBulkhead, OneBusySpaceCannotTakeEveryRenderThread) {
  connect_second_space();
  // Two render threads, at most one per space: space "demo" has four cold
  // views on a dashboard Grafana answers in 2.5 s; "other" must still get
  // a thread at once for its alert list.
  engine_with(/*threads=*/2, /*deadline_ms=*/5000, /*per_space=*/1, /*per_origin=*/2);
  slow_grafana(2500, "/api/dashboards/");
  std::vector<std::future<render::PageOutcome>> busy;
  for (int i = 0; i < 4; ++i) {
    const std::string from = "2024-05-2" + std::to_string(i) + "T00:00:00Z";  // distinct renders
    busy.push_back(
        std::async(std::launch::async, [this, from] { return view("demo", kDashboard, from); }));
  }
  std::this_thread::sleep_for(200ms);  // the busy space's renders hold their lane
  const auto start = Clock::now();
  const auto quiet = view("other", kAlerts);
  const double took = seconds_since(start);
  ASSERT_EQ(quiet.macros.size(), 1u);
  EXPECT_EQ(quiet.macros[0].state, MacroState::fresh) << quiet.macros[0].error;
  EXPECT_LT(took, 1.5) << "space 'other' waited behind space 'demo''s renders";
  for (auto& f : busy) f.get();
}

TEST_F(RenderBulkhead, AnAbandonedViewsQueuedRenderIsDroppedNotRun) {
  engine_with(/*threads=*/1, /*deadline_ms=*/5000);
  slow_grafana(1500, "/api/dashboards/");
  // View A takes the only render thread.
  auto a = std::async(std::launch::async, [this] { return view("demo", kDashboard); });
  std::this_thread::sleep_for(200ms);
  sim_->context().counters.reset();
  // View B queues behind it; its client goes away after 200 ms.
  auto cancel = std::make_shared<blocking::Cancel>();
  auto b = std::async(std::launch::async, [this, cancel] {
    blocking::set_current(cancel);
    auto out = view("demo", kAlerts);
    blocking::set_current(nullptr);
    return out;
  });
  std::this_thread::sleep_for(200ms);
  const auto cancelled_at = Clock::now();
  cancel->cancel(blocking::CancelReason::client_gone);
  const auto page_b = b.get();
  EXPECT_LT(seconds_since(cancelled_at), 0.5) << "the abandoned view kept waiting";
  ASSERT_EQ(page_b.macros.size(), 1u);
  EXPECT_EQ(page_b.macros[0].rule, "render-abandoned");
  EXPECT_THAT(page_b.macros[0].error, HasSubstr("client-gone"));
  a.get();
  engine_->drain();
  // B's render was dropped when its turn came: Grafana never saw it.
  EXPECT_EQ(sim_->context().counters.get("/api/prometheus/grafana/api/v1/rules"), 0u);
  EXPECT_THAT(rt_->metrics().expose(),
              HasSubstr("vitrine_render_dropped_total{reason=\"abandoned\"} 1"));
}

TEST_F(RenderBulkhead, StopDropsQueuedRendersAndLetsRunningOnesFinish) {
  engine_with(/*threads=*/1, /*deadline_ms=*/5000);
  slow_grafana(800, "/api/dashboards/");
  auto running = std::async(std::launch::async, [this] { return view("demo", kDashboard); });
  std::this_thread::sleep_for(200ms);
  auto queued = std::async(std::launch::async, [this] { return view("demo", kAlerts); });
  std::this_thread::sleep_for(200ms);
  engine_->stop();
  const auto q = queued.get();
  ASSERT_EQ(q.macros.size(), 1u);
  EXPECT_EQ(q.macros[0].rule, "server-stopping");
  const auto r = running.get();
  EXPECT_EQ(r.macros[0].state, MacroState::fresh) << r.macros[0].error;
}

bool refuse_to_block(void*) { return false; }

TEST_F(RenderBulkhead, AFrontEndThatCannotSpareItsThreadGetsBusyAtOnce) {
  engine_with(/*threads=*/2, /*deadline_ms=*/5000);
  sim_->context().counters.reset();
  blocking::set_hook(&refuse_to_block, nullptr);
  const auto page = view("demo", kDashboard);
  blocking::set_hook(nullptr, nullptr);
  ASSERT_EQ(page.macros.size(), 1u);
  EXPECT_EQ(page.macros[0].rule, "render-busy");
  engine_->drain();
  EXPECT_EQ(sim_->context().counters.get("/api/dashboards/uid/svc-checkout"), 0u);
  // Not kept: the next view that may wait renders it.
  EXPECT_EQ(view("demo", kDashboard).macros[0].state, MacroState::fresh);
}

}  // namespace
}  // namespace vitrine::testing
