// A whole host on loopback for integration tests: the Grafana simulator
// over real TLS (its own CA, name demo.grafana.net), a data directory with
// a keyring, the bundled plugins approved and enabled in space "demo", the
// space connected with a valid token, and a Runtime + Engine over it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "render/engine.h"
#include "runtime/runtime.h"
#include "simulator.h"

namespace vitrine::testing {

class HostFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Reopens the runtime (after approvals change, or to simulate a restart).
  void reopen(const std::string& plugin_mode = "in-process");
  std::string page(const std::string& markdown, render::PageOutcome* out = nullptr);
  // This installation as a vitrine.yml in dir_ (data dir, plugins, the
  // simulator's CA and resolve entries) followed by `extra` top-level YAML;
  // returns its path. The key comes from VITRINE_MASTER_KEY unless `extra`
  // names a key_file.
  std::string write_config(const std::string& plugin_mode = "in-process",
                           const std::string& extra = {}) const;

  std::filesystem::path dir_;
  std::string token_;
  std::unique_ptr<sim::Simulator> sim_;
  config::Config config_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<render::Engine> engine_;
};

}  // namespace vitrine::testing
