// The panel_image plugin: PNG checks, asset storage, and the render URL.
#include <gtest/gtest.h>

#include "fake_host.h"

namespace vitrine::test {
namespace {

class PanelImage : public ::testing::Test {
 protected:
  void SetUp() override { reset_fake(); }
};

const std::map<std::string, std::string> kBase = {{"dashboard_uid", "svc-checkout"},
                                                  {"panel_id", "2"}};

TEST(PanelImageGolden, DefaultAndDarkMatchGolden) {
  reset_fake();
  Rendered r = render("panel_image", "panel-image", kBase);
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.ttl_s, 300u);
  expect_golden("panel-image-default", r.html);
  ASSERT_EQ(fake().assets.size(), 1u);
  EXPECT_EQ(fake().assets[0], make_png(1000, 500));

  reset_fake();
  auto p = kBase;
  p["theme"] = "dark";
  p["width"] = "640";
  p["height"] = "320";
  p["timezone"] = "Europe/Berlin";
  p["from"] = "2024-06-03T00:00:00Z";
  p["to"] = "2024-06-03T06:00:00Z";
  p["variables"] = "env=prod&region=eu west";
  r = render("panel_image", "panel-image", p);
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  expect_golden("panel-image-dark-vars", r.html);
  ASSERT_EQ(fake().urls.size(), 1u);
  EXPECT_EQ(fake().urls[0], std::string(kBaseUrl) +
                                "/render/d-solo/svc-checkout/_?panelId=2&width=640&height=320&"
                                "theme=dark&tz=Europe%2FBerlin&from=1717372800000&to="
                                "1717394400000&var-env=prod&var-region=eu%20west");
  EXPECT_TRUE(fake().scope_violations.empty());
}

TEST_F(PanelImage, PlaceholderLoginAndErrorPagesAreNeverShown) {
  struct Want {
    Fault fault;
    std::string text;
  };
  for (const auto& w : std::vector<Want>{
           {Fault::kPlaceholder, "image renderer is not installed"},
           {Fault::kLoginPage200, "HTML page instead of the panel image"},
           {Fault::kLogin302, "login page"},
           {Fault::kHtml500, "server error (HTTP 500)"},
           {Fault::kHttp429, "HTTP 429"},
           {Fault::kTruncated, "truncated"},
       }) {
    reset_fake();
    fake().fault = w.fault;
    const Rendered r = render("panel_image", "panel-image", kBase);
    SCOPED_TRACE(fault_name(w.fault));
    EXPECT_NE(r.status, VITRINE_OK);
    EXPECT_NE(r.error.find(w.text), std::string::npos) << r.error;
    EXPECT_TRUE(r.html.empty());
    EXPECT_TRUE(fake().assets.empty()) << "an unusable image was stored";
  }
}

TEST_F(PanelImage, WrongSizeOrDamagedPngIsRefused) {
  const std::string path = "/render/d-solo/svc-checkout/_";
  fake().bodies[path] = make_png(1000, 499);
  Rendered r = render("panel_image", "panel-image", kBase);
  EXPECT_EQ(r.status, VITRINE_E_UPSTREAM);
  EXPECT_NE(r.error.find("instead of the requested 1000x500"), std::string::npos) << r.error;

  std::string png = make_png(1000, 500);
  png[20] = 'X';  // inside IHDR: the CRC no longer matches
  fake().bodies[path] = png;
  r = render("panel_image", "panel-image", kBase);
  EXPECT_NE(r.error.find("CRC"), std::string::npos) << r.error;

  fake().bodies[path] = "GIF89a....";
  r = render("panel_image", "panel-image", kBase);
  EXPECT_NE(r.error.find("not a PNG"), std::string::npos) << r.error;
  EXPECT_TRUE(fake().assets.empty());
}

TEST_F(PanelImage, ParametersAreValidated) {
  auto p = kBase;
  p["width"] = "100000";
  Rendered r = render("panel_image", "panel-image", p);
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  p = kBase;
  p["variables"] = "env=prod&&";
  r = render("panel_image", "panel-image", p);
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  p = kBase;
  p["from"] = "now";
  p["to"] = "now-1h";
  r = render("panel_image", "panel-image", p);
  EXPECT_EQ(r.status, VITRINE_E_INVALID);
  EXPECT_NE(r.error.find("ends before it starts"), std::string::npos) << r.error;
  EXPECT_TRUE(fake().urls.empty());
}

}  // namespace
}  // namespace vitrine::test
