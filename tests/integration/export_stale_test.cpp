// A static export is one shot: nothing views the page again to pick up a
// refresh started in the background. When the last good content has gone
// stale, the export must try the refresh itself (within the macro deadline)
// and, when that fails, say why per macro, never "a refresh is under way".
#include <gmock/gmock.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

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

class ExportStale : public HostFixture {
 protected:
  // Freshness capped at 1 s so the first export's content is stale soon.
  void SetUp() override {
    HostFixture::SetUp();
    render::EngineOptions eo;
    eo.max_cache_ttl_s = 1;
    engine_ = std::make_unique<render::Engine>(*rt_, eo);
    src_ = dir_ / "runbook.md";
    std::ofstream(src_) << "# Runbook\n\n```dashboard\ndashboard: svc-checkout\n```\n";
  }
  exporter::PageReport export_to(const std::string& name) {
    exporter::ExportOptions opt;
    opt.space = "demo";
    opt.out_dir = dir_ / name;
    auto reports = exporter::export_pages(*rt_, *engine_, {src_}, opt,
                                          [](size_t, const exporter::PageReport&) {});
    return reports.at(0);
  }
  void go_stale_with(sim::FaultMode mode) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    sim::FaultRule down;
    down.mode = mode;
    down.status = 500;
    sim_->context().faults.add(down);
  }
  fs::path src_;
};

TEST_F(ExportStale, P8_ExportWithGrafanaDownSaysWhyEachMacroIsStale) {
  ASSERT_EQ(export_to("first").stale, 0u);
  go_stale_with(sim::FaultMode::kReset);
  const auto rep = export_to("second");
  EXPECT_EQ(rep.stale, 1u);
  const std::string html = slurp(dir_ / "second" / "runbook.html");
  EXPECT_THAT(html, HasSubstr("Checkout"));  // the last good content
  EXPECT_THAT(html, Not(HasSubstr("a refresh is under way")));
  EXPECT_THAT(html, HasSubstr("the last refresh failed: "));
  EXPECT_THAT(html, HasSubstr("closed the connection without answering"));  // the reason
  EXPECT_THAT(html, Not(HasSubstr(token_)));
}

TEST_F(ExportStale, P8_ExportRefreshesStaleContentWhenGrafanaAnswers) {
  ASSERT_EQ(export_to("first").stale, 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto rep = export_to("second");
  EXPECT_EQ(rep.stale, 0u);
  EXPECT_EQ(rep.errors, 0u);
  EXPECT_THAT(slurp(dir_ / "second" / "runbook.html"), Not(HasSubstr("vitrine-stale")));
}

}  // namespace
}  // namespace vitrine::testing
