// The unit test a plugin author writes for plugins/hello with the mock host.
#include <gtest/gtest.h>

#include <vitrine/testing/mock_host.hpp>

TEST(Hello, GreetsTheNameItIsGiven) {
  vitrine::testing::MockHost host(PLUGIN_LIBRARY);
  const auto r = host.render("hello", {{"name", "SDK"}});
  ASSERT_EQ(r.status, VITRINE_OK) << r;
  EXPECT_EQ(r.html, "<p class=\"vitrine-hello\">Hello, SDK!</p>");
  EXPECT_EQ(r.violations, "");
}

TEST(Hello, EscapesMarkupInTheName) {
  vitrine::testing::MockHost host(PLUGIN_LIBRARY);
  const auto r = host.render("hello", {{"name", "<b>"}});
  EXPECT_TRUE(r.contains("&lt;b&gt;")) << r;
}
