// Test helpers: an in-process simulator with a self-signed CA, and HTTPS /
// admin clients that verify the certificate strictly against that CA.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "simulator.h"

namespace vitrine::sim::test {

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string location;
  std::string set_cookie;
  std::string body;
  long long content_length = -1;
};

// A unique scratch directory under the system temp dir, removed on exit.
std::string scratch_dir(const std::string& name);

std::string test_token();  // the token every test simulator accepts

struct SimHandle {
  std::unique_ptr<Simulator> sim;
  std::string dir;
  ~SimHandle();
};

// Starts a simulator on 127.0.0.1 (ephemeral ports, admin API on).
std::unique_ptr<SimHandle> start_sim(int grafana_version = 11);

// GET (or `method`) over HTTPS with strict verification of "grafana.test".
// `token` empty = no Authorization header.
HttpResult https_request(const Simulator& sim, const std::string& uri, const std::string& token,
                         const std::string& method = "GET");
// Same, against any simulator (e.g. the binary) given its port and CA file.
HttpResult https_request_to(std::uint16_t port, const std::string& ca_file, const std::string& uri,
                            const std::string& token, const std::string& method = "GET");
inline HttpResult https_get(const Simulator& sim, const std::string& uri,
                            const std::string& token = test_token()) {
  return https_request(sim, uri, token);
}

HttpResult admin_request(const Simulator& sim, const std::string& method, const std::string& path,
                         const std::string& body = "");

Poco::JSON::Object::Ptr parse_object(const std::string& body);
Poco::JSON::Array::Ptr parse_array(const std::string& body);

}  // namespace vitrine::sim::test
