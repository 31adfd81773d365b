// `vitrine serve`: the HTTP server on the epoll listener of server/net
// (http_listener.h, request_parser.h). A bounded pool of connection
// threads, a connection limit, a request body limit, the parser's head
// limits (16 KiB request line, 100 fields, 256-byte names, 8 KiB values,
// 64 KiB head), deadlines per request and per idle connection. Routes are
// documented in docs/api.md; security choices (CSP, sessions, CSRF) in
// docs/api.md#browser-security.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/auth_config.h"
#include "server/http.h"
#include "server/sessions.h"

namespace vitrine::config {
struct Config;
}
namespace vitrine::runtime {
class Runtime;
}
namespace vitrine::render {
class Engine;
}

namespace vitrine::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (tests); port() tells which
  // Listener threads. Each serves any connection; one running a handler
  // (a cold page render can block for seconds) serves no other meanwhile.
  int max_threads = 16;
  int max_connections = 1024;  // open connections; beyond: 503 and close
  std::size_t max_body_bytes = 1 << 20;
  // A request must be complete within this of its first byte (slow clients
  // are cut off, not extended per byte); also bounds each wait for the
  // client to take response bytes.
  std::chrono::seconds io_timeout{15};
  std::chrono::seconds keep_alive_timeout{10};  // idle connections are closed after it
  int max_keep_alive_requests = 10000;          // then "Connection: close"
  // Overload (server/net/http_listener.h, docs/api.md#limits-and-overload).
  int max_blocked_handlers = 256;  // page views waiting on renders at once; beyond: "busy"
  std::chrono::milliseconds shutdown_grace{10'000};  // stop() abandons handlers after it
  int max_connections_per_client = 64;               // 0: no limit
  double requests_per_second_per_client = 0;         // 0: no rate limit
  double request_burst_per_client = 0;               // below 1: the rate
  std::vector<std::string> trusted_proxies;          // CIDR blocks; X-Forwarded-For believed
  std::string frame_ancestors = "'none'";
  std::string public_url;  // https://... makes the session cookie Secure
  // Non-empty: /metrics needs "Authorization: Bearer <metrics_token>" (a
  // scrape credential of its own, not an admin token). Never logged.
  std::string metrics_token;
  std::filesystem::path pages_dir;  // <data_dir>/pages; pages of space S in pages_dir/S
  SessionLimits sessions;
  // Sign-in methods, OpenID Connect and sign-in rate limits (auth:).
  config::AuthConfig auth;
  std::string oidc_client_secret;  // auth.oidc.client_secret_file's content; never logged
};

// Server options from vitrine.yml (listen, server.*, data_dir).
ServerOptions options_from_config(const config::Config& config);

struct ServerContext;

class Server {
 public:
  Server(runtime::Runtime& runtime, render::Engine& engine, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Throws std::runtime_error when the address
  // cannot be bound (the message names it and the reason).
  void start();
  // Stops accepting, lets requests in progress finish. Idempotent.
  void stop();
  uint16_t port() const;
  std::string base_url() const;  // http://HOST:PORT

  // The whole request pipeline minus the socket: routing, handlers,
  // security headers, metrics and the access log. [thread-safe]
  Response handle(Request& request);

 private:
  struct Impl;  // server.cpp
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine::server
