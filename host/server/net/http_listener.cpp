#include "server/net/http_listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "blocking/blocking.h"
#include "log/log.h"

namespace vitrine::server::net {
namespace {

using Clock = std::chrono::steady_clock;

// recv() size; one buffer per connection thread, never per connection.
constexpr std::size_t kRecvBuffer = 64 * 1024;
// Upper bound of a lingering close (see Impl::linger).
constexpr std::chrono::seconds kMaxLinger{5};
constexpr std::chrono::seconds kHousekeepingTick{1};
constexpr std::uint32_t kConnectionEvents = EPOLLIN | EPOLLONESHOT | EPOLLRDHUP;
// Ready connections a thread takes per wake-up. More than one: under load
// a thread then serves several requests per epoll_wait instead of sleeping
// and being woken for each, which halves the cost of a warm page. Not
// many more: a batch-mate waits while the ones before it are served (and
// is handed back before any of them blocks; see hand_back()).
constexpr int kBatchEvents = 8;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// A connection. Its fields are touched only by the thread that owns it (the
// one that received its EPOLLONESHOT event), except those marked
// [registry_mu], which the housekeeper reads.
struct Connection {
  Connection(int socket, const ParseLimits& limits) : fd(socket), parser(limits) {}

  const int fd;
  RequestParser parser;
  Clock::time_point deadline;  // the current request (or idle wait) must end by then
  int served = 0;              // requests answered
  bool draining = false;       // lingering close: input is read and dropped
  bool armed = false;          // [registry_mu] waiting in epoll, owned by no thread
  Clock::time_point expires;   // [registry_mu] deadline as of arming
  std::size_t slot = 0;        // [registry_mu] index in Impl::connections
};

// Per connection thread: reused for every request, so a warm request
// allocates no buffer of its own here.
struct Scratch {
  std::vector<char> in = std::vector<char>(kRecvBuffer);
  std::string head;  // status line and header fields of the answer being written
  std::time_t date_second = -1;
  char date[32] = {};
};

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";  // the reason phrase is optional (RFC 9112 4)
  }
}

// 204 and 304 answers have no body (RFC 9110 6.4.1), so no Content-Length
// either: it would describe a body that is not there.
bool status_has_body(int status) { return status != 204 && status != 304; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lx = (x >= 'A' && x <= 'Z') ? x - 'A' + 'a' : x;
           const auto ly = (y >= 'A' && y <= 'Z') ? y - 'A' + 'a' : y;
           return lx == ly;
         });
}

// Framing is the listener's: these fields in Response::headers are dropped
// (the content type comes from Response::content_type).
bool reserved_header(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection") || iequals(name, "keep-alive") ||
         iequals(name, "content-type") || iequals(name, "date");
}

// A handler's answer that cannot be written as-is (a status outside
// 200-599, a CR or LF in a header, which would split the response) is
// replaced by a 500 rather than repaired.
bool writable(const Response& r) {
  if (r.status < 200 || r.status > 599 || !is_field_value(r.content_type)) return false;
  for (const auto& [name, value] : r.headers) {
    if (!is_token(name) || !is_field_value(value)) return false;
  }
  return true;
}

Response plain(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

// Beyond max_connections: written once, without reading the request.
const std::string& busy_answer() {
  static const std::string answer = [] {
    const std::string body = "the server has too many open connections; retry shortly\n";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Length: " +
           std::to_string(body.size()) +
           "\r\nX-Content-Type-Options: nosniff\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" +
           body;
  }();
  return answer;
}

void append_number(std::string& out, std::size_t n) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// IMF-fixdate (RFC 9110 5.6.7), formatted by hand: strftime's names follow
// the locale. Recomputed once per second per thread.
std::string_view http_date(Scratch& s) {
  const std::time_t now = std::time(nullptr);
  if (now != s.date_second) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::snprintf(s.date, sizeof s.date, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    s.date_second = now;
  }
  return s.date;
}

std::string errno_text(int error) { return std::strerror(error); }

}  // namespace

struct HttpListener::Impl {
  Impl(ListenerOptions o, Handler h, ErrorHandler e)
      : options(std::move(o)), handler(std::move(h)), on_error(std::move(e)) {
    limits.max_body_bytes = options.max_body_bytes;
  }

  // The events one thread took from epoll in one wake-up and has not
  // started yet (see run()).
  struct Batch {
    Impl* impl = nullptr;
    epoll_event events[kBatchEvents]{};
    int count = 0;
    int next = 0;  // events[next..count) are not started
  };
  void open_socket();
  void run();
  static void hand_back(void* batch);
  void housekeep();
  void accept_all();
  void admit(int fd);
  void arm_listener();
  enum class Next { rearm, linger, close };
  void serve(Connection& c, Scratch& s);
  Next process(Connection& c, std::string_view bytes, Scratch& s);
  Response call(Request& request);
  Response refuse(const Request& partial, const ParseError& error);
  bool write_response(Scratch& s, int fd, const Response& answer, bool head_only, bool close,
                      int version_minor);
  bool send_all(int fd, std::string_view head, std::string_view body) const;
  void take(Connection& c);
  void rearm(Connection& c);
  void linger(Connection& c);
  void close_connection(Connection& c);
  void halt();  // stop() without the lifecycle lock
  void close_fds();

  const ListenerOptions options;
  ParseLimits limits;
  const Handler handler;
  const ErrorHandler on_error;

  std::mutex lifecycle_mu;  // start() and stop()
  bool running = false;
  int epoll_fd = -1;
  int listen_fd = -1;
  int stop_fd = -1;  // eventfd, level-triggered: once written, wakes every thread
  uint16_t bound_port = 0;
  std::atomic<bool> stopping{false};
  std::vector<std::thread> threads;
  std::thread housekeeper;
  // Distinct addresses that tag the listening socket and the stop eventfd
  // in epoll_event.data.ptr; every other pointer there is a Connection.
  char listen_tag = 0;
  char stop_tag = 0;

  // The registry: every open connection, owned here; a thread may close and
  // free one only after removing it under this mutex, so the housekeeper
  // never touches a closed descriptor.
  std::mutex registry_mu;
  std::condition_variable housekeeper_cv;
  std::vector<std::unique_ptr<Connection>> connections;
  bool listener_parked = false;  // [registry_mu] accept paused (out of descriptors)
};

HttpListener::HttpListener(ListenerOptions options, Handler handler, ErrorHandler on_error)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(on_error))) {}

HttpListener::~HttpListener() { stop(); }

uint16_t HttpListener::port() const { return impl_->bound_port; }

void HttpListener::start() {
  Impl& m = *impl_;
  std::lock_guard lock(m.lifecycle_mu);
  if (m.running || m.stopping.load()) return;  // one start per listener
  m.open_socket();
  try {
    m.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    m.stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m.epoll_fd < 0 || m.stop_fd < 0) {
      throw std::runtime_error("cannot create the HTTP event loop: " + errno_text(errno));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered, never read: every epoll_wait sees it
    ev.data.ptr = &m.stop_tag;
    if (::epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, m.stop_fd, &ev) != 0) {
      throw std::runtime_error("cannot create the HTTP event loop: " + errno_text(errno));
    }
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.ptr = &m.listen_tag;
    if (::epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, m.listen_fd, &ev) != 0) {
      throw std::runtime_error("cannot create the HTTP event loop: " + errno_text(errno));
    }
  } catch (...) {
    m.close_fds();
    throw;
  }
  m.running = true;
  try {
    const int n = std::max(1, m.options.threads);
    for (int i = 0; i < n; ++i) m.threads.emplace_back([&m] { m.run(); });
    m.housekeeper = std::thread([&m] { m.housekeep(); });
  } catch (...) {  // a thread could not be started: undo the others
    m.halt();
    throw;
  }
}

void HttpListener::stop() {
  Impl& m = *impl_;
  std::lock_guard lock(m.lifecycle_mu);
  if (m.running) m.halt();
}

void HttpListener::Impl::halt() {
  stopping = true;
  // On Linux, shutdown() of a listening socket stops listening: new
  // connects are refused at once instead of waiting in the backlog until
  // the socket is closed below. A thread inside accept4() gets EINVAL.
  ::shutdown(listen_fd, SHUT_RD);
  const std::uint64_t one = 1;
  if (::write(stop_fd, &one, sizeof one) != static_cast<ssize_t>(sizeof one)) {
    log::error("http.stop_signal_failed", {{"reason", errno_text(errno)}});
  }
  {
    std::lock_guard registry(registry_mu);
    housekeeper_cv.notify_all();
  }
  // Threads in a handler finish it and write the answer first.
  for (auto& t : threads) t.join();
  if (housekeeper.joinable()) housekeeper.join();
  threads.clear();
  // No thread runs now: what is left waits in epoll, idle or mid-request.
  for (const auto& c : connections) ::close(c->fd);
  connections.clear();
  close_fds();
  running = false;
}

void HttpListener::Impl::close_fds() {
  for (int* fd : {&listen_fd, &stop_fd, &epoll_fd}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void HttpListener::Impl::open_socket() {
  const bool ipv6 = options.host.find(':') != std::string::npos;
  const std::string where =
      (ipv6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(options.port);
  const int rc = ::getaddrinfo(options.host.empty() ? nullptr : options.host.c_str(),
                               port_text.c_str(), &hints, &found);
  if (rc != 0) {
    throw std::runtime_error("cannot listen on " + where + ": " + ::gai_strerror(rc) +
                             "; check the 'listen:' address");
  }
  int error = 0;
  for (const addrinfo* a = found; a != nullptr && listen_fd < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = errno;
      continue;
    }
    // Rebinding while old connections sit in TIME_WAIT; on Linux this still
    // refuses a port another socket listens on.
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      listen_fd = fd;
    } else {
      error = errno;
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (listen_fd < 0) {
    throw std::runtime_error("cannot listen on " + where + ": " + errno_text(error) +
                             (error == EADDRINUSE ? "; choose another 'listen:' port"
                                                  : "; check the 'listen:' address"));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&bound), &length);
  bound_port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
}

// A connection thread: takes up to kBatchEvents ready events per wake-up
// and serves them in order. When a handler says it is about to block
// (blocking::about_to_block()), the events not started yet go back to
// epoll for other threads, so no ready connection waits behind a cold
// render.
void HttpListener::Impl::run() {
  Scratch scratch;
  Batch batch;
  batch.impl = this;
  blocking::set_hook(&Impl::hand_back, &batch);
  for (;;) {
    const int n = ::epoll_wait(epoll_fd, batch.events, kBatchEvents, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      log::error("http.epoll_wait_failed", {{"reason", errno_text(errno)}});
      break;
    }
    batch.count = n;
    batch.next = 0;
    bool stop = false;
    while (batch.next < batch.count) {
      const epoll_event ev = batch.events[batch.next++];
      if (ev.data.ptr == &stop_tag) {
        stop = true;
        break;
      }
      if (ev.data.ptr == &listen_tag) {
        accept_all();
        continue;
      }
      Connection& c = *static_cast<Connection*>(ev.data.ptr);
      take(c);
      if (stopping.load()) {
        close_connection(c);  // no new request starts once stopping
        continue;
      }
      serve(c, scratch);
    }
    if (stop) {
      hand_back(&batch);  // the rest of the batch goes to the threads still running
      break;
    }
  }
  blocking::set_hook(nullptr, nullptr);
}

// Re-arms every event of the batch not started yet. They were taken from
// epoll but not take()n, so the registry still counts them as armed; MOD
// makes them deliverable again (they are still ready, so they fire at once).
void HttpListener::Impl::hand_back(void* p) {
  auto& batch = *static_cast<Batch*>(p);
  Impl& m = *batch.impl;
  for (; batch.next < batch.count; ++batch.next) {
    void* tag = batch.events[batch.next].data.ptr;
    if (tag == &m.stop_tag) continue;  // level-triggered: every thread sees it anyway
    if (tag == &m.listen_tag) {
      m.arm_listener();
      continue;
    }
    auto& c = *static_cast<Connection*>(tag);
    epoll_event ev{};
    ev.events = kConnectionEvents;
    ev.data.ptr = &c;
    std::unique_lock lock(m.registry_mu);
    if (::epoll_ctl(m.epoll_fd, EPOLL_CTL_MOD, c.fd, &ev) == 0) continue;
    lock.unlock();
    m.take(c);
    m.close_connection(c);
  }
}

// Expires deadlines of connections waiting in epoll. It never closes one:
// shutdown() makes its EPOLLONESHOT event fire, and the thread that takes
// the event sees the hang-up and closes it.
void HttpListener::Impl::housekeep() {
  std::unique_lock lock(registry_mu);
  while (!stopping.load()) {
    const auto now = Clock::now();
    auto next = now + kHousekeepingTick;
    for (const auto& c : connections) {
      if (!c->armed) continue;
      if (c->expires <= now) {
        ::shutdown(c->fd, SHUT_RDWR);
        c->expires = Clock::time_point::max();
      } else {
        next = std::min(next, c->expires);
      }
    }
    if (listener_parked) {
      listener_parked = false;
      arm_listener();
    }
    housekeeper_cv.wait_until(lock, next, [this] { return stopping.load(); });
  }
}

void HttpListener::Impl::arm_listener() {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.ptr = &listen_tag;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev) != 0) {
    log::error("http.listen_rearm_failed", {{"reason", errno_text(errno)}});
  }
}

// The thread that got the listening socket accepts until the backlog is
// empty, then re-arms it.
void HttpListener::Impl::accept_all() {
  for (;;) {
    if (stopping.load()) return;  // not re-armed: nothing is accepted any more
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      admit(fd);
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) break;
    // Errors of one pending connection (accept(2)): skip it.
    if (error == EINTR || error == ECONNABORTED || error == EPROTO || error == ENETDOWN ||
        error == ENOPROTOOPT || error == EHOSTDOWN || error == ENONET || error == EHOSTUNREACH ||
        error == EOPNOTSUPP || error == ENETUNREACH) {
      continue;
    }
    if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
      // Re-arming now would wake a thread at once for the same pending
      // connection; the housekeeper re-arms on its next tick instead.
      log::warn("http.accept_paused", {{"reason", errno_text(error)}});
      std::lock_guard lock(registry_mu);
      listener_parked = true;
      return;
    }
    log::error("http.accept_failed", {{"reason", errno_text(error)}});
    break;
  }
  arm_listener();
}

void HttpListener::Impl::admit(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto owned = std::make_unique<Connection>(fd, limits);
  Connection& c = *owned;
  // The first request must be complete within io_timeout of the accept.
  c.deadline = Clock::now() + options.io_timeout;
  epoll_event ev{};
  ev.events = kConnectionEvents;
  ev.data.ptr = &c;
  bool full = false;
  int error = 0;
  {
    // Registered under the registry lock, like rearm().
    std::lock_guard lock(registry_mu);
    if (connections.size() >= static_cast<std::size_t>(std::max(1, options.max_connections))) {
      full = true;
    } else {
      c.slot = connections.size();
      c.armed = true;
      c.expires = c.deadline;
      connections.push_back(std::move(owned));
      if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0) return;
      error = errno;
      owned = std::move(connections.back());  // never armed: nobody else saw it
      connections.pop_back();
    }
  }
  if (full) {
    // Beyond max_connections. Best effort: the socket buffer of a new
    // connection takes this small answer at once; a client that already
    // sent its request may see a reset instead, which is a refusal too.
    const std::string& answer = busy_answer();
    [[maybe_unused]] const ssize_t sent =
        ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  } else {
    log::error("http.register_failed", {{"reason", errno_text(error)}});
  }
  ::close(fd);
}

void HttpListener::Impl::take(Connection& c) {
  std::lock_guard lock(registry_mu);
  c.armed = false;
}

// Hands the connection back to epoll. The epoll_ctl() runs under the
// registry lock, and the thread that receives the next event takes that lock
// first (take()), so all this thread did to `c` happens before that thread
// touches it; nothing here touches `c` after the unlock.
void HttpListener::Impl::rearm(Connection& c) {
  if (stopping.load() || c.deadline <= Clock::now()) {
    close_connection(c);
    return;
  }
  epoll_event ev{};
  ev.events = kConnectionEvents;
  ev.data.ptr = &c;
  std::unique_lock lock(registry_mu);
  c.armed = true;
  c.expires = c.deadline;
  // MOD re-checks readiness: bytes that arrived meanwhile fire at once.
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev) == 0) return;
  const int error = errno;
  c.armed = false;  // never armed, so still ours
  lock.unlock();
  log::error("http.rearm_failed", {{"reason", errno_text(error)}});
  close_connection(c);
}

// Closing a socket with unread input makes the kernel send a reset, which
// can destroy the answer just written before the client reads it (a client
// still sending the body of a refused request). So the write side is shut
// (the client sees the end of the answer), the rest of the input is read
// and dropped, and the socket is closed at the client's end of stream or
// after at most kMaxLinger.
void HttpListener::Impl::linger(Connection& c) {
  ::shutdown(c.fd, SHUT_WR);
  c.draining = true;
  c.deadline = Clock::now() + std::min<std::chrono::seconds>(options.io_timeout, kMaxLinger);
  rearm(c);
}

void HttpListener::Impl::close_connection(Connection& c) {
  std::unique_ptr<Connection> owned;
  {
    std::lock_guard lock(registry_mu);
    const std::size_t slot = c.slot;
    owned = std::move(connections[slot]);
    if (slot + 1 != connections.size()) {
      connections[slot] = std::move(connections.back());
      connections[slot]->slot = slot;
    }
    connections.pop_back();
  }
  // Explicit, because close() leaves the registration in place while a
  // forked child still holds a copy of the descriptor.
  ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, owned->fd, nullptr);
  ::close(owned->fd);
}

void HttpListener::Impl::serve(Connection& c, Scratch& s) {
  ssize_t n;
  do {
    n = ::recv(c.fd, s.in.data(), s.in.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    rearm(c);
    return;
  }
  if (n <= 0) {  // end of stream (or the housekeeper's shutdown), or an error
    close_connection(c);
    return;
  }
  if (c.draining) {  // lingering close: the bytes are dropped
    rearm(c);
    return;
  }
  // process() never gives the connection away, so whatever it throws
  // (allocation failures), the connection is still ours to close.
  Next next = Next::close;
  try {
    next = process(c, std::string_view(s.in.data(), static_cast<std::size_t>(n)), s);
  } catch (const std::exception& e) {
    log::error("http.connection_failed", {{"what", e.what()}});
  } catch (...) {
    log::error("http.connection_failed", {{"what", "unknown exception"}});
  }
  switch (next) {
    case Next::rearm:
      rearm(c);
      break;
    case Next::linger:
      linger(c);
      break;
    case Next::close:
      close_connection(c);
      break;
  }
}

// Parses and answers every request complete in `bytes`, in order, and says
// what to do with the connection next.
HttpListener::Impl::Next HttpListener::Impl::process(Connection& c, std::string_view bytes,
                                                     Scratch& s) {
  for (;;) {
    // A request must be complete within io_timeout of its first byte; the
    // deadline is set once and not moved by later bytes. (The first request
    // keeps the deadline of the accept.)
    if (!c.parser.started() && c.served > 0) c.deadline = Clock::now() + options.io_timeout;
    const ParseResult result = c.parser.feed(bytes);
    bytes.remove_prefix(result.consumed);
    if (result.state == ParseState::need_more) {
      if (result.expect_continue && !send_all(c.fd, kContinue, {})) return Next::close;
      return Next::rearm;
    }
    if (result.state == ParseState::error) {
      const Request& partial = c.parser.request();
      const Response answer = refuse(partial, result.error);
      const bool sent = write_response(s, c.fd, answer, partial.method == "HEAD", true, 1);
      return sent ? Next::linger : Next::close;
    }
    Request request = std::move(c.parser.request());
    c.parser.reset();
    ++c.served;
    const Response answer = call(request);
    const bool close =
        !result.keep_alive || c.served >= options.max_keep_alive_requests || stopping.load();
    if (!write_response(s, c.fd, answer, request.method == "HEAD", close, result.version_minor)) {
      return Next::close;
    }
    if (close) {
      // With more input pipelined behind, a plain close would reset the
      // connection and could cut this answer short.
      return bytes.empty() ? Next::close : Next::linger;
    }
    if (bytes.empty()) {
      c.deadline = Clock::now() + options.keep_alive_timeout;
      return Next::rearm;
    }
  }
}

Response HttpListener::Impl::call(Request& request) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    log::error("http.handler_failed", {{"path", request.path}, {"what", e.what()}});
  } catch (...) {
    log::error("http.handler_failed", {{"path", request.path}, {"what", "unknown exception"}});
  }
  return plain(500, "the server failed on this request; see the server log\n");
}

Response HttpListener::Impl::refuse(const Request& partial, const ParseError& error) {
  try {
    return on_error(partial, error);
  } catch (const std::exception& e) {
    log::error("http.error_handler_failed", {{"rule", error.rule}, {"what", e.what()}});
  } catch (...) {
    log::error("http.error_handler_failed", {{"rule", error.rule}, {"what", "unknown exception"}});
  }
  return plain(error.status, error.message + "\n");
}

bool HttpListener::Impl::write_response(Scratch& s, int fd, const Response& answer, bool head_only,
                                        bool close, int version_minor) {
  const Response* r = &answer;
  Response replacement;
  if (!writable(answer)) {
    log::error("http.invalid_response", {{"status", std::to_string(answer.status)}});
    replacement = plain(500, "the server produced an invalid answer; see the server log\n");
    r = &replacement;
  }
  const bool has_body = status_has_body(r->status);
  std::string& h = s.head;
  h.clear();
  h += "HTTP/1.1 ";
  append_number(h, static_cast<std::size_t>(r->status));
  h += ' ';
  h += reason_phrase(r->status);
  h += "\r\nDate: ";
  h += http_date(s);
  h += "\r\n";
  if (has_body) {
    // HEAD: the Content-Length of the GET, no body.
    h += "Content-Type: ";
    h += r->content_type;
    h += "\r\nContent-Length: ";
    append_number(h, r->body.size());
    h += "\r\n";
  }
  for (const auto& [name, value] : r->headers) {
    if (reserved_header(name)) continue;
    h += name;
    h += ": ";
    h += value;
    h += "\r\n";
  }
  if (close) {
    h += "Connection: close\r\n";
  } else if (version_minor == 0) {
    h += "Connection: keep-alive\r\n";  // HTTP/1.0 closes unless told otherwise
  }
  h += "\r\n";
  const std::string_view body = has_body && !head_only ? std::string_view(r->body) : "";
  return send_all(fd, h, body);
}

// One sendmsg() (a writev() that does not raise SIGPIPE when the client has
// gone) for head and body; when the socket buffer is full, waits on this
// thread for the client to take bytes. Each wait is bounded by io_timeout,
// and the whole answer by io_timeout plus one second per 64 KiB: a client
// that reads a byte now and then cannot hold a thread for much longer than
// an honest slow one would.
bool HttpListener::Impl::send_all(int fd, std::string_view head, std::string_view body) const {
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(body.data()), body.size()}};
  iovec* next = iov;
  std::size_t count = body.empty() ? 1 : 2;
  const auto deadline = std::chrono::steady_clock::now() + options.io_timeout +
                        std::chrono::seconds((head.size() + body.size()) / (64 * 1024));
  while (count > 0) {
    msghdr message{};
    message.msg_iov = next;
    message.msg_iovlen = count;
    const ssize_t n = ::sendmsg(fd, &message, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      pollfd p{fd, POLLOUT, 0};
      int ready;
      do {
        const auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 deadline - std::chrono::steady_clock::now())
                                 .count();
        const auto io_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(options.io_timeout).count();
        if (left_ms <= 0) return false;  // the whole answer took too long
        ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, io_ms)));
      } while (ready < 0 && errno == EINTR);
      if (ready <= 0) return false;  // timed out: the client stopped reading
      continue;
    }
    auto left = static_cast<std::size_t>(n);
    while (count > 0 && left >= next->iov_len) {
      left -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + left;
      next->iov_len -= left;
    }
  }
  return true;
}

}  // namespace vitrine::server::net
