// `vitrine spaces test SPACE --config C`: the real binary, in its own
// process, against the simulator over real TLS. It must say what happened
// and exit 0 (connected), 1 (refused) or 2 (unusable config).
#include <gmock/gmock.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "host_fixture.h"
#include "support/shell_run.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace vitrine::testing {
namespace {

using test_support::Run;
using test_support::run;

class CliSpaceTest : public HostFixture {
 protected:
  std::string cli() const { return VITRINE_CLI_PATH; }
};

// `vitrine serve` refuses a scrape-token file that others can read, or a
// token too short to be one, before it listens.
TEST_F(CliSpaceTest, ServeRefusesAnUnsafeMetricsTokenFile) {
  const auto token_file = dir_ / "metrics.token";
  std::ofstream(token_file) << std::string(64, 'a') << "\n";
  std::filesystem::permissions(token_file, std::filesystem::perms::owner_read |
                                               std::filesystem::perms::owner_write |
                                               std::filesystem::perms::others_read);
  const std::string config = write_config();
  std::ofstream(config, std::ios::app)
      << "listen: 127.0.0.1:0\nserver:\n  metrics_token_file: " << token_file.string() << "\n";
  auto r = run("timeout 20 " + cli() + " serve --config " + config);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("chmod 600"));

  std::filesystem::permissions(
      token_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::ofstream(token_file) << "short\n";
  r = run("timeout 20 " + cli() + " serve --config " + config);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("32 to 1024 printable characters"));
}

TEST_F(CliSpaceTest, ConnectedSpaceAnswersOkAndIsAudited) {
  const auto r = run(cli() + " spaces test demo --config " + write_config());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ok: connected"));
  EXPECT_THAT(r.output, Not(HasSubstr(token_)));  // P4: the token never shows
  auto events = rt_->store().audit().query({});
  ASSERT_TRUE(events.ok());
  bool found = false;
  for (const auto& e : *events)
    found = found || e.action.find("test-connection") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST_F(CliSpaceTest, RevokedTokenIsRefusedWithExit1) {
  ASSERT_TRUE(rt_->store().spaces().revoke_token("admin", "demo").ok());
  const auto r = run(cli() + " spaces test demo --config " + write_config());
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("error: "));
}

TEST_F(CliSpaceTest, UnknownSpaceAndBadConfigSayWhatIsWrong) {
  const auto unknown = run(cli() + " spaces test nope --config " + write_config());
  EXPECT_EQ(unknown.status, 1) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("nope"));
  const auto missing = run(cli() + " spaces test demo --config " + (dir_ / "absent.yml").string());
  EXPECT_EQ(missing.status, 2) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("absent.yml"));
}

}  // namespace
}  // namespace vitrine::testing
