// End to end through the real runtime: plugins, capabilities, egress over
// real TLS to the simulator, store, sanitizer and engine. Names cite the
// promise each test proves.
#include <gmock/gmock.h>

#include <ctime>

#include "host_fixture.h"
#include "license/license.h"
#include "render/warm_batch.h"

using ::testing::HasSubstr;
using ::testing::Not;
using vitrine::render::MacroState;

namespace vitrine::testing {
namespace {

const char* kAllMacros = R"(# Checkout service

```dashboard
dashboard: svc-checkout
```

```alert-list
max_items: 20
```

```annotation-timeline
dashboard_uid: svc-checkout
from: 2024-05-27T00:00:00Z
to: 2024-06-04T00:00:00Z
```

```panel-image
dashboard_uid: svc-checkout
panel_id: 2
width: 400
height: 200
from: 2024-06-03T00:00:00Z
to: 2024-06-03T06:00:00Z
```
)";

class PageRender : public HostFixture {};

render::MacroCall macro(std::string key, std::map<std::string, std::string> params = {},
                        std::string space = "demo") {
  render::MacroCall c;
  c.space = std::move(space);
  c.page_id = "p";
  c.macro_key = std::move(key);
  c.params = std::move(params);
  c.time_from = "2024-05-27T00:00:00Z";
  c.time_to = "2024-06-04T00:00:00Z";
  return c;
}

store::ConnectRequest origin(std::string o) {
  store::ConnectRequest r;
  r.origin = std::move(o);
  return r;
}

TEST_F(PageRender, AllFourMacrosRenderThroughRealTls) {
  render::PageOutcome out;
  std::string html = page(kAllMacros, &out);
  ASSERT_EQ(out.macros.size(), 4u);
  for (const auto& m : out.macros) {
    EXPECT_EQ(m.state, MacroState::fresh) << m.plugin_id << ": " << m.error;
  }
  EXPECT_THAT(html, HasSubstr("<h1>Checkout service</h1>"));
  EXPECT_THAT(html, HasSubstr("vitrine-macro"));
  EXPECT_THAT(html, HasSubstr("<svg"));                 // the timeline
  EXPECT_THAT(html, HasSubstr("src=\"/assets/demo/"));  // the panel image, as a host asset
  EXPECT_THAT(html, HasSubstr("as of"));                // the plugins' own notice
}

TEST_F(PageRender, P4_TokenNeverReachesPageCacheOrAudit) {
  std::string html = page(kAllMacros);
  EXPECT_THAT(html, Not(HasSubstr(token_)));
  auto rows = rt_->store().audit().query({});
  ASSERT_TRUE(rows.ok());
  for (const auto& r : *rows) EXPECT_THAT(r.detail_json, Not(HasSubstr(token_)));
}

TEST_F(PageRender, P9_EveryUpstreamFetchIsAudited) {
  page(kAllMacros);
  store::AuditQuery q;
  q.space = "demo";
  auto rows = rt_->store().audit().query(q);
  ASSERT_TRUE(rows.ok());
  int egress = 0;
  for (const auto& r : *rows) egress += r.action == "egress.fetch" ? 1 : 0;
  EXPECT_GE(egress, 4);
}

TEST_F(PageRender, SecondViewIsServedFromCacheWithoutUpstreamRequests) {
  page(kAllMacros);
  auto before = sim_->context().counters.snapshot();
  render::PageOutcome out;
  page(kAllMacros, &out);
  for (const auto& m : out.macros) EXPECT_EQ(m.state, MacroState::cached) << m.plugin_id;
  EXPECT_EQ(sim_->context().counters.snapshot(), before);
}

TEST_F(PageRender, P8_OneFailingMacroNeverFailsThePage) {
  const std::string md = std::string(kAllMacros) + "\n```dashboard\ndashboard: no-such-uid\n```\n";
  render::PageOutcome out;
  std::string html = page(md, &out);
  ASSERT_EQ(out.macros.size(), 5u);
  EXPECT_EQ(out.macros[4].state, MacroState::error);
  EXPECT_THAT(html, HasSubstr("vitrine-error"));
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(out.macros[i].state, MacroState::fresh);
}

TEST_F(PageRender, P8_GrafanaDownServesLastGoodContentMarkedStale) {
  // Cap cache freshness at 1 s so the entry goes stale within the test.
  render::EngineOptions eo;
  eo.max_cache_ttl_s = 1;
  engine_ = std::make_unique<render::Engine>(*rt_, eo);
  render::MacroCall call = macro("dashboard", {{"dashboard", "svc-checkout"}});
  auto good = engine_->render_macro(call);
  ASSERT_EQ(good.state, MacroState::fresh) << good.error;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  sim::FaultRule down;
  down.mode = sim::FaultMode::kError;
  down.status = 500;
  sim_->context().faults.add(down);
  auto stale = engine_->render_macro(call);
  EXPECT_EQ(stale.state, MacroState::stale);
  EXPECT_THAT(stale.html, HasSubstr("vitrine-stale"));
  EXPECT_THAT(stale.html, HasSubstr("Checkout"));  // the last good content itself
  engine_->drain();  // the background refresh failed; the stale content must survive it
  auto again = engine_->render_macro(call);
  EXPECT_EQ(again.state, MacroState::stale);
}

TEST_F(PageRender, P8_StaleRefreshBacksOffWhileGrafanaFails) {
  render::EngineOptions eo;
  eo.max_cache_ttl_s = 1;
  engine_ = std::make_unique<render::Engine>(*rt_, eo);
  render::MacroCall call = macro("dashboard", {{"dashboard", "svc-checkout"}});
  ASSERT_EQ(engine_->render_macro(call).state, MacroState::fresh);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  sim::FaultRule down;
  down.mode = sim::FaultMode::kError;
  down.status = 500;
  sim_->context().faults.add(down);
  sim_->context().counters.reset();
  // Twenty views while Grafana fails: every one gets the last good content
  // at once, and Grafana is asked once, not on every view.
  for (int i = 0; i < 20; ++i) {
    auto out = engine_->render_macro(call);
    ASSERT_EQ(out.state, MacroState::stale) << i;
    EXPECT_THAT(out.html, HasSubstr("Checkout"));
    engine_->drain();  // let each refresh finish (and fail) before the next view
    if (i > 0) {
      EXPECT_THAT(out.html, HasSubstr("the last refresh failed: ")) << i;
    }
  }
  EXPECT_EQ(sim_->context().counters.get("/api/dashboards/uid/svc-checkout"), 1u);
}

TEST_F(PageRender, UF9_TwoMacrosOfOneDashboardShareARequestAndRefreshAllAsksAgainOnce) {
  render::MacroCall card = macro("dashboard", {{"dashboard", "svc-checkout"}});
  render::MacroCall compact =
      macro("dashboard", {{"dashboard", "svc-checkout"}, {"variant", "compact"}});
  sim_->context().counters.reset();
  // Cold, one after the other: the compact view starts after the card's
  // response arrived and is answered by it.
  ASSERT_EQ(engine_->render_macro(card).state, MacroState::fresh);
  ASSERT_EQ(engine_->render_macro(compact).state, MacroState::fresh);
  EXPECT_EQ(sim_->context().counters.get("/api/dashboards/uid/svc-checkout"), 1u);

  // "Refresh all" in batches of one: Grafana is asked again (a refresh is
  // never answered by a response from before it began), once for both.
  const std::string page =
      "```dashboard\ndashboard: svc-checkout\n```\n"
      "```dashboard\ndashboard: svc-checkout\nvariant: compact\n```\n";
  std::vector<render::RefreshFailure> invalid;
  auto items = render::refresh_calls(page, card, {"dashboard"}, invalid);
  ASSERT_EQ(items.size(), 2u);
  auto report = render::refresh_in_batches(
      items, 1, [&](const render::MacroCall& c) { return engine_->render_macro(c); }, invalid);
  EXPECT_EQ(report.refreshed, 2u);
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(sim_->context().counters.get("/api/dashboards/uid/svc-checkout"), 2u);
}

TEST_F(PageRender, P6_SameGrafanaOriginStillKeepsSpacesApartInMemory) {
  // "other" points at the very same Grafana origin but has no token: only
  // the space part of the in-memory key tells the two apart.
  render::MacroCall call = macro("dashboard", {{"dashboard", "svc-checkout"}});
  ASSERT_EQ(engine_->render_macro(call).state, MacroState::fresh);
  auto& st = rt_->store();
  ASSERT_TRUE(st.spaces().create("admin", "other", "Other").ok());
  ASSERT_TRUE(st.spaces().connect("admin", "other", origin("https://demo.grafana.net")).ok());
  ASSERT_TRUE(st.approvals().enable("admin", "other", "dashboard").ok());
  call.space = "other";
  auto out = engine_->render_macro(call);
  EXPECT_EQ(out.state, MacroState::error);
  EXPECT_THAT(out.html, Not(HasSubstr("Checkout")));
}

TEST_F(PageRender, DisablingAPluginAppliesToTheVeryNextView) {
  render::MacroCall call = macro("dashboard", {{"dashboard", "svc-checkout"}});
  ASSERT_EQ(engine_->render_macro(call).state, MacroState::fresh);
  ASSERT_EQ(engine_->render_macro(call).state, MacroState::cached);
  ASSERT_TRUE(rt_->store().approvals().disable("admin", "demo", "dashboard").ok());
  auto out = engine_->render_macro(call);
  EXPECT_EQ(out.state, MacroState::error);
  EXPECT_EQ(out.rule, "plugin-not-enabled");
}

TEST_F(PageRender, ADisableByAnotherProcessAppliesWithinOneSecond) {
  render::MacroCall call = macro("dashboard", {{"dashboard", "svc-checkout"}});
  ASSERT_EQ(engine_->render_macro(call).state, MacroState::fresh);
  {
    // A second store on the same database, as the CLI opens it.
    store::StoreOptions so;
    so.data_dir = config_.data_dir;
    so.keyring = *store::crypto::Keyring::load(std::nullopt);
    auto cli = store::Store::open(std::move(so));
    ASSERT_TRUE(cli.ok()) << cli.error().message;
    ASSERT_TRUE((*cli)->approvals().disable("cli", "demo", "dashboard").ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(engine_->render_macro(call).rule, "plugin-not-enabled");
}

TEST_F(PageRender, SecondViewIsServedFromTheStoreWhenTheMemoryLayerIsOff) {
  render::EngineOptions eo;
  eo.memory_cache_bytes = 0;
  engine_ = std::make_unique<render::Engine>(*rt_, eo);
  page(kAllMacros);
  auto before = sim_->context().counters.snapshot();
  render::PageOutcome out;
  page(kAllMacros, &out);
  for (const auto& m : out.macros) EXPECT_EQ(m.state, MacroState::cached) << m.plugin_id;
  EXPECT_EQ(sim_->context().counters.snapshot(), before);
}

double page_cache(runtime::Runtime& rt, const char* result) {
  return rt.metrics().counter("vitrine_page_cache_total", "", {{"result", result}}).value();
}

TEST_F(PageRender, PageCacheAnswersARepeatViewWhole) {
  page(kAllMacros);
  render::PageOutcome out;
  const std::string again = page(kAllMacros, &out);
  EXPECT_EQ(page_cache(*rt_, "hit"), 1.0);
  for (const auto& m : out.macros) EXPECT_EQ(m.state, MacroState::cached) << m.plugin_id;
  EXPECT_THAT(again, HasSubstr("Checkout"));
}

TEST_F(PageRender, PageCacheIsKeyedByViewOptions) {
  page(kAllMacros);
  render::MacroCall dark;
  dark.theme = "dark";
  dark.time_from = "2024-05-27T00:00:00Z";
  dark.time_to = "2024-06-04T00:00:00Z";
  auto p = engine_->render_page("demo", "test", kAllMacros, dark);
  EXPECT_EQ(page_cache(*rt_, "hit"), 0.0);
  for (const auto& m : p->macros) EXPECT_EQ(m.state, MacroState::fresh) << m.plugin_id;
}

TEST_F(PageRender, DisablingAPluginAppliesToTheVeryNextPageView) {
  page(kAllMacros);
  page(kAllMacros);
  ASSERT_EQ(page_cache(*rt_, "hit"), 1.0);
  ASSERT_TRUE(rt_->store().approvals().disable("admin", "demo", "dashboard").ok());
  render::PageOutcome out;
  page(kAllMacros, &out);
  EXPECT_EQ(out.macros[0].rule, "plugin-not-enabled");
  EXPECT_EQ(page_cache(*rt_, "hit"), 1.0);
}

TEST_F(PageRender, P8_PageCacheNeverHidesStaleContent) {
  render::EngineOptions eo;
  eo.max_cache_ttl_s = 1;
  engine_ = std::make_unique<render::Engine>(*rt_, eo);
  page(kAllMacros);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  sim::FaultRule down;
  down.mode = sim::FaultMode::kError;
  down.status = 500;
  sim_->context().faults.add(down);
  render::PageOutcome out;
  const std::string html = page(kAllMacros, &out);
  for (const auto& m : out.macros) EXPECT_EQ(m.state, MacroState::stale) << m.plugin_id;
  EXPECT_THAT(html, HasSubstr("vitrine-stale"));
}

TEST_F(PageRender, P6_AnotherSpaceCannotUseThisSpacesCacheOrToken) {
  page(kAllMacros);
  auto& st = rt_->store();
  ASSERT_TRUE(st.spaces().create("admin", "other", "Other").ok());
  ASSERT_TRUE(st.spaces().connect("admin", "other", origin("https://other.grafana.net")).ok());
  for (const auto& p : rt_->plugins()) {
    if (p.running) {
      ASSERT_TRUE(st.approvals().enable("admin", "other", p.manifest.id).ok());
    }
  }
  auto before = sim_->context().counters.snapshot();
  render::MacroCall call = macro("dashboard", {{"dashboard", "svc-checkout"}}, "other");
  auto out = engine_->render_macro(call);
  // No token for "other": Grafana refuses, and nothing cached for "demo" leaks.
  EXPECT_EQ(out.state, MacroState::error);
  EXPECT_THAT(out.error, HasSubstr("token"));
  EXPECT_NE(sim_->context().counters.snapshot(), before);  // it really asked, unauthenticated
}

TEST_F(PageRender, PluginNotEnabledInSpaceRendersAClearError) {
  ASSERT_TRUE(rt_->store().approvals().disable("admin", "demo", "dashboard").ok());
  auto out = engine_->render_macro(macro("dashboard", {{"dashboard", "svc-checkout"}}));
  EXPECT_EQ(out.state, MacroState::error);
  EXPECT_EQ(out.rule, "plugin-not-enabled");
}

TEST_F(PageRender, UnlicensedBadgeShowsNotLicensed) {
  auto out = engine_->render_macro(macro("alert-badge"));
  EXPECT_EQ(out.state, MacroState::error);
  EXPECT_EQ(out.rule, "not-licensed");
  EXPECT_THAT(out.html, HasSubstr("not licensed"));
}

// A badge page is answered from the page cache like any other (a gated
// macro used to keep its page out of it: one render path per view), yet
// every view still asks the license: one withdrawn while the page is cached
// shows at the very next view.
TEST_F(PageRender, P9_ABadgePageIsCachedWholeAndStillAsksTheLicenseEveryView) {
  license::License l;
  l.license_id = "L-1";
  l.licensee = "Acme";
  l.features = {"alert-badges"};
  l.expires = std::time(nullptr) + 3600;
  rt_->license().install(l);
  const std::string badge = "```alert-badge\nseverity: critical\n```\n";
  render::PageOutcome first, second, third;
  page(badge, &first);
  ASSERT_EQ(first.macros.size(), 1u);
  ASSERT_NE(first.macros[0].state, MacroState::error) << first.macros[0].error;
  auto hits = [&] {
    return rt_->metrics().counter("vitrine_page_cache_total", "", {{"result", "hit"}}).value();
  };
  const double before = hits();
  page(badge, &second);
  EXPECT_EQ(hits(), before + 1) << "the badge page was not answered from the page cache";
  EXPECT_NE(second.macros[0].state, MacroState::error);
  l.features = {};
  rt_->license().install(l);  // the feature is gone; the page is still cached
  page(badge, &third);
  EXPECT_EQ(third.macros[0].rule, "not-licensed") << "a cached page hid a withdrawn license";
}

TEST_F(PageRender, ConcurrentColdRequestsCoalesceUpstream) {
  sim_->context().counters.reset();
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      engine_->render_macro(macro("dashboard", {{"dashboard", "svc-checkout"}}));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(sim_->context().counters.get("/api/dashboards/uid/svc-checkout"), 1u);
}

// Two different macros (two cache entries, two renders) that fetch one
// upstream resource at the same time make one request
// (egress/client/single_flight.h UF-3). Grafana answers after 500 ms, and
// the second macro starts only once the first one's request reached it.
TEST_F(PageRender, UF3_TwoMacrosFetchingOneResourceMakeOneUpstreamRequest) {
  sim::FaultRule slow;
  slow.mode = sim::FaultMode::kLatency;
  slow.paths = {"/api/dashboards/uid/svc-checkout"};
  slow.latency_ms = 500;
  sim_->context().faults.add(slow);
  sim_->context().counters.reset();
  render::MacroOutcome card, compact;
  std::thread first([&] {
    card = engine_->render_macro(macro("dashboard", {{"dashboard", "svc-checkout"}}));
  });
  for (int i = 0; i < 1000 && sim_->context().counters.get("/api/dashboards/uid/svc-checkout") == 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  compact = engine_->render_macro(
      macro("dashboard", {{"dashboard", "svc-checkout"}, {"variant", "compact"}}));
  first.join();
  EXPECT_EQ(card.state, MacroState::fresh) << card.error;
  EXPECT_EQ(compact.state, MacroState::fresh) << compact.error;
  EXPECT_EQ(sim_->context().counters.get("/api/dashboards/uid/svc-checkout"), 1u);
}

TEST_F(PageRender, TestConnectionUsesTheSpaceToken) {
  auto ok = rt_->test_connection("admin", "demo");
  EXPECT_TRUE(ok.ok) << ok.message;
  ASSERT_TRUE(rt_->store().spaces().revoke_token("admin", "demo").ok());
  auto refused = rt_->test_connection("admin", "demo");
  EXPECT_FALSE(refused.ok);
  EXPECT_THAT(refused.message, HasSubstr("refused the space's token"));
}

}  // namespace
}  // namespace vitrine::testing

namespace vitrine::testing {
namespace {

class WorkerMode : public HostFixture {};

TEST_F(WorkerMode, AllFourMacrosRenderInIsolatedWorkers) {
  config_.worker_path = VITRINE_WORKER_PATH;
  reopen("worker");
  ASSERT_STREQ(rt_->runner().mode(), "worker");
  render::PageOutcome out;
  std::string html = page(kAllMacros, &out);
  ASSERT_EQ(out.macros.size(), 4u);
  for (const auto& m : out.macros) {
    EXPECT_EQ(m.state, MacroState::fresh) << m.plugin_id << ": " << m.error;
  }
  EXPECT_THAT(html, HasSubstr("src=\"/assets/demo/"));
  EXPECT_THAT(html, Not(HasSubstr(token_)));
}

}  // namespace
}  // namespace vitrine::testing
