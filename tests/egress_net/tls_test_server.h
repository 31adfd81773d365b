// Test-only PKI and TLS server on loopback for the egress network tests.
//
// TestPki makes a CA and leaf certificates at runtime with the OpenSSL API
// (nothing checked in, nothing that can expire in the repository).
// TlsTestServer listens on 127.0.0.1 on an ephemeral port, serves scripted
// responses per request target, and records every request's headers so a
// test can prove what reached the server (e.g. that no Authorization
// header left the Grafana origin). Connections are handled one at a time on
// one thread; every wait is bounded and the destructor stops the thread.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace vitrine::egress::nettest {

struct KeyCert {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
};

enum class LeafKind { good, expired, untrusted_ca };

class TestPki {
 public:
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // A leaf with these DNS subjectAltNames, signed by the test CA (or, for
  // untrusted_ca, by a second CA that no client trusts).
  KeyCert leaf(const std::vector<std::string>& dns_names, LeafKind kind = LeafKind::good);
  // PEM file holding the test CA: the client's extra CA file.
  const std::filesystem::path& ca_file() const { return ca_file_; }

 private:
  KeyCert ca_;
  KeyCert untrusted_ca_;
  std::filesystem::path ca_file_;
  long serial_ = 1;
};

struct Route {
  std::string raw;                    // the full response bytes, sent as-is
  std::chrono::milliseconds drip{0};  // > 0: send `raw` one byte per interval
  // true: after `raw`, abort the TCP connection with an RST (SO_LINGER 0),
  // without a TLS close_notify.
  bool reset = false;
};

struct SeenRequest {
  std::string request_line;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  // The first value of a header, or "" when absent.
  std::string header(const std::string& lower_name) const;
  bool has(const std::string& lower_name) const;
};

struct ServerOptions {
  KeyCert cert;
  // 0: OpenSSL default range. E.g. TLS1_1_VERSION forces an old-only server.
  int max_version = 0;
  // false: accept TCP and never say a word (stalled handshake).
  bool speak_tls = true;
};

class TlsTestServer {
 public:
  explicit TlsTestServer(ServerOptions options);
  ~TlsTestServer();
  TlsTestServer(const TlsTestServer&) = delete;
  TlsTestServer& operator=(const TlsTestServer&) = delete;

  uint16_t port() const { return port_; }
  // Responds to requests whose target (path + query) is exactly `target`.
  // Unknown targets get a 404.
  void route(const std::string& target, Route r);
  std::vector<SeenRequest> requests() const;
  int connections() const { return connections_.load(); }

 private:
  void run();
  void serve(int fd);

  ServerOptions options_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  void* ctx_ = nullptr;  // SSL_CTX*
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::map<std::string, Route> routes_;
  std::vector<SeenRequest> seen_;
  std::thread thread_;
};

// Response builders.
std::string http_response(int status, const std::string& body,
                          const std::vector<std::string>& extra_headers = {});
std::string redirect_response(int status, const std::string& location);
std::string chunked_response(const std::string& body, std::size_t chunk_size);
std::string gzip(const std::string& data);

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
uint16_t closed_port();

}  // namespace vitrine::egress::nettest
