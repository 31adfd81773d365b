// The binary: --print-token, --ready-file, serving, clean shutdown on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sim_client.h"
#include "token.h"

namespace vitrine::sim {
namespace {

std::string run_and_capture(const std::string& cmd) {
  std::string out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  ::pclose(pipe);
  return out;
}

TEST(SimCli, PrintTokenMatchesLibraryAndShape) {
  const auto out = run_and_capture(std::string(VITRINE_SIM_BINARY) + " --print-token demo");
  EXPECT_EQ(out, token_from_seed("demo") + "\n");
  EXPECT_TRUE(token_has_valid_shape(token_from_seed("demo")));
}

TEST(SimCli, BinaryServesAfterReadyFileAndStopsOnSigterm) {
  const auto dir = test::scratch_dir("cli");
  const auto ready = dir + "/ready";
  const auto token = token_from_seed("cli");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl(VITRINE_SIM_BINARY, VITRINE_SIM_BINARY, "--port", "0", "--self-signed-dir", dir.c_str(),
            "--token", token.c_str(), "--admin-port", "0", "--ready-file", ready.c_str(),
            "--log-level", "warn", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int port = 0, admin = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    std::ifstream in(ready);
    if (!(in >> port >> admin)) port = 0;
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(port, 0) << "ready file never appeared";
  EXPECT_GT(admin, 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/ca.pem"));

  const auto health =
      test::https_request_to(static_cast<std::uint16_t>(port), dir + "/ca.pem", "/api/health", "");
  EXPECT_EQ(health.status, 200);
  const auto search = test::https_request_to(static_cast<std::uint16_t>(port), dir + "/ca.pem",
                                             "/api/search", token);
  EXPECT_EQ(search.status, 200);
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vitrine::sim
