// The editor's dashboard picker (server/ui_edit_picker.cpp) in a space where
// the dashboard plugin is not enabled ("beta" of the fixture): the editor
// still opens, and the sidebar is a notice naming the rule and who can
// enable the plugin, not an error box. No Grafana is contacted: the engine
// refuses before any fetch. The listing itself is proven against the
// simulator in tests/e2e/dashboard_picker.test.mjs.
#include <gmock/gmock.h>

#include "server_fixture.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace vitrine::testing {
namespace {

class EditorPicker : public ServerFixture {
 protected:
  std::string sidebar_of(const std::string& token, const std::string& path) {
    const auto r = send("GET", path, {{"Cookie", login(token)}});
    EXPECT_EQ(r.status, 200) << r.body;
    const auto start = r.body.find("<aside id=\"vitrine-editor-sidebar\"");
    const auto end = r.body.find("</aside>", start);
    if (start == std::string::npos || end == std::string::npos) {
      ADD_FAILURE() << "no sidebar on " << path << ": " << r.body;
      return {};
    }
    return r.body.substr(start, end - start);
  }
};

TEST_F(EditorPicker, PluginNotEnabledShowsANoticeWithTheRuleAndWhoCanEnableIt) {
  const std::string sidebar = sidebar_of(beta_admin_, "/spaces/beta/edit/notes");
  EXPECT_THAT(sidebar, HasSubstr("not enabled in this space (rule plugin-not-enabled)"));
  EXPECT_THAT(sidebar, HasSubstr("A space admin can enable it in the space settings"));
  // A space admin may enable plugins: the notice links to the settings.
  EXPECT_THAT(sidebar, HasSubstr("<a href=\"/spaces/beta/settings\">open the settings</a>"));
  EXPECT_THAT(sidebar, Not(HasSubstr("vitrine-error")));
  EXPECT_THAT(sidebar, Not(HasSubstr("id=\"vitrine-picker-search\"")));
}

TEST_F(EditorPicker, PluginNotEnabledNoticeHasNoSettingsLinkForAnEditor) {
  auto editor = rt_->store().admin_tokens().create("setup", "editor:beta");
  ASSERT_TRUE(editor.ok());
  const std::string sidebar =
      sidebar_of(std::string(editor->token.view()), "/spaces/beta/edit/notes?picker_q=cpu");
  EXPECT_THAT(sidebar, HasSubstr("rule plugin-not-enabled"));
  EXPECT_THAT(sidebar, Not(HasSubstr("/settings")));
}

}  // namespace
}  // namespace vitrine::testing
