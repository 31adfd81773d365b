// The HTTP/1.1 front end: a listening socket and keep-alive connections on
// one epoll instance shared by a pool of threads (Linux only).
//
// Every connection is registered EPOLLONESHOT, so the thread that receives
// its event owns it exclusively until it re-arms it: that thread reads,
// parses (request_parser.h), calls the handler inline and writes the answer.
// A thread takes up to 8 ready connections per wake-up and serves them in
// order, so under load it rarely sleeps between requests. A handler may
// block (a cold page render takes seconds): code about to wait calls
// blocking::about_to_block(), and the connections of the batch not started
// yet go back to epoll for the other threads; only the handler's own
// connection waits. Per warm keep-alive request the cost is recv + sendmsg
// + epoll_ctl, and a share of one epoll_wait.
//
// Deadlines: the first request of a connection must be complete within
// io_timeout of the accept, any later one within io_timeout of its first
// byte (a client trickling bytes is cut off at the deadline, not extended
// per byte); an idle keep-alive connection is closed
// after keep_alive_timeout; each wait for the client to take response bytes
// is bounded by io_timeout. A housekeeping thread enforces the first two by
// shutting the socket down; the owning thread then sees the hang-up and
// closes it.
//
// Beyond max_connections a new connection gets a fixed 503 with
// "Connection: close" and is closed at once, before any byte of it is read.
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
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

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
};

// Called on a connection thread for every complete request; may block.
using Handler = std::function<Response(Request&)>;
// Builds the answer to a request the parser refused (status, rule id,
// message in the error). `partial` holds the method and path once they
// were valid, else they are empty. The connection is closed after it.
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
  // Stops accepting, lets requests in progress finish (their handlers return
  // and the answers are written with "Connection: close"), closes idle
  // connections and joins the threads. Idempotent.
  void stop();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine::server::net
