// A whole server on loopback for tests: a temp data directory with a test
// keyring, the bundled plugins approved, spaces "alpha" (connected, plugins
// enabled) and "beta", admin tokens of every role, a Runtime + Engine, and
// the HTTP server on 127.0.0.1 with an ephemeral port. Requests go over a
// real socket through Poco's client.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "render/engine.h"
#include "runtime/runtime.h"
#include "server/server.h"

namespace vitrine::testing {

struct HttpResult {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& lower_name) const;
};

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  HttpResult send(const std::string& method, const std::string& path,
                  const std::map<std::string, std::string>& headers = {},
                  const std::string& body = {});
  HttpResult api(const std::string& method, const std::string& path, const std::string& token,
                 const std::string& json_body = {});
  // Logs in through the form; returns the session cookie "vitrine_session=...".
  std::string login(const std::string& admin_token);
  // The CSRF token of the form on `path` (a page of a logged-in session).
  std::string csrf_of(const std::string& path, const std::string& cookie);
  std::string origin() const;

  // A valid-shaped Grafana token (glsa_ + 32 + _ + checksum).
  static std::string grafana_token(char fill);

  std::filesystem::path dir_;
  config::Config config_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<render::Engine> engine_;
  std::unique_ptr<server::Server> server_;
  std::string platform_;      // platform-admin
  std::string alpha_admin_;   // space-admin:alpha
  std::string alpha_viewer_;  // viewer:alpha
  std::string beta_admin_;    // space-admin:beta
  std::size_t max_body_ = 64 * 1024;
};

}  // namespace vitrine::testing
