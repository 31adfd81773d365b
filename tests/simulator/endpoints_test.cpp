// Response shapes of every simulated endpoint, and Grafana's auth answers.
#include <gtest/gtest.h>

#include <set>

#include "sim_client.h"
#include "token.h"

namespace vitrine::sim {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using test::https_get;
using test::https_request;
using test::parse_array;
using test::parse_object;

class SimEndpoints : public ::testing::Test {
 protected:
  void SetUp() override { handle_ = test::start_sim(); }
  const Simulator& sim() const { return *handle_->sim; }
  std::unique_ptr<test::SimHandle> handle_;
};

Object::Ptr find_panel(const Array::Ptr& panels, long long id) {
  for (std::size_t i = 0; panels && i < panels->size(); ++i) {
    const auto p = panels->getObject(static_cast<unsigned>(i));
    if (p->optValue<Poco::Int64>("id", -1) == id) return p;
  }
  return nullptr;
}

TEST_F(SimEndpoints, HealthNeedsNoAuthAndLooksLikeGrafana) {
  const auto r = https_get(sim(), "/api/health", "");
  ASSERT_EQ(r.status, 200);
  const auto obj = parse_object(r.body);
  EXPECT_EQ(obj->getValue<std::string>("database"), "ok");
  EXPECT_TRUE(obj->has("commit"));
  EXPECT_EQ(obj->getValue<std::string>("version").substr(0, 3), "11.");
}

TEST_F(SimEndpoints, MissingTokenGets401UnauthorizedShape) {
  const auto r = https_get(sim(), "/api/search", "");
  ASSERT_EQ(r.status, 401);
  const auto obj = parse_object(r.body);
  EXPECT_EQ(obj->getValue<std::string>("message"), "Unauthorized");
  EXPECT_EQ(obj->getValue<std::string>("messageId"), "auth.unauthorized");
  EXPECT_EQ(obj->getValue<int>("statusCode"), 401);
  EXPECT_EQ(obj->getValue<std::string>("traceID"), "");
}

TEST_F(SimEndpoints, WellFormedButUnknownTokenGetsInvalidApiKey) {
  const auto r = https_get(sim(), "/api/search", token_from_seed("not-registered"));
  ASSERT_EQ(r.status, 401);
  const auto obj = parse_object(r.body);
  EXPECT_EQ(obj->getValue<std::string>("message"), "Invalid API key");
  EXPECT_EQ(obj->getValue<std::string>("messageId"), "api-key.invalid");
}

TEST_F(SimEndpoints, BadChecksumTokenGetsInvalidApiKey) {
  auto token = test::test_token();
  token.back() = token.back() == '0' ? '1' : '0';
  EXPECT_EQ(https_get(sim(), "/api/folders", token).status, 401);
}

TEST_F(SimEndpoints, NonGetMethodsGet405) {
  for (const char* m : {"POST", "PUT", "DELETE", "PATCH"}) {
    const auto r = https_request(sim(), "/api/search", test::test_token(), m);
    EXPECT_EQ(r.status, 405) << m;
    EXPECT_EQ(parse_object(r.body)->getValue<std::string>("message"), "Method Not Allowed");
  }
}

TEST_F(SimEndpoints, UnknownApiPathIs404Json) {
  const auto r = https_get(sim(), "/api/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(parse_object(r.body)->getValue<std::string>("message"), "Not found");
}

TEST_F(SimEndpoints, SearchListsDashboardsWithFolderFields) {
  const auto r = https_get(sim(), "/api/search?type=dash-db");
  ASSERT_EQ(r.status, 200);
  const auto hits = parse_array(r.body);
  ASSERT_GE(hits->size(), 3U);
  bool general_seen = false;
  for (std::size_t i = 0; i < hits->size(); ++i) {
    const auto h = hits->getObject(static_cast<unsigned>(i));
    EXPECT_EQ(h->getValue<std::string>("type"), "dash-db");
    EXPECT_TRUE(h->has("uid") && h->has("url") && h->has("tags"));
    if (h->getValue<std::string>("uid") == "general-home") {
      general_seen = true;
      EXPECT_FALSE(h->has("folderUid")) << "General dashboards carry no folder fields";
    }
  }
  EXPECT_TRUE(general_seen);
}

TEST_F(SimEndpoints, SearchFilters) {
  EXPECT_EQ(parse_array(https_get(sim(), "/api/search?type=dash-folder").body)->size(), 2U);
  const auto by_tag = parse_array(https_get(sim(), "/api/search?tag=payments&tag=slo").body);
  ASSERT_EQ(by_tag->size(), 1U);
  EXPECT_EQ(by_tag->getObject(0)->getValue<std::string>("uid"), "svc-checkout");
  const auto by_folder = parse_array(https_get(sim(), "/api/search?folderUIDs=fld-platform").body);
  for (std::size_t i = 0; i < by_folder->size(); ++i) {
    EXPECT_EQ(by_folder->getObject(static_cast<unsigned>(i))->getValue<std::string>("folderUid"),
              "fld-platform");
  }
  EXPECT_EQ(by_folder->size(), 2U);
  EXPECT_EQ(parse_array(https_get(sim(), "/api/search?query=NODE&type=dash-db").body)->size(), 1U);
  EXPECT_EQ(parse_array(https_get(sim(), "/api/search?limit=1").body)->size(), 1U);
}

TEST_F(SimEndpoints, FoldersListIdUidTitle) {
  const auto folders = parse_array(https_get(sim(), "/api/folders").body);
  ASSERT_EQ(folders->size(), 2U);
  const auto f = folders->getObject(0);
  EXPECT_TRUE(f->has("id") && f->has("uid") && f->has("title"));
}

TEST_F(SimEndpoints, DashboardHasExpandedCollapsedRowsUntitledAndDuplicateIds) {
  const auto r = https_get(sim(), "/api/dashboards/uid/svc-checkout");
  ASSERT_EQ(r.status, 200);
  const auto body = parse_object(r.body);
  const auto meta = body->getObject("meta");
  EXPECT_EQ(meta->getValue<std::string>("folderUid"), "fld-payments");
  EXPECT_EQ(meta->getValue<std::string>("url"), "/d/svc-checkout/checkout-service");
  const auto panels = body->getObject("dashboard")->getArray("panels");
  const auto expanded = find_panel(panels, 1);
  ASSERT_TRUE(expanded);
  EXPECT_EQ(expanded->getValue<std::string>("type"), "row");
  EXPECT_FALSE(expanded->getValue<bool>("collapsed"));
  EXPECT_EQ(expanded->getArray("panels")->size(), 0U);
  const auto collapsed = find_panel(panels, 6);
  ASSERT_TRUE(collapsed);
  EXPECT_TRUE(collapsed->getValue<bool>("collapsed"));
  EXPECT_TRUE(find_panel(collapsed->getArray("panels"), 7)) << "children live inside the row";
  EXPECT_FALSE(find_panel(panels, 7));
  EXPECT_EQ(find_panel(panels, 4)->getValue<std::string>("title"), "");
  EXPECT_FALSE(find_panel(panels, 5)->has("title"));
  int threes = 0;
  for (std::size_t i = 0; i < panels->size(); ++i) {
    threes += panels->getObject(static_cast<unsigned>(i))->getValue<int>("id") == 3 ? 1 : 0;
  }
  EXPECT_EQ(threes, 2) << "duplicate panel ids exist in real dashboards";
}

TEST_F(SimEndpoints, DashboardHasRepeatedRowsAndPanels) {
  const auto body = parse_object(https_get(sim(), "/api/dashboards/uid/node-overview").body);
  const auto panels = body->getObject("dashboard")->getArray("panels");
  EXPECT_EQ(find_panel(panels, 1)->getValue<std::string>("repeat"), "instance");
  const auto repeated = find_panel(panels, 4);
  EXPECT_EQ(repeated->getValue<std::string>("repeat"), "pod");
  EXPECT_EQ(repeated->getValue<std::string>("repeatDirection"), "h");
  EXPECT_EQ(find_panel(panels, 5)->getValue<int>("repeatPanelId"), 4);
}

TEST_F(SimEndpoints, UnknownDashboardIs404) {
  const auto r = https_get(sim(), "/api/dashboards/uid/does-not-exist");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(parse_object(r.body)->getValue<std::string>("message"), "Dashboard not found");
}

std::vector<Object::Ptr> all_rules(const Object::Ptr& body) {
  std::vector<Object::Ptr> out;
  const auto groups = body->getObject("data")->getArray("groups");
  for (std::size_t g = 0; g < groups->size(); ++g) {
    const auto rules = groups->getObject(static_cast<unsigned>(g))->getArray("rules");
    for (std::size_t r = 0; r < rules->size(); ++r)
      out.push_back(rules->getObject(static_cast<unsigned>(r)));
  }
  return out;
}

TEST_F(SimEndpoints, RulesSeparateStateFromHealth) {
  const auto body = parse_object(https_get(sim(), "/api/prometheus/grafana/api/v1/rules").body);
  EXPECT_EQ(body->getValue<std::string>("status"), "success");
  EXPECT_EQ(body->getObject("data")->getArray("groups")->size(), 2U);
  const auto rules = all_rules(body);
  ASSERT_GE(rules.size(), 6U);
  const std::set<std::string> rule_states = {"inactive", "pending", "firing", "recovering"};
  std::set<std::string> healths, instance_states;
  bool zero_active_at = false;
  for (const auto& rule : rules) {
    EXPECT_EQ(rule_states.count(rule->getValue<std::string>("state")), 1U)
        << rule->getValue<std::string>("name");
    healths.insert(rule->getValue<std::string>("health"));
    EXPECT_TRUE(rule->getObject("labels")->has("severity"));
    EXPECT_TRUE(rule->getObject("labels")->has("team"));
    EXPECT_TRUE(rule->getObject("annotations")->has("summary"));
    const auto alerts = rule->getArray("alerts");
    for (std::size_t i = 0; alerts && i < alerts->size(); ++i) {
      const auto a = alerts->getObject(static_cast<unsigned>(i));
      instance_states.insert(a->getValue<std::string>("state"));
      if (a->getValue<std::string>("state") == "Normal") {
        EXPECT_EQ(a->getValue<std::string>("activeAt"), "0001-01-01T00:00:00Z");
        zero_active_at = true;
      }
    }
  }
  EXPECT_TRUE(zero_active_at);
  EXPECT_TRUE(healths.count("nodata") && healths.count("error") && healths.count("ok"));
  for (const char* s : {"NoData", "Alerting (NoData)", "Normal (NoData)", "Alerting (Error)",
                        "Alerting", "Pending", "Recovering"}) {
    EXPECT_EQ(instance_states.count(s), 1U) << s;
  }
}

TEST_F(SimEndpoints, RulesFilterByStateAndHealth) {
  const auto firing = all_rules(
      parse_object(https_get(sim(), "/api/prometheus/grafana/api/v1/rules?state=firing").body));
  ASSERT_FALSE(firing.empty());
  for (const auto& r : firing) EXPECT_EQ(r->getValue<std::string>("state"), "firing");
  const auto nodata = all_rules(
      parse_object(https_get(sim(), "/api/prometheus/grafana/api/v1/rules?health=nodata").body));
  ASSERT_FALSE(nodata.empty());
  for (const auto& r : nodata) EXPECT_EQ(r->getValue<std::string>("health"), "nodata");
  const auto bad = https_get(sim(), "/api/prometheus/grafana/api/v1/rules?state=bogus");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(parse_object(bad.body)->getValue<std::string>("errorType"), "bad_data");
}

TEST_F(SimEndpoints, PrometheusAlertsFlattenInstances) {
  const auto rules =
      all_rules(parse_object(https_get(sim(), "/api/prometheus/grafana/api/v1/rules").body));
  std::size_t instances = 0;
  for (const auto& r : rules)
    instances += r->getArray("alerts") ? r->getArray("alerts")->size() : 0;
  const auto body = parse_object(https_get(sim(), "/api/prometheus/grafana/api/v1/alerts").body);
  const auto alerts = body->getObject("data")->getArray("alerts");
  EXPECT_EQ(alerts->size(), instances);
  EXPECT_TRUE(alerts->getObject(0)->has("activeAt"));
}

TEST_F(SimEndpoints, AlertmanagerAlertsShapeAndFilters) {
  const auto all = parse_array(https_get(sim(), "/api/alertmanager/grafana/api/v2/alerts").body);
  ASSERT_GE(all->size(), 3U);
  for (std::size_t i = 0; i < all->size(); ++i) {
    const auto a = all->getObject(static_cast<unsigned>(i));
    for (const char* k : {"annotations", "endsAt", "fingerprint", "receivers", "startsAt", "status",
                          "updatedAt", "generatorURL", "labels"}) {
      EXPECT_TRUE(a->has(k)) << k;
    }
    const auto status = a->getObject("status");
    EXPECT_TRUE(status->has("inhibitedBy") && status->has("silencedBy") && status->has("state"));
  }
  const auto critical = parse_array(
      https_get(sim(), "/api/alertmanager/grafana/api/v2/alerts?filter=severity%3D%22critical%22")
          .body);
  ASSERT_FALSE(critical->empty());
  EXPECT_LT(critical->size(), all->size());
  const auto unsilenced =
      parse_array(https_get(sim(), "/api/alertmanager/grafana/api/v2/alerts?silenced=false").body);
  EXPECT_LT(unsilenced->size(), all->size());
}

TEST_F(SimEndpoints, AnnotationsCoverPointsRegionsAndOldRows) {
  const auto all = parse_array(https_get(sim(), "/api/annotations").body);
  ASSERT_GE(all->size(), 10U);
  bool point = false, region = false, no_end = false, zero_alert = false, alert = false;
  Poco::Int64 previous = INT64_MAX;
  for (std::size_t i = 0; i < all->size(); ++i) {
    const auto a = all->getObject(static_cast<unsigned>(i));
    const auto time = a->getValue<Poco::Int64>("time");
    EXPECT_LE(time, previous) << "newest first";
    previous = time;
    if (!a->has("timeEnd")) {
      no_end = true;
      zero_alert = zero_alert || (a->getValue<int>("alertId") == 0 &&
                                  a->getValue<std::string>("alertName").empty());
    } else if (a->getValue<Poco::Int64>("timeEnd") > time) {
      region = true;
    } else {
      point = true;
    }
    alert = alert || a->getValue<Poco::Int64>("alertId") > 0;
  }
  EXPECT_TRUE(point && region && no_end && zero_alert && alert);
}

TEST_F(SimEndpoints, AnnotationFilters) {
  const auto alerts = parse_array(https_get(sim(), "/api/annotations?type=alert").body);
  ASSERT_FALSE(alerts->empty());
  for (std::size_t i = 0; i < alerts->size(); ++i) {
    EXPECT_GT(alerts->getObject(static_cast<unsigned>(i))->getValue<int>("alertId"), 0);
  }
  const auto any = parse_array(
      https_get(sim(), "/api/annotations?tags=deploy&tags=incident&matchAny=true").body);
  const auto both =
      parse_array(https_get(sim(), "/api/annotations?tags=deploy&tags=incident").body);
  EXPECT_GT(any->size(), both->size());
  const auto panel =
      parse_array(https_get(sim(), "/api/annotations?dashboardUID=svc-checkout&panelId=2").body);
  ASSERT_FALSE(panel->empty());
  for (std::size_t i = 0; i < panel->size(); ++i) {
    EXPECT_EQ(panel->getObject(static_cast<unsigned>(i))->getValue<std::string>("dashboardUID"),
              "svc-checkout");
  }
  // A window that only overlaps the middle of region 105 still returns it.
  const auto window =
      parse_array(https_get(sim(), "/api/annotations?from=1717391000000&to=1717391100000").body);
  ASSERT_EQ(window->size(), 1U);
  EXPECT_EQ(window->getObject(0)->getValue<int>("id"), 105);
  EXPECT_EQ(parse_array(https_get(sim(), "/api/annotations?limit=2").body)->size(), 2U);
}

TEST(SimOlderStack, Version9OmitsNewerFieldsAndUsesOldErrorShape) {
  auto handle = test::start_sim(9);
  const auto& sim = *handle->sim;
  const auto health = parse_object(https_get(sim, "/api/health", "").body);
  EXPECT_EQ(health->getValue<std::string>("version").substr(0, 2), "9.");
  const auto rules = parse_object(https_get(sim, "/api/prometheus/grafana/api/v1/rules").body);
  const auto group = rules->getObject("data")->getArray("groups")->getObject(0);
  EXPECT_FALSE(group->has("folderUid"));
  const auto rule = group->getArray("rules")->getObject(0);
  EXPECT_FALSE(rule->has("isPaused"));
  EXPECT_FALSE(rule->has("folderUid"));
  EXPECT_FALSE(rule->has("uid"));
  EXPECT_TRUE(rule->has("health"));
  const auto unauth = https_get(sim, "/api/search", "");
  EXPECT_EQ(unauth.status, 401);
  EXPECT_EQ(unauth.body, "{\"message\":\"Unauthorized\"}");
}

}  // namespace
}  // namespace vitrine::sim
