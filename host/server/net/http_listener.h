// The HTTP/1.1 front end: a listening socket and keep-alive connections on
// one epoll instance shared by a pool of threads (Linux only).
//
// Every connection is registered EPOLLONESHOT, so the thread that receives
// its event owns it exclusively until it re-arms it: that thread reads,
// parses (request_parser.h), calls the handler inline and writes the answer.
// A thread takes up to 8 ready connections per wake-up and serves them in
// order, so under load it rarely sleeps between requests. Per warm
// keep-alive request the cost is recv + sendmsg + epoll_ctl, and a share of
// one epoll_wait.
//
// Bulkhead: a handler may block (a cold page render takes seconds). Code
// about to wait calls blocking::about_to_block(): the connections of the
// batch not started yet go back to epoll for the other threads, the thread
// counts as blocked, and when fewer than `threads` unblocked threads remain
// a spare thread is started, so `threads` threads always serve health
// checks, cached pages and assets. At most max_blocked_handlers handlers
// block at once; beyond, the hook answers false and the caller must not
// wait (it answers with what it has). A thread whose blocked handler
// returns serves again, or exits when `threads` others already serve.
//
// Cancellation: every request gets a blocking::Cancel, current() on the
// handler's thread. While its handler is blocked the connection is watched
// for the client's hang-up (EPOLLRDHUP/EPOLLHUP; two epoll_ctl calls per
// blocked request, none per warm one), which cancels it with client_gone;
// stop() cancels every running request with server_stopping.
//
// Deadlines: the first request of a connection must be complete within
// io_timeout of the accept, any later one within io_timeout of its first
// byte (a client trickling bytes is cut off at the deadline, not extended
// per byte). A request of which some bytes arrived gets 408 with
// "Connection: close" at its deadline [http-request-timeout]; a connection
// that sent nothing (or an idle keep-alive one, after keep_alive_timeout) is
// closed silently. Each wait for the client to take response bytes is
// bounded by io_timeout. A housekeeping thread enforces the deadlines by
// shutting the socket's read side down; the owning thread then sees it and
// answers or closes.
//
// Fair limits (client_limits.h, forwarded_for.h): a client address holds at
// most max_connections_per_client connections (beyond: 503
// [http-connections-per-client]), and with a request rate set, a request
// over its budget gets 429 with Retry-After [http-rate-limited]. Behind a
// trusted proxy the client is taken from X-Forwarded-For, and the proxy's
// own connections are exempt from the per-client cap. At max_connections
// the oldest idle keep-alive connection is closed to make room; only when
// none is idle does a new connection get 503 [http-max-connections]. These
// fixed answers are written before any byte of the request is read.
//
// A refused request (ParseError) is answered through the ErrorHandler with
// "Connection: close"; the socket's write side is shut and the rest of the
// client's input read and dropped for a few seconds, so the answer is not
// lost to a reset. "Expect: 100-continue" gets its interim answer.
//
// The listener owns the framing: Content-Length, Content-Type (from
// Response::content_type), Date and Connection are written by it, the same
// fields in Response::headers are dropped, and an answer it cannot write
// safely (a CR or LF in a header, a status outside 200-599) becomes a 500.
// HEAD answers carry the Content-Length of the GET and no body.
//
// stop() returns within shutdown_grace (plus a moment): handlers still
// running then are abandoned: their connections are shut down (the client
// sees the connection close without an answer) and their threads are left
// to finish on their own, keeping the listener's state alive until they do.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/http.h"
#include "server/net/request_parser.h"

namespace vitrine::server::net {

struct ListenerOptions {
  std::string host = "127.0.0.1";  // a numeric address or a name that resolves to one
  uint16_t port = 0;               // 0: any free port; port() tells which
  int threads = 8;                 // connection threads; a blocking handler holds one
  int max_connections = 1024;      // open connections; beyond: 503 and close
  std::size_t max_body_bytes = 1 << 20;
  std::chrono::seconds io_timeout{15};
  std::chrono::seconds keep_alive_timeout{10};
  int max_keep_alive_requests = 10000;  // then "Connection: close"
  // Handlers blocked at once (about_to_block() said yes); beyond, the hook
  // answers false. Each holds a thread of its own.
  int max_blocked_handlers = 256;
  // How long stop() waits for running handlers before abandoning them.
  std::chrono::milliseconds shutdown_grace{10'000};
  int max_connections_per_client = 64;        // 0: no limit; trusted proxies are exempt
  double requests_per_second_per_client = 0;  // 0: no rate limit
  double request_burst_per_client = 0;        // below 1: the rate
  // Address blocks (CIDR) of reverse proxies whose X-Forwarded-For is
  // believed; start() throws std::invalid_argument for an entry that is not one.
  std::vector<std::string> trusted_proxies;
  // Called for every refusal with its reason ("connections-per-client",
  // "rate", "max-connections", "request-timeout", "blocked-handlers") and
  // for every idle connection closed to make room. May be called from any
  // listener thread; must be cheap and must not throw.
  std::function<void(std::string_view reason)> on_refused;
  std::function<void()> on_reclaimed;
  // Called whenever the number of connection threads or of blocked
  // handlers changes, under the pool lock: must be cheap (set gauges).
  std::function<void(int threads, int blocked_handlers)> on_pool_change;
};

// A snapshot for tests and gauges.
struct ListenerStats {
  int threads = 0;           // connection threads running (blocked ones included)
  int blocked_handlers = 0;  // handlers waiting after about_to_block()
  std::size_t connections = 0;
  std::size_t tracked_clients = 0;  // entries of the per-client table
};

// Called on a connection thread for every complete request; may block.
using Handler = std::function<Response(Request&)>;
// Builds the answer to a request the parser refused (status, rule id,
// message in the error). `partial` holds the method and path once they
// were valid, else they are empty. The connection is closed after it.
// The listener's own refusals of a request come through it too: 408
// (http-request-timeout; closed after it) and 429 (http-rate-limited; the
// listener adds Retry-After and keeps the connection).
using ErrorHandler = std::function<Response(const Request& partial, const ParseError&)>;

class HttpListener {
 public:
  HttpListener(ListenerOptions options, Handler handler, ErrorHandler on_error);
  ~HttpListener();  // stop()
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds, listens and starts the threads. Throws std::runtime_error naming
  // the address and the reason when the address cannot be bound. A listener
  // starts once; start() after stop() does nothing.
  void start();
  // Stops accepting, cancels every running request (server_stopping), lets
  // requests in progress finish within shutdown_grace (their answers are
  // written with "Connection: close"), closes idle connections and joins the
  // threads; handlers still running after the grace are abandoned (see
  // above). Idempotent.
  void stop();
  uint16_t port() const;
  ListenerStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with threads abandoned by stop()
};

}  // namespace vitrine::server::net
