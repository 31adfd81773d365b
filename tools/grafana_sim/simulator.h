// Owns the HTTPS server, the optional admin server and the shared state.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "faults.h"
#include "sim_context.h"

namespace vitrine::sim {

struct SimulatorConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = ephemeral
  std::string cert_file;
  std::string key_file;
  std::string self_signed_dir;  // used when cert_file/key_file are empty
  std::vector<std::string> hostnames{"grafana.test", "localhost"};
  std::vector<std::string> tokens;
  int admin_port = -1;  // -1 = no admin API; 0 = ephemeral
  std::string ready_file;
  std::string fixtures_dir;  // empty = default_fixtures_dir()
  int grafana_version = 11;
  std::vector<FaultRule> faults;
};

class Simulator {
 public:
  explicit Simulator(SimulatorConfig config);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Loads fixtures, prepares TLS, starts listening and writes the ready file.
  // Throws with a message saying what to fix.
  void start();
  void stop();

  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  const std::string& ca_file() const { return ca_file_; }
  SimContext& context() { return *ctx_; }

 private:
  SimulatorConfig config_;
  std::unique_ptr<SimContext> ctx_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::ThreadPool> admin_pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::unique_ptr<Poco::Net::HTTPServer> admin_;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
  std::string ca_file_;
};

}  // namespace vitrine::sim
