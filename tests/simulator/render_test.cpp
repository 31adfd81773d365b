// /render answers: real PNGs of the requested size, login redirects, limits.
#include <gtest/gtest.h>

#include "png_inspect.h"
#include "sim_client.h"

namespace vitrine::sim {
namespace {

using test::https_get;

class SimRender : public ::testing::Test {
 protected:
  void SetUp() override { handle_ = test::start_sim(); }
  const Simulator& sim() const { return *handle_->sim; }
  std::unique_ptr<test::SimHandle> handle_;
};

TEST_F(SimRender, SoloPanelIsValidPngOfRequestedSize) {
  const auto r = https_get(sim(),
                           "/render/d-solo/svc-checkout/"
                           "checkout-service?panelId=2&width=320&height=180&theme=dark&tz=UTC&from="
                           "now-6h&to=now&var-env=prod");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "image/png");
  const auto info = test::inspect_png(r.body);
  ASSERT_TRUE(info.ok) << info.error;
  EXPECT_EQ(info.width, 320U);
  EXPECT_EQ(info.height, 180U);
  EXPECT_EQ(info.raw.size(), (1U + 320U * 3U) * 180U);
}

TEST_F(SimRender, DefaultsTo800x400) {
  const auto info =
      test::inspect_png(https_get(sim(), "/render/d-solo/svc-checkout/x?panelId=2").body);
  ASSERT_TRUE(info.ok) << info.error;
  EXPECT_EQ(info.width, 800U);
  EXPECT_EQ(info.height, 400U);
}

TEST_F(SimRender, PixelsDifferPerPanelAndTheme) {
  const auto base = "/render/d-solo/svc-checkout/x?width=200&height=100&panelId=";
  const auto p2 = test::inspect_png(https_get(sim(), std::string(base) + "2").body);
  const auto p3 = test::inspect_png(https_get(sim(), std::string(base) + "3").body);
  const auto p2_light =
      test::inspect_png(https_get(sim(), std::string(base) + "2&theme=light").body);
  ASSERT_TRUE(p2.ok && p3.ok && p2_light.ok);
  EXPECT_NE(p2.raw, p3.raw);
  EXPECT_NE(p2.raw, p2_light.raw);
  // Light theme: the top-left background pixel is bright; dark: it is dark.
  const auto light_px = static_cast<unsigned char>(p2_light.raw[1 + 3 * 199 + (1 + 3 * 200) * 99]);
  const auto dark_px = static_cast<unsigned char>(p2.raw[1 + 3 * 199 + (1 + 3 * 200) * 99]);
  EXPECT_GT(light_px, 200);
  EXPECT_LT(dark_px, 60);
}

TEST_F(SimRender, WholeDashboardRenders) {
  const auto r = https_get(sim(), "/render/d/node-overview/node-overview?width=640&height=360");
  ASSERT_EQ(r.status, 200);
  const auto info = test::inspect_png(r.body);
  ASSERT_TRUE(info.ok) << info.error;
  EXPECT_EQ(info.width, 640U);
}

TEST_F(SimRender, CollapsedRowChildCanBeRendered) {
  const auto a = test::inspect_png(
      https_get(sim(), "/render/d-solo/svc-checkout/x?panelId=7&width=50&height=50").body);
  const auto missing = test::inspect_png(
      https_get(sim(), "/render/d-solo/svc-checkout/x?panelId=999&width=50&height=50").body);
  ASSERT_TRUE(a.ok && missing.ok);
  EXPECT_NE(a.raw, missing.raw);
}

TEST_F(SimRender, WithoutTokenRedirectsToLogin) {
  const auto r = https_get(sim(), "/render/d-solo/svc-checkout/x?panelId=2", "");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.location, "/login");
  EXPECT_NE(r.set_cookie.find("redirect_to="), std::string::npos);
  const auto login = https_get(sim(), "/login", "");
  EXPECT_EQ(login.status, 200);
  EXPECT_NE(login.content_type.find("text/html"), std::string::npos);
}

TEST_F(SimRender, OversizeAndGarbageDimensionsAre400) {
  for (const char* q : {"width=4001", "height=0", "width=abc", "height=-5"}) {
    const auto r = https_get(sim(), std::string("/render/d-solo/svc-checkout/x?panelId=2&") + q);
    EXPECT_EQ(r.status, 400) << q;
    EXPECT_NE(r.content_type.find("text/html"), std::string::npos);
  }
  const auto max = https_get(sim(), "/render/d-solo/svc-checkout/x?panelId=2&width=4000&height=10");
  EXPECT_EQ(max.status, 200);
}

}  // namespace
}  // namespace vitrine::sim
