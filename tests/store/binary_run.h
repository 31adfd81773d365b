// Runs the real `vitrine` binary in its own process: arguments, stdin,
// extra environment; stdout and stderr captured apart, with the exit status.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace vitrine::store::testing {

struct BinaryRun {
  int status = -1;
  std::string out;
  std::string err;
};

// Starts the binary with stdin/stdout/stderr redirected to files in `dir`.
inline pid_t spawn_vitrine(const std::vector<std::string>& args, const std::filesystem::path& dir,
                           const std::string& input,
                           const std::map<std::string, std::string>& env) {
  std::ofstream(dir / "in") << input;
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* in = std::freopen((dir / "in").c_str(), "r", stdin);
    FILE* out = std::freopen((dir / "out").c_str(), "w", stdout);
    FILE* err = std::freopen((dir / "err").c_str(), "w", stderr);
    if (!in || !out || !err) _exit(127);
    ::unsetenv(crypto::kMasterKeyEnv);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::string bin = VITRINE_CLI;
    std::vector<std::string> copy = args;
    std::vector<char*> argv{bin.data()};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

inline BinaryRun collect(pid_t pid, const std::filesystem::path& dir) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  BinaryRun r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(dir / "out");
  r.err = read_file(dir / "err");
  return r;
}

inline BinaryRun run_vitrine(const std::vector<std::string>& args, const std::string& input = "",
                             const std::map<std::string, std::string>& env = {}) {
  auto dir = make_temp_dir();
  BinaryRun r = collect(spawn_vitrine(args, dir, input, env), dir);
  std::filesystem::remove_all(dir);
  return r;
}

// `vitrine serve`: either it exits by itself within `timeout` (refused), or
// it prints "serving on" and is then stopped with SIGTERM. `served` says
// which happened.
inline BinaryRun run_serve_briefly(const std::vector<std::string>& args,
                                   const std::map<std::string, std::string>& env, bool& served,
                                   std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto dir = make_temp_dir();
  pid_t pid = spawn_vitrine(args, dir, "", env);
  served = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      BinaryRun r;
      r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      r.out = read_file(dir / "out");
      r.err = read_file(dir / "err");
      std::filesystem::remove_all(dir);
      return r;
    }
    if (read_file(dir / "out").find("serving on") != std::string::npos) {
      served = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGTERM);
  BinaryRun r = collect(pid, dir);
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace vitrine::store::testing
