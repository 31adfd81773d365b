// The Grafana simulator a validation run renders against: the
// `vitrine-grafana-sim` binary started as a child process on loopback with
// its own CA, a fresh token and the admin API that injects faults
// (docs/simulator.md). The plugin under test never talks to a real Grafana.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "validate/cases.h"

namespace vitrine::validate {

class SimulatorProcess {
 public:
  // Starts `binary` with a self-signed CA in `work_dir` whose leaf names
  // `hostnames`; waits up to 15 s for it to listen. nullptr and `error`
  // (what happened, what to do) when it does not start.
  static std::unique_ptr<SimulatorProcess> start(const std::filesystem::path& binary,
                                                 const std::filesystem::path& work_dir,
                                                 const std::vector<std::string>& hostnames,
                                                 std::string& error);
  ~SimulatorProcess();  // stops the simulator (SIGTERM, then SIGKILL)
  SimulatorProcess(const SimulatorProcess&) = delete;
  SimulatorProcess& operator=(const SimulatorProcess&) = delete;

  uint16_t port() const { return port_; }
  const std::string& token() const { return token_; }
  std::filesystem::path ca_file() const { return work_dir_ / "tls" / "ca.pem"; }

  // Replaces every fault rule with `fault` (PUT /faults) / removes them
  // all (DELETE /faults). False and `error` when the admin API refused.
  bool set_fault(const Fault& fault, std::string& error);
  bool clear_faults(std::string& error);

 private:
  SimulatorProcess() = default;
  bool admin(const std::string& method, const std::string& body, std::string& error);

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  std::string token_;
  std::filesystem::path work_dir_;
};

// `vitrine-grafana-sim` beside this program, else where a build tree puts
// it relative to host/cli (tools/grafana_sim/).
std::filesystem::path default_simulator_path();

}  // namespace vitrine::validate
