// The security review (`vitrine audit --format md`) reports the host's own
// connection test (settings page, `vitrine spaces test`) as the host's, not
// as a plugin that was never approved.
#include <gtest/gtest.h>

#include "store/report.h"

namespace vitrine::store {
namespace {

AuditRow fetch(const std::string& who, const std::string& url, const std::string& verdict,
               const std::string& rule) {
  AuditRow r;
  r.at_ms = 1'700'000'000'000;
  r.who = who;
  r.space = "demo";
  r.action = "egress.fetch";
  r.subject = url;
  r.verdict = verdict;
  r.detail_json = "{\"rule\":\"" + rule + "\"}";
  return r;
}

TEST(ReviewReport, P9_HostConnectionTestIsReportedAsTheHostsNotAnUnapprovedPlugin) {
  const std::vector<AuditRow> rows = {
      fetch("plugin:vitrine-host", "https://g.example/api/search?limit=REDACTED", "allow",
            "egress-allow"),
      fetch("plugin:vitrine-host", "https://g.example/api/search?limit=REDACTED", "error",
            "egress-connection-reset"),
  };
  const std::string md = format_review_md(rows, {}, std::nullopt, 1'700'000'000'000);
  EXPECT_EQ(md.find("## Plugin `vitrine-host`"), std::string::npos) << md;
  EXPECT_EQ(md.find("Not approved"), std::string::npos) << md;
  EXPECT_NE(md.find("## The host's connection test"), std::string::npos) << md;
  EXPECT_NE(md.find("| allow | https://g.example/api/search?limit=REDACTED | egress-allow | 1 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| error | https://g.example/api/search?limit=REDACTED | "
                    "egress-connection-reset | 1 |"),
            std::string::npos)
      << md;
}

TEST(ReviewReport, P9_UnapprovedPluginFetchesStillSayNotApproved) {
  const std::vector<AuditRow> rows = {
      fetch("plugin:stray", "https://g.example/api/search", "deny", "egress-host-not-declared")};
  const std::string md = format_review_md(rows, {}, std::nullopt, 1'700'000'000'000);
  EXPECT_NE(md.find("## Plugin `stray`"), std::string::npos) << md;
  EXPECT_NE(md.find("**Not approved.**"), std::string::npos) << md;
  EXPECT_EQ(md.find("## The host's connection test"), std::string::npos) << md;
}

}  // namespace
}  // namespace vitrine::store
