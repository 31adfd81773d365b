#include "render/warm_scan.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace vitrine::render {
namespace {

const std::set<std::string> kKeys = {"dashboard", "panel-image", "annotation-timeline",
                                     "alert-list"};

TEST(ScanDashboardUses, FindsEveryMacroKindThatTakesAUid) {
  const std::string page =
      "# Runbook\n\n```dashboard\ndashboard: abc123\n```\n\n"
      "```panel-image\ndashboard_uid: abc123\npanel_id: 2\n```\n\n"
      "```annotation-timeline\ndashboard_uid: other\n```\n\n"
      "```alert-list\nlabels: team=\"abc123\"\n```\n";
  auto uses = dashboard_uses("runbook", page, "abc123", kKeys);
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[0].macro, 1u);
  EXPECT_EQ(uses[0].key, "dashboard");
  EXPECT_EQ(uses[0].param, "dashboard");
  EXPECT_EQ(uses[0].line, 3);
  EXPECT_EQ(uses[1].macro, 2u);
  EXPECT_EQ(uses[1].param, "dashboard_uid");
}

TEST(ScanDashboardUses, ADashboardUrlPastedIntoTheMacroCounts) {
  const std::string page =
      "```dashboard\ndashboard: https://ops.grafana.net/d/abc123/payments?orgId=1\n```\n"
      "```panel-image\ndashboard_uid: https://ops.grafana.net/d-solo/abc123/x\n```\n";
  EXPECT_EQ(dashboard_uses("p", page, "abc123", kKeys).size(), 2u);
  EXPECT_EQ(dashboard_uid_of("https://g.example/d/u1"), "u1");
  EXPECT_EQ(dashboard_uid_of("plain"), "plain");
}

TEST(ScanDashboardUses, InvalidBlocksAndOrdinaryCodeBlocksNameNothing) {
  const std::string page =
      "```yaml\ndashboard: abc123\n```\n"
      "```dashboard\ndashboard: abc123\ndashboard: abc123\n```\n";  // duplicate name: invalid
  EXPECT_TRUE(dashboard_uses("p", page, "abc123", kKeys).empty());
}

TEST(ScanDashboardUses, UidAlphabetIsGrafanas) {
  EXPECT_TRUE(is_dashboard_uid("aB-9_x"));
  EXPECT_FALSE(is_dashboard_uid(""));
  EXPECT_FALSE(is_dashboard_uid("../etc"));
  EXPECT_FALSE(is_dashboard_uid(std::string(41, 'a')));
}

TEST(ScanDashboardUses, SpaceScanReadsOnlyPageFilesSortedByPage) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vitrine-scan-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path dir = tmpl;
  const std::string body = "```dashboard\ndashboard: abc123\n```\n";
  std::ofstream(dir / "zeta.md") << body;
  std::ofstream(dir / "alpha.md") << body << body;
  std::ofstream(dir / "Upper.md") << body;  // not a page name
  std::ofstream(dir / "notes.txt") << body;
  auto uses = scan_space_pages(dir, "abc123", kKeys);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(uses.size(), 3u);
  EXPECT_EQ(uses[0].page, "alpha");
  EXPECT_EQ(uses[1].page, "alpha");
  EXPECT_EQ(uses[1].macro, 2u);
  EXPECT_EQ(uses[2].page, "zeta");
}

}  // namespace
}  // namespace vitrine::render
