// P6 across change: a space deleted and created again under the same key is
// a new space to the render path too. Its predecessor's rendered fragments
// (kept in memory and in the store) are never shown in it.
#include <gtest/gtest.h>

#include "host_fixture.h"

namespace vitrine::testing {
namespace {

using SpaceRecreate = HostFixture;

const char* kPage = "```alert-list\n```\n";

TEST_F(SpaceRecreate, P6_ARecreatedSpaceNeverGetsItsPredecessorsFragments) {
  render::PageOutcome first, again;
  page(kPage, &first);
  ASSERT_EQ(first.macros.size(), 1u);
  ASSERT_EQ(first.macros[0].state, render::MacroState::fresh) << first.macros[0].error;
  page(kPage, &again);
  ASSERT_EQ(again.macros[0].state, render::MacroState::cached) << "the fragment is cached";

  auto& st = rt_->store();
  ASSERT_TRUE(st.spaces().remove("admin", "demo", {}).ok());
  ASSERT_TRUE(st.spaces().create("admin", "demo", "Demo again").ok());
  store::ConnectRequest req;
  req.origin = "https://demo.grafana.net";
  ASSERT_TRUE(st.spaces().connect("admin", "demo", req).ok());
  ASSERT_TRUE(st.spaces().set_token("admin", "demo", store::crypto::SecretString(token_)).ok());
  ASSERT_TRUE(st.approvals().enable("admin", "demo", "alert_list").ok());

  render::PageOutcome successor;
  page(kPage, &successor);
  ASSERT_EQ(successor.macros.size(), 1u);
  EXPECT_EQ(successor.macros[0].state, render::MacroState::fresh)
      << "rendered anew for the new space, not served from its predecessor's cache";
}

}  // namespace
}  // namespace vitrine::testing
