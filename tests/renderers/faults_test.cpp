// P8: every macro against every fault mode gives a clear error and neither a
// crash nor partial HTML.
#include <gtest/gtest.h>

#include "cases.h"
#include "fake_host.h"

namespace vitrine::test {
namespace {

TEST(P8_FailSafe, EveryMacroAgainstEveryFaultGivesAClearErrorAndNoHtml) {
  for (const auto& c : macro_cases()) {
    for (const Fault f : all_faults()) {
      reset_fake();
      fake().fault = f;
      const Rendered r = render(c.plugin, c.macro, c.params);
      SCOPED_TRACE(c.macro + " / " + fault_name(f));
      EXPECT_NE(r.status, VITRINE_OK) << r.html;
      EXPECT_TRUE(r.html.empty()) << r.html;
      EXPECT_GT(r.error.size(), 20u) << r.error;
      EXPECT_LT(r.error.size(), 4096u);
      // The reason is plain text for the page author: no markup from Grafana.
      EXPECT_EQ(r.error.find('<'), std::string::npos) << r.error;
      EXPECT_TRUE(fake().scope_violations.empty());
    }
  }
}

TEST(P8_FailSafe, FaultMessagesSayWhatToDo) {
  struct Want {
    Fault fault;
    vitrine_status status;
    std::string text;
  };
  const std::vector<Want> wants = {
      {Fault::kDenied, VITRINE_E_DENIED, "egress-host-not-declared"},
      {Fault::kTimeout, VITRINE_E_TIMEOUT, "Grafana is not reachable"},
      {Fault::kUnavailable, VITRINE_E_UNAVAILABLE, "Grafana is not reachable"},
      {Fault::kHttp401, VITRINE_E_UPSTREAM,
       "the space's Grafana token was refused (HTTP 401); a space admin must set a valid token"},
      {Fault::kHttp403, VITRINE_E_UPSTREAM, "the space's Grafana token was refused (HTTP 403)"},
      {Fault::kHtml500, VITRINE_E_UPSTREAM, "server error (HTTP 500)"},
      {Fault::kHttp429, VITRINE_E_UPSTREAM, "HTTP 429"},
      {Fault::kLogin302, VITRINE_E_UPSTREAM, "login page"},
  };
  for (const auto& c : macro_cases()) {
    for (const auto& w : wants) {
      reset_fake();
      fake().fault = w.fault;
      const Rendered r = render(c.plugin, c.macro, c.params);
      SCOPED_TRACE(c.macro + " / " + fault_name(w.fault));
      EXPECT_EQ(r.status, w.status) << r.error;
      EXPECT_NE(r.error.find(w.text), std::string::npos) << r.error;
    }
  }
}

// The host owns staleness: it caches every good rendering and, when a
// refresh fails, serves that copy marked stale with its real "as of" time.
// It can only do so if the plugin reports the failure. A plugin that
// answered OK with old content would be cached as fresh, so a transient
// failure right after a good render must still be a failure with no HTML,
// and no plugin keeps content of its own through cache/1.
TEST(P8_FailSafe, TransientFailureAfterAGoodRenderIsReportedForTheHostToServeStale) {
  struct Transient {
    Fault fault;
    vitrine_status status;
    std::string text;
  };
  const std::vector<Transient> transients = {
      {Fault::kUnavailable, VITRINE_E_UNAVAILABLE, "Grafana is not reachable (connection refused)"},
      {Fault::kTimeout, VITRINE_E_TIMEOUT, "Grafana is not reachable: it did not answer in time"},
      {Fault::kHtml500, VITRINE_E_UPSTREAM, "Grafana answered with a server error (HTTP 500)"},
      {Fault::kHttp429, VITRINE_E_UPSTREAM, "Grafana is rate limiting requests (HTTP 429)"},
      {Fault::kProtocol, VITRINE_E_UPSTREAM, "Grafana's answer could not be used"},
  };
  for (const auto& c : macro_cases()) {
    for (const auto& t : transients) {
      SCOPED_TRACE(c.macro + " / " + fault_name(t.fault));
      reset_fake();
      const Rendered good = render(c.plugin, c.macro, c.params);
      ASSERT_EQ(good.status, VITRINE_OK) << good.error;
      ASSERT_FALSE(good.html.empty());
      const size_t asked = fake().urls.size();  // a macro may need several requests
      fake().fault = t.fault;
      const Rendered r = render(c.plugin, c.macro, c.params);
      EXPECT_EQ(r.status, t.status) << r.error;
      EXPECT_NE(r.error.find(t.text), std::string::npos) << r.error;
      EXPECT_TRUE(r.html.empty()) << r.html;
      EXPECT_EQ(r.ttl_s, 0u);
      EXPECT_GT(fake().urls.size(), asked);  // it really asked Grafana again
      EXPECT_TRUE(fake().cache_calls.empty())
          << "the plugin used cache/1: " << fake().cache_calls[0];
    }
  }
}

TEST(P8_FailSafe, DashboardNotFoundNamesTheUid) {
  reset_fake();
  fake().fault = Fault::kHttp404;
  const Rendered r = render("dashboard", "dashboard", {{"dashboard", "svc-checkout"}});
  EXPECT_EQ(r.status, VITRINE_E_NOT_FOUND);
  EXPECT_NE(r.error.find("dashboard UID 'svc-checkout' not found"), std::string::npos) << r.error;
}

TEST(P8_FailSafe, SpaceWithoutGrafanaUrlIsAClearError) {
  reset_fake();
  const Rendered r = render("dashboard", "dashboard", {{"dashboard", "svc-checkout"}}, "UTC", "");
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  EXPECT_NE(r.error.find("no valid Grafana URL"), std::string::npos) << r.error;
  EXPECT_TRUE(fake().urls.empty());
}

TEST(P4_TokensStayInTheHost, SecretLookingParametersAreRefusedBeforeAnyFetch) {
  const std::vector<std::string> secrets = {
      "glsa_AbCdEfGhIjKlMnOpQrStUvWxYz012345_1a2b3c4d",
      "Bearer abc.def.ghi",
      "eyJrIjoiT0tTcG1pUlY2RnVKZTFVaDFsNFZXdE9ZWmNrMkZYbk",
      "glc_eyJvIjoiMTIzNCIsIm4iOiJ0b2tlbiJ9",
  };
  struct Slot {
    std::string plugin, macro, param;
    std::map<std::string, std::string> base;
  };
  const std::vector<Slot> slots = {
      {"dashboard", "dashboard", "dashboard", {}},
      {"alert_list", "alert-list", "folder", {}},
      {"alert_list", "alert-list", "labels", {}},
      {"alert_list", "alert-badge", "folder", {}},
      {"annotation_timeline", "annotation-timeline", "tags", {}},
      {"panel_image",
       "panel-image",
       "variables",
       {{"dashboard_uid", "svc-checkout"}, {"panel_id", "2"}}},
  };
  for (const auto& s : slots) {
    for (const auto& secret : secrets) {
      reset_fake();
      auto params = s.base;
      params[s.param] = s.param == "labels"      ? "team=\"" + secret + "\""
                        : s.param == "variables" ? "token=" + secret
                        : s.param == "tags"      ? "deploy," + secret
                                                 : secret;
      const Rendered r = render(s.plugin, s.macro, params);
      SCOPED_TRACE(s.macro + "." + s.param + " = " + params[s.param]);
      // The host's binder may already refuse it on pattern grounds; either
      // way it never reaches Grafana and never shows up in HTML.
      EXPECT_EQ(r.status, VITRINE_E_INVALID) << r.html;
      EXPECT_TRUE(fake().urls.empty());
      EXPECT_TRUE(r.html.empty());
      if (r.error.rfind("[host]", 0) != 0) {
        EXPECT_NE(r.error.find("looks like a Grafana token"), std::string::npos) << r.error;
        EXPECT_EQ(r.error.find(secret), std::string::npos) << "the reason echoes the secret";
      }
    }
  }
}

}  // namespace
}  // namespace vitrine::test
