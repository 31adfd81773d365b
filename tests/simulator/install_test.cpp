// The installed simulator finds its installed fixtures: `cmake --install` of
// tools/grafana_sim into a temporary prefix, then the installed binary,
// started from outside any source tree with no --fixtures and no
// VITRINE_SIM_FIXTURES, must load PREFIX/share/vitrine/grafana-sim/fixtures
// and serve them (docs/simulator.md, "Fixtures").
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "sim_client.h"
#include "token.h"

namespace vitrine::sim {
namespace {

namespace fs = std::filesystem;

TEST(SimulatorInstall, InstalledBinaryFindsItsInstalledFixtures) {
  const fs::path prefix = test::scratch_dir("install");
  const std::string install = std::string("cmake --install ") + VITRINE_SIM_BUILD_DIR +
                              " --prefix " + prefix.string() + " >" +
                              (prefix / "install.log").string() + " 2>&1";
  ASSERT_EQ(std::system(install.c_str()), 0) << "see " << (prefix / "install.log");
  const fs::path binary = prefix / "bin" / "vitrine-grafana-sim";
  const fs::path fixtures = prefix / "share" / "vitrine" / "grafana-sim" / "fixtures";
  ASSERT_TRUE(fs::exists(binary));
  ASSERT_TRUE(fs::exists(fixtures / "folders.json"));

  const fs::path tls = prefix / "tls";
  const fs::path ready = prefix / "ready";
  const fs::path log = prefix / "sim.log";
  const auto token = token_from_seed("install");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::unsetenv("VITRINE_SIM_FIXTURES");
    if (::chdir(prefix.c_str()) != 0) ::_exit(126);
    std::freopen(log.c_str(), "w", stderr);
    std::freopen(log.c_str(), "a", stdout);
    ::execl(binary.c_str(), binary.c_str(), "--port", "0", "--self-signed-dir", tls.c_str(),
            "--token", token.c_str(), "--ready-file", ready.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int port = 0, admin = 0;
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::ifstream in(ready);
    if (!(in >> port >> admin)) port = 0;
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::stringstream logged;
  logged << std::ifstream(log).rdbuf();
  EXPECT_GT(port, 0) << "ready file never appeared: " << logged.str();
  if (port > 0) {
    EXPECT_NE(logged.str().find("\"fixtures\":\"" + fixtures.lexically_normal().string() + "\""),
              std::string::npos)
        << logged.str();
    const auto search = test::https_request_to(static_cast<std::uint16_t>(port),
                                               (tls / "ca.pem").string(), "/api/search", token);
    EXPECT_EQ(search.status, 200);
    EXPECT_NE(search.body.find("\"uid\""), std::string::npos) << search.body;
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  fs::remove_all(prefix);
}

}  // namespace
}  // namespace vitrine::sim
