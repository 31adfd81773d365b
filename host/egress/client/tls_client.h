// The pinned HTTPS client: one GET over one TLS connection to the exact
// addresses a PinnedTarget carries (DESIGN.md "Egress policy" steps 5 and 6,
// promises P4 P7 P8). It never resolves a name: the only way to reach the
// network is through a PinnedTarget, which only egress::pin() makes.
//
// Why raw OpenSSL over a Poco socket instead of Poco::Net::SecureStreamSocket:
//   - Poco's Context/SecureSocketImpl run their own post-handshake host name
//     check, and its "extended verification" relaxes that check for loopback
//     peers. Here the name check is OpenSSL's (SSL_set1_host), done inside the
//     handshake, strict for every peer, and its X509_V_ERR_* code tells us
//     exactly why a chain failed, so every failure gets its own rule id.
//   - Every blocking step (handshake, write, read) must honour a deadline.
//     With a non-blocking socket and poll() that is a few lines; Poco's
//     secure sockets only offer per-operation receive timeouts, which a slow
//     drip (one byte per timeout period) defeats.
//   - Poco's SSLManager is process-global state; this client keeps its
//     SSL_CTX to itself, so the extra CA file and protocol floor cannot be
//     changed by anything else in the process.
// Poco's StreamSocket still does the TCP connect (with a deadline), so the
// address types are the same Poco::Net::IPAddress values pin() checked.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "egress/policy.h"

namespace vitrine::egress::client {

using Clock = std::chrono::steady_clock;

// The outcome classes of one exchange. They map one to one onto the
// vitrine_status codes the http/1 capability returns.
enum class Outcome {
  ok,           // a complete HTTP response arrived (any status)
  denied,       // policy refused (set by the fetcher; the TLS client never returns it)
  unavailable,  // connect refused, reset, TLS handshake failed for a non-trust reason
  timeout,      // a connect, handshake or total deadline passed
  too_large,    // a header or body limit
  upstream,     // the server answered, but not with a usable HTTP/1.x response
  internal,     // a host-side resource failure
};

// Limits on what the server may send back. Defaults suit Grafana's JSON
// APIs and rendered panel PNGs.
struct Limits {
  std::size_t max_status_line = 8 * 1024;
  std::size_t max_header_count = 100;
  std::size_t max_header_bytes = 64 * 1024;       // all header lines, status line included
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // after decoding (chunked, gzip)
  // Bytes on the wire for a gzip body: bounds the work spent on data that is
  // not counted by max_body_bytes (a compressed body is normally smaller).
  std::size_t max_wire_slack = 64 * 1024;
};

struct TlsConfig {
  // PEM file with extra trust anchors (test CA, or a private CA for a
  // self-hosted Grafana), used in addition to the system CA store.
  std::string extra_ca_file;
};

struct ResponseHeader {
  std::string name;  // lowercase
  std::string value;
};

struct Response {
  int status = 0;
  std::vector<ResponseHeader> headers;
  std::string body;  // decoded; empty when the body was not read
  // The first value of a header (name lowercase), or nullptr.
  const std::string* header(std::string_view lower_name) const;
};

struct ExchangeOptions {
  // 0: the URL's port. The config's test `resolve` override sets it to the
  // port the override names; nothing else does.
  uint16_t connect_port = 0;
  const std::vector<Header>* headers = nullptr;  // already passed check_headers()
  // Sent as "Authorization: Bearer <token>" only when the target's
  // attach_token() is true. Never logged, never copied into a reason.
  const std::string* bearer_token = nullptr;
  std::chrono::milliseconds connect_timeout{5000};  // per address
  std::chrono::milliseconds handshake_timeout{5000};
  Clock::time_point deadline{};  // the whole exchange; required
  Limits limits;
  // When true, a 301/302/303/307/308 response is returned without reading
  // its body: the fetcher follows the redirect and the body is never used.
  bool skip_redirect_body = true;
};

struct ExchangeResult {
  Outcome outcome = Outcome::internal;
  std::string rule;    // "egress-allow" on ok; otherwise the network rule id
  std::string reason;  // on failure: what happened and what to do
  Response response;   // valid when ok
  std::string peer;    // "ip:port" of the connected address (may be empty)
  uint64_t wire_bytes = 0;
};

class TlsClient {
 public:
  // Builds the client's TLS context: TLS >= 1.2, peer verification on,
  // system CA store plus config.extra_ca_file. Returns nullptr and sets
  // `error` when the context cannot be built (e.g. unreadable CA file).
  static std::unique_ptr<TlsClient> create(const TlsConfig& config, std::string& error);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // One GET of target.url().target(). Tries target.addresses() in order for
  // the TCP connect; after a connection is made, no other address is tried
  // (a TLS or HTTP failure is the server's answer, not a routing problem).
  // Never throws. [thread-safe]
  ExchangeResult get(const PinnedTarget& target, const ExchangeOptions& options) const;

 private:
  struct Impl;
  explicit TlsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The request bytes for a target (exposed for tests of request framing).
// Host is the URL host, plus ":port" when the URL port is not 443.
std::string build_request(const Url& url, const std::vector<Header>* headers,
                          const std::string* bearer_token);

// The result of an exchange whose total deadline passed before its answer
// (rule egress-timeout-total), for callers that wait on an exchange they
// did not run themselves (single_flight.h).
ExchangeResult total_deadline_passed(std::string reason);

}  // namespace vitrine::egress::client
