// Every fault mode, its admin API, and the per-path counters.
#include <Poco/Exception.h>
#include <gtest/gtest.h>

#include <chrono>

#include "admin_api.h"
#include "panel_painter.h"
#include "png_inspect.h"
#include "sim_client.h"
#include "token.h"

namespace vitrine::sim {
namespace {

using test::admin_request;
using test::https_get;

class SimFaults : public ::testing::Test {
 protected:
  void SetUp() override { handle_ = test::start_sim(); }
  const Simulator& sim() const { return *handle_->sim; }
  void set_fault(const std::string& json) {
    const auto r = admin_request(sim(), "PUT", "/faults", json);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::unique_ptr<test::SimHandle> handle_;
};

long long elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

TEST_F(SimFaults, Latency) {
  set_fault(R"({"mode":"latency","latency_ms":150,"paths":"/api/search"})");
  auto t = std::chrono::steady_clock::now();
  EXPECT_EQ(https_get(sim(), "/api/search").status, 200);
  EXPECT_GE(elapsed_ms(t), 150);
  t = std::chrono::steady_clock::now();
  EXPECT_EQ(https_get(sim(), "/api/folders").status, 200);
  EXPECT_LT(elapsed_ms(t), 150) << "other paths are not delayed";
}

TEST_F(SimFaults, ErrorGivesGrafanaHtmlPage) {
  set_fault(R"({"mode":"error"})");
  const auto r = https_get(sim(), "/api/folders");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.content_type.find("text/html"), std::string::npos);
  EXPECT_NE(r.body.find("<title>Grafana - Error</title>"), std::string::npos);
}

TEST_F(SimFaults, GatewayErrorGivesNginxPage) {
  set_fault(R"({"mode":"error","status":502})");
  const auto r = https_get(sim(), "/api/folders");
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(r.body.find("<center>nginx</center>"), std::string::npos);
}

TEST_F(SimFaults, ErrorRateIsDeterministicPerSeed) {
  const auto run = [&] {
    set_fault(R"({"mode":"error-rate","rate":0.5,"seed":42})");
    std::string pattern;
    for (int i = 0; i < 16; ++i)
      pattern += https_get(sim(), "/api/folders").status == 500 ? 'E' : '.';
    return pattern;
  };
  const auto first = run();
  EXPECT_EQ(first, run());
  EXPECT_NE(first.find('E'), std::string::npos);
  EXPECT_NE(first.find('.'), std::string::npos);
}

TEST_F(SimFaults, TruncatedJsonIsCompleteHttpButInvalidJson) {
  set_fault(R"({"mode":"truncated"})");
  const auto r = https_get(sim(), "/api/search");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(static_cast<long long>(r.body.size()), r.content_length);
  EXPECT_THROW(test::parse_array(r.body), Poco::Exception);
}

TEST_F(SimFaults, OversizedBodyIsStreamedToTheAnnouncedSize) {
  set_fault(R"({"mode":"oversized","size_bytes":4194304})");
  const auto r = https_get(sim(), "/api/annotations");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_length, 4194304);
  EXPECT_EQ(r.body.size(), 4194304U);
}

TEST_F(SimFaults, SlowDripDeliversTheBodyOneByteAtATime) {
  set_fault(R"({"mode":"slow-drip","drip_ms":5,"paths":"/api/health"})");
  const auto t = std::chrono::steady_clock::now();
  const auto r = https_get(sim(), "/api/health", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_NO_THROW(test::parse_object(r.body));
  EXPECT_GE(elapsed_ms(t), static_cast<long long>(r.body.size()) * 5 * 8 / 10);
}

TEST_F(SimFaults, ResetClosesWithoutResponse) {
  set_fault(R"({"mode":"reset","paths":["/api/search"]})");
  EXPECT_ANY_THROW(https_get(sim(), "/api/search"));
  EXPECT_EQ(https_get(sim(), "/api/folders").status, 200) << "server survives";
}

TEST_F(SimFaults, RendererMissingServesPlaceholderPng) {
  set_fault(R"({"mode":"renderer-missing"})");
  const auto r = https_get(sim(), "/render/d-solo/svc-checkout/x?panelId=2&width=300&height=100");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "image/png");
  const auto info = test::inspect_png(r.body);
  ASSERT_TRUE(info.ok) << info.error;
  EXPECT_EQ(info.width, static_cast<unsigned>(kPlaceholderWidth)) << "ignores the requested size";
  EXPECT_EQ(info.height, static_cast<unsigned>(kPlaceholderHeight));
  EXPECT_EQ(https_get(sim(), "/api/folders").status, 200) << "render faults leave the API alone";
}

TEST_F(SimFaults, RenderTooManyRequests) {
  set_fault(R"({"mode":"render-429"})");
  const auto r = https_get(sim(), "/render/d-solo/svc-checkout/x?panelId=2");
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("Too many rendering requests"), std::string::npos);
}

TEST_F(SimFaults, RenderFailedHtml) {
  set_fault(R"({"mode":"render-500"})");
  const auto r = https_get(sim(), "/render/d/svc-checkout/x");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("Rendering failed."), std::string::npos);
}

TEST_F(SimFaults, RenderFaultsStillRequireLogin) {
  set_fault(R"({"mode":"renderer-missing"})");
  EXPECT_EQ(https_get(sim(), "/render/d-solo/svc-checkout/x?panelId=2", "").status, 302);
}

TEST_F(SimFaults, AdminListsAndClearsFaults) {
  ASSERT_EQ(admin_request(sim(), "POST", "/faults", R"({"mode":"latency","latency_ms":1})").status,
            201);
  ASSERT_EQ(admin_request(sim(), "POST", "/faults", R"({"mode":"error","paths":"/x"})").status,
            201);
  EXPECT_EQ(test::parse_array(admin_request(sim(), "GET", "/faults").body)->size(), 2U);
  EXPECT_EQ(admin_request(sim(), "DELETE", "/faults").status, 200);
  EXPECT_EQ(test::parse_array(admin_request(sim(), "GET", "/faults").body)->size(), 0U);
  const auto bad = admin_request(sim(), "POST", "/faults", R"({"mode":"explode"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("unknown fault mode"), std::string::npos);
}

TEST_F(SimFaults, CountersCountEveryRequestIncludingFaultedOnes) {
  ASSERT_EQ(admin_request(sim(), "POST", "/counters/reset").status, 200);
  https_get(sim(), "/api/search");
  https_get(sim(), "/api/search", "");  // unauthorized
  set_fault(R"({"mode":"error","paths":"/api/search"})");
  https_get(sim(), "/api/search");
  https_get(sim(), "/api/folders");
  const auto counters = test::parse_object(admin_request(sim(), "GET", "/counters").body);
  EXPECT_EQ(counters->getValue<int>("/api/search"), 3);
  EXPECT_EQ(counters->getValue<int>("/api/folders"), 1);
  EXPECT_EQ(handle_->sim->context().counters.get("/api/search"), 3U);
  ASSERT_EQ(admin_request(sim(), "POST", "/counters/reset").status, 200);
  EXPECT_EQ(test::parse_object(admin_request(sim(), "GET", "/counters").body)->size(), 0U);
}

TEST_F(SimFaults, TokensCanBeAddedAndRevoked) {
  const auto extra = token_from_seed("rotated");
  EXPECT_EQ(https_get(sim(), "/api/folders", extra).status, 401);
  ASSERT_EQ(admin_request(sim(), "POST", "/tokens", "{\"add\":\"" + extra + "\"}").status, 200);
  EXPECT_EQ(https_get(sim(), "/api/folders", extra).status, 200);
  ASSERT_EQ(admin_request(sim(), "POST", "/tokens", "{\"revoke\":\"" + extra + "\"}").status, 200);
  EXPECT_EQ(https_get(sim(), "/api/folders", extra).status, 401);
  EXPECT_EQ(admin_request(sim(), "POST", "/tokens", R"({"add":"glsa_bad"})").status, 400);
  const auto listing = admin_request(sim(), "GET", "/tokens").body;
  EXPECT_EQ(listing.find("glsa_"), std::string::npos) << "tokens are never echoed";
}

TEST(SimFaultRules, ParsesPathsAsStringOrArray) {
  EXPECT_EQ(fault_rule_from_json(R"({"mode":"error","paths":"/a, /b"})").paths.size(), 2U);
  EXPECT_EQ(fault_rule_from_json(R"({"mode":"error","paths":["/a"]})").paths.size(), 1U);
  EXPECT_DOUBLE_EQ(fault_rule_from_json(R"({"mode":"error-rate"})").rate, 0.5);
  EXPECT_THROW(fault_rule_from_json(R"({"mode":"error","rate":2})"), std::invalid_argument);
  EXPECT_THROW(fault_rule_from_json(R"({"latency_ms":5})"), std::invalid_argument);
}

}  // namespace
}  // namespace vitrine::sim
