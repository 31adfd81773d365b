// `vitrine spaces test` answers in one line; the runtime's JSON log (plugin
// imports, worker starts, warnings) goes to stderr only with --log-json, as
// for the other store commands.
#include <gmock/gmock.h>

#include <fstream>
#include <sstream>

#include "host_fixture.h"
#include "support/shell_run.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace vitrine::testing {
namespace {

using test_support::run;

class CliSpaceTestQuiet : public HostFixture {
 protected:
  static size_t json_lines(const std::string& output) {
    std::istringstream in(output);
    size_t n = 0;
    for (std::string line; std::getline(in, line);) n += line.rfind("{\"ts\":", 0) == 0 ? 1 : 0;
    return n;
  }
};

TEST_F(CliSpaceTestQuiet, AnswersInOneLineWithoutLogJson) {
  const auto r =
      run(std::string(VITRINE_CLI_PATH) + " spaces test demo --config " + write_config());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "ok: connected: Grafana accepted the token\n");
}

TEST_F(CliSpaceTestQuiet, LogJsonStillWritesTheLog) {
  const auto r = run(std::string(VITRINE_CLI_PATH) + " --log-json spaces test demo --config " +
                     write_config());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ok: connected"));
  EXPECT_GT(json_lines(r.output), 0u) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr(token_)));  // P4: never in the log either
}

}  // namespace
}  // namespace vitrine::testing
