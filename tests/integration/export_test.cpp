// Static export (docs-as-code): pages become standalone HTML with relative
// image files, and nothing secret is written.
#include <gmock/gmock.h>

#include <fstream>
#include <sstream>

#include "export/exporter.h"
#include "host_fixture.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace vitrine::testing {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class StaticExport : public HostFixture {};

// docs/pages.md#limits: a page over a Markdown limit is not exported (no
// file with only the notice is published); the report names the file, line
// and rule, and the other pages are exported.
TEST_F(StaticExport, PageOverAMarkdownLimitFailsWithTheRule) {
  const fs::path wide = dir_ / "wide.md";
  const fs::path fine = dir_ / "fine.md";
  std::string header, delimiter;
  for (int c = 0; c < 300; ++c) header += "|h", delimiter += "|-";
  std::ofstream(wide) << "# Wide\n\n" << header << "|\n" << delimiter << "|\n";
  std::ofstream(fine) << "# Fine\n";
  exporter::ExportOptions opt;
  opt.space = "demo";
  opt.out_dir = dir_ / "out";
  auto reports =
      exporter::export_pages(*rt_, *engine_, {wide, fine}, opt, [](size_t, const auto&) {});
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_THAT(reports[0].failure, HasSubstr(wide.string() + ": line 3: a table row has 300"));
  EXPECT_THAT(reports[0].failure, HasSubstr("[markdown-table-columns]"));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "wide.html"));
  EXPECT_EQ(reports[1].failure, "");
  EXPECT_THAT(slurp(dir_ / "out" / "fine.html"), HasSubstr("<h1>Fine</h1>"));
}

TEST_F(StaticExport, PageWithPanelImageExportsHtmlAndPng) {
  const fs::path src = dir_ / "runbook.md";
  std::ofstream(src) << "---\ntitle: Checkout runbook\n---\n# Runbook\n\n"
                        "```panel-image\ndashboard_uid: svc-checkout\npanel_id: 2\nwidth: 320\n"
                        "height: 160\nfrom: 2024-06-03T00:00:00Z\nto: 2024-06-03T06:00:00Z\n```\n\n"
                        "```dashboard\ndashboard: svc-checkout\nvariant: compact\n```\n";
  exporter::ExportOptions opt;
  opt.space = "demo";
  opt.out_dir = dir_ / "out";
  size_t calls = 0;
  auto reports = exporter::export_pages(*rt_, *engine_, {src}, opt,
                                        [&](size_t, const exporter::PageReport&) { ++calls; });
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(calls, 1u);  // progress reported per page
  EXPECT_EQ(reports[0].failure, "");
  EXPECT_EQ(reports[0].macros, 2u);
  EXPECT_EQ(reports[0].errors, 0u);
  EXPECT_EQ(reports[0].assets, 1u);
  const std::string html = slurp(dir_ / "out" / "runbook.html");
  EXPECT_THAT(html, HasSubstr("<title>Checkout runbook</title>"));
  EXPECT_THAT(html, HasSubstr("src=\"assets/"));
  EXPECT_THAT(html, Not(HasSubstr("/assets/demo/")));
  EXPECT_THAT(html, Not(HasSubstr(token_)));
  EXPECT_THAT(html, HasSubstr("Content-Security-Policy"));
  int pngs = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "out" / "assets")) {
    const std::string data = slurp(e.path());
    EXPECT_EQ(data.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << e.path();
    ++pngs;
  }
  EXPECT_EQ(pngs, 1);
  EXPECT_TRUE(fs::exists(dir_ / "out" / "vitrine.css"));
}

TEST_F(StaticExport, MissingPageIsReportedAndOthersStillExport) {
  const fs::path good = dir_ / "ok.md";
  std::ofstream(good) << "# fine\n";
  exporter::ExportOptions opt;
  opt.space = "demo";
  opt.out_dir = dir_ / "out";
  auto reports = exporter::export_pages(*rt_, *engine_, {dir_ / "missing.md", good}, opt,
                                        [](size_t, const exporter::PageReport&) {});
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_THAT(reports[0].failure, HasSubstr("cannot read"));
  EXPECT_EQ(reports[1].failure, "");
  EXPECT_TRUE(fs::exists(dir_ / "out" / "ok.html"));
}

}  // namespace
}  // namespace vitrine::testing
