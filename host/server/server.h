// `vitrine serve`: the HTTP server on Poco's HTTPServer. One bounded thread
// pool, a request body limit, Poco's header limits (100 fields, 256-byte
// names, 8 KiB values, 16 KiB request line), socket timeouts. Routes are
// documented in docs/api.md; security choices (CSP, sessions, CSRF) in
// docs/api.md#browser-security.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

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
  int max_threads = 16;  // request threads; further connections queue
  int max_queued = 64;   // queued connections beyond which new ones are refused
  std::size_t max_body_bytes = 1 << 20;
  std::chrono::seconds io_timeout{15};  // socket read/write timeout per request
  std::chrono::seconds keep_alive_timeout{10};
  int max_keep_alive_requests = 100;
  std::string frame_ancestors = "'none'";
  std::string public_url;           // https://... makes the session cookie Secure
  std::filesystem::path pages_dir;  // <data_dir>/pages; pages of space S in pages_dir/S
  SessionLimits sessions;
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

  // Binds and starts accepting. Throws Poco::Exception when the address
  // cannot be bound (the message names it).
  void start();
  // Stops accepting, lets requests in progress finish. Idempotent.
  void stop();
  uint16_t port() const;
  std::string base_url() const;  // http://HOST:PORT

  // The whole request pipeline minus the socket: routing, handlers,
  // security headers, metrics and the access log. [thread-safe]
  Response handle(Request& request);

  struct Impl;  // defined in server.cpp; public so its Poco adapters can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine::server
