// The real binaries from a test: run a `vitrine` command and read what it
// printed, start `vitrine serve` in its own process on a free loopback port,
// and talk HTTP to it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "host_fixture.h"
#include "support/shell_run.h"

namespace vitrine::testing {

using test_support::Run;
using test_support::run;

uint16_t free_port();

struct Http {
  int status = 0;  // 0: no answer (body says why)
  std::string body;
};
Http http(uint16_t port, const std::string& method, const std::string& path,
          const std::string& bearer = {}, const std::string& json_body = {});

// `vitrine serve --config CONFIG` with stdout and stderr in LOG; start()
// waits until /healthz answers. The destructor sends SIGTERM and reaps it.
class ServeProcess {
 public:
  ServeProcess() = default;
  ~ServeProcess() { stop(); }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  // false when it did not answer within 30 s.
  bool start(const std::string& cli, const std::string& config, const std::filesystem::path& log,
             uint16_t port);
  void stop();
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// The HostFixture's installation served by the real `vitrine serve`: its
// key moves to a keyring file (so the CLI can rotate it in place), the
// test's own runtime is closed, and cli() runs commands against the same
// data directory.
class ServedHost : public HostFixture {
 protected:
  void SetUp() override;
  void TearDown() override;
  // "vitrine --data-dir D --key-file K"
  std::string cli() const;
  // vitrine.yml for this installation, listening on `port`.
  using HostFixture::write_config;
  std::string write_config(uint16_t port, const std::string& plugin_mode = "in-process");
  void start_server(const std::string& plugin_mode = "in-process");
  void stop_server() { server_.stop(); }
  // A new admin API token with `role`.
  std::string create_token(const std::string& role);

  std::filesystem::path key_file_;
  std::string extra_config_;  // appended to vitrine.yml (top-level keys)
  uint16_t port_ = 0;
  ServeProcess server_;
};

}  // namespace vitrine::testing
