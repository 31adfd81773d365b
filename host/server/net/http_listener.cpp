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
#include <list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "blocking/blocking.h"
#include "log/log.h"
#include "server/net/client_limits.h"
#include "server/net/forwarded_for.h"
#include "server/net/ip_address.h"

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

// Hang-up watch events the housekeeper takes per wake-up.
constexpr int kWatchEvents = 16;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// The listener's refusals. The metric label of each is the id without
// "http-" (vitrine_http_refused_total{reason="connections-per-client"}).
namespace rules {
constexpr std::string_view kConnectionsPerClient =
    "http-connections-per-client";  // a client address holds max_connections_per_client connections
constexpr std::string_view kRateLimited =
    "http-rate-limited";  // a client address sent more requests than its per-second budget
constexpr std::string_view kMaxConnections =
    "http-max-connections";  // the server holds max_connections and none of them is idle
constexpr std::string_view kRequestTimeout =
    "http-request-timeout";  // a started request did not arrive completely within io_timeout
constexpr std::string_view kBlockedHandlers =
    "http-blocked-handlers";  // max_blocked_handlers handlers already wait: this one must not
}  // namespace rules

// Why the housekeeper woke a connection waiting in epoll.
enum class Wake { none, deadline, reclaimed };

// A connection. Its fields are touched only by the thread that owns it (the
// one that received its EPOLLONESHOT event), except those marked
// [registry_mu], which the housekeeper reads.
struct Connection {
  Connection(int socket, const ParseLimits& limits, const IpAddress& from)
      : fd(socket), parser(limits), peer(from) {}

  const int fd;
  RequestParser parser;
  const IpAddress peer;
  bool peer_trusted = false;   // a trusted proxy: X-Forwarded-For names the client
  bool counted = false;        // counted in the per-client table: uncount at close
  Clock::time_point deadline;  // the current request (or idle wait) must end by then
  int served = 0;              // requests answered
  bool draining = false;       // lingering close: input is read and dropped
  // The cancel of the current request. Reused while nobody else holds it
  // and it is not cancelled (no allocation per warm request); replaced only
  // under registry_mu, so stop() can cancel every connection's.
  std::shared_ptr<blocking::Cancel> cancel;
  bool armed = false;         // [registry_mu] waiting in epoll, owned by no thread
  Clock::time_point expires;  // [registry_mu] deadline as of arming
  // [registry_mu] when it went idle between requests (max: not idle), for
  // reclaiming the oldest idle connection first.
  Clock::time_point idle_since = Clock::time_point::max();
  Wake wake = Wake::none;  // [registry_mu] set by the housekeeper or admit()
  std::size_t slot = 0;    // [registry_mu] index in Impl::connections
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

// A refusal written before any byte of the request is read (the client
// has not said what it wants, so there is no JSON/page choice to make).
std::string fixed_answer(int status, std::string_view reason, const std::string& body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                    "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                    std::to_string(body.size()) +
                    "\r\nX-Content-Type-Options: nosniff\r\nRetry-After: 1\r\n"
                    "Connection: close\r\n\r\n";
  return out + body;
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

// A request field by lower-case name; empty when absent. (The parser joins
// repeated X-Forwarded-For fields in order.)
std::string_view header(const Request& r, const std::string& name) {
  const auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

struct HttpListener::Impl : std::enable_shared_from_this<Impl> {
  Impl(ListenerOptions o, Handler h, ErrorHandler e)
      : options(std::move(o)),
        handler(std::move(h)),
        on_error(std::move(e)),
        clients(ClientLimitOptions{options.max_connections_per_client,
                                   options.requests_per_second_per_client,
                                   options.request_burst_per_client, kMaxTrackedClients}),
        threads_wanted(std::max(1, options.threads)),
        max_blocked(std::max(0, options.max_blocked_handlers)),
        per_client_answer(
            fixed_answer(503, "Service Unavailable",
                         "too many open connections from your address (the limit is " +
                             std::to_string(options.max_connections_per_client) +
                             "); close idle ones and retry [" +
                             std::string(rules::kConnectionsPerClient) + "]\n")),
        full_answer(fixed_answer(503, "Service Unavailable",
                                 "the server has too many open connections; retry shortly [" +
                                     std::string(rules::kMaxConnections) + "]\n")) {
    limits.max_body_bytes = options.max_body_bytes;
  }
  ~Impl() { close_all(); }

  // Clients remembered by the per-client table at most (about 100 bytes
  // each): a flood of distinct addresses cannot grow it without bound.
  static constexpr std::size_t kMaxTrackedClients = 65536;

  struct ThreadSlot {
    std::thread thread;
    bool done = false;  // [pool_mu] run() returned; join() does not wait
  };

  // One connection thread's state, and the argument of its blocking hook.
  struct Worker {
    Impl* impl = nullptr;
    // The events taken from epoll in one wake-up; events[next..count) are
    // not started yet.
    epoll_event events[kBatchEvents]{};
    int count = 0;
    int next = 0;
    Scratch scratch;
    Connection* current = nullptr;  // whose handler runs now
    bool blocked = false;           // counted in Impl::blocked
    std::uint64_t watch_id = 0;     // in the hang-up watch (0: not)
    bool surplus = false;           // not counted in `serving`: exit when done
  };

  void open_socket();
  void run(ThreadSlot& slot);
  void spawn_locked();               // [pool_mu]
  void reap_locked();                // [pool_mu]
  void pool_changed_locked() const;  // [pool_mu]
  static void hand_back(Worker& w);
  static bool on_block(void* worker);
  void end_block(Worker& w);
  void housekeep();
  void accept_all();
  void admit(int fd, const sockaddr_storage& peer);
  void arm_listener();
  enum class Next { rearm, linger, close };
  void serve(Connection& c, Worker& w);
  void expire(Connection& c, Wake wake, Worker& w);
  Next process(Connection& c, std::string_view bytes, Worker& w);
  Response call(Connection& c, Request& request, Worker& w);
  Response refuse(const Request& partial, const ParseError& error);
  bool write_response(Scratch& s, int fd, const Response& answer, bool head_only, bool close,
                      int version_minor);
  bool send_all(int fd, std::string_view head, std::string_view body) const;
  Wake take(Connection& c);
  void rearm(Connection& c);
  void linger(Connection& c);
  void close_connection(Connection& c);
  void refused(std::string_view rule) const;
  void halt();  // stop() without the lifecycle lock
  void close_all();

  const ListenerOptions options;
  ParseLimits limits;
  const Handler handler;
  const ErrorHandler on_error;
  AddressSet trusted;  // set by start()
  ClientTable clients;
  const int threads_wanted;
  const int max_blocked;
  const std::string per_client_answer;
  const std::string full_answer;

  std::mutex lifecycle_mu;  // start() and stop()
  bool running = false;
  bool started = false;
  int epoll_fd = -1;
  int listen_fd = -1;
  int stop_fd = -1;   // eventfd, level-triggered: once written, wakes every thread
  int watch_fd = -1;  // epoll set of the connections of blocked handlers (hang-ups)
  uint16_t bound_port = 0;
  std::atomic<bool> stopping{false};
  // Set when stop() returns: a thread it abandoned must not call the
  // callbacks, whose targets (the server's metrics) may be gone by then.
  std::atomic<bool> muted{false};
  std::thread housekeeper;
  // Distinct addresses that tag the listening socket and the stop eventfd
  // in epoll_event.data.ptr; every other pointer there is a Connection.
  char listen_tag = 0;
  char stop_tag = 0;

  // The connection threads: `threads` of them serve, plus one per blocked
  // handler while fewer would (the bulkhead). A thread whose blocked
  // handler returns when enough others serve exits (`surplus`).
  mutable std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::list<ThreadSlot> pool;  // [pool_mu]
  int serving = 0;             // [pool_mu] threads not in a blocked handler
  int blocked = 0;             // [pool_mu] handlers past about_to_block()
  int live = 0;                // [pool_mu] threads whose run() has not returned

  // The registry: every open connection, owned here; a thread may close and
  // free one only after removing it under this mutex, so the housekeeper
  // never touches a closed descriptor.
  mutable std::mutex registry_mu;
  std::vector<std::unique_ptr<Connection>> connections;
  std::size_t reclaiming = 0;    // [registry_mu] woken to be closed for room, not closed yet
  bool listener_parked = false;  // [registry_mu] accept paused (out of descriptors)

  // Blocked handlers' cancels by watch id (epoll_event.data.u64 in
  // watch_fd; 0 is the stop eventfd). An id, not a pointer: an event the
  // housekeeper took may arrive after the handler returned.
  std::mutex watch_mu;
  std::uint64_t next_watch_id = 0;                                               // [watch_mu]
  std::unordered_map<std::uint64_t, std::shared_ptr<blocking::Cancel>> watched;  // [watch_mu]
};

HttpListener::HttpListener(ListenerOptions options, Handler handler, ErrorHandler on_error)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(handler), std::move(on_error))) {}

HttpListener::~HttpListener() { stop(); }

uint16_t HttpListener::port() const { return impl_->bound_port; }

ListenerStats HttpListener::stats() const {
  const Impl& m = *impl_;
  ListenerStats out;
  {
    std::lock_guard lock(m.pool_mu);
    out.threads = m.live;
    out.blocked_handlers = m.blocked;
  }
  {
    std::lock_guard lock(m.registry_mu);
    out.connections = m.connections.size();
  }
  out.tracked_clients = m.clients.size();
  return out;
}

void HttpListener::start() {
  Impl& m = *impl_;
  std::lock_guard lock(m.lifecycle_mu);
  if (m.started) return;                              // one start per listener
  m.trusted = AddressSet(m.options.trusted_proxies);  // throws std::invalid_argument
  m.started = true;
  m.open_socket();
  try {
    m.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    m.watch_fd = ::epoll_create1(EPOLL_CLOEXEC);
    m.stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m.epoll_fd < 0 || m.watch_fd < 0 || m.stop_fd < 0) {
      throw std::runtime_error("cannot create the HTTP event loop: " + errno_text(errno));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered, never read: every epoll_wait sees it
    ev.data.ptr = &m.stop_tag;
    if (::epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, m.stop_fd, &ev) != 0) {
      throw std::runtime_error("cannot create the HTTP event loop: " + errno_text(errno));
    }
    ev.data.u64 = 0;
    if (::epoll_ctl(m.watch_fd, EPOLL_CTL_ADD, m.stop_fd, &ev) != 0) {
      throw std::runtime_error("cannot create the HTTP event loop: " + errno_text(errno));
    }
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.ptr = &m.listen_tag;
    if (::epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, m.listen_fd, &ev) != 0) {
      throw std::runtime_error("cannot create the HTTP event loop: " + errno_text(errno));
    }
  } catch (...) {
    m.close_all();
    throw;
  }
  m.running = true;
  try {
    {
      std::lock_guard pool(m.pool_mu);
      for (int i = 0; i < m.threads_wanted; ++i) m.spawn_locked();
    }
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
    // Every running request learns that its answer may not be wanted: the
    // engine stops waiting and answers with what it has.
    std::lock_guard registry(registry_mu);
    for (const auto& c : connections) {
      if (c->cancel) c->cancel->cancel(blocking::CancelReason::server_stopping);
    }
  }
  // Threads in a handler finish it and write the answer first, within the
  // grace period.
  bool abandoned = false;
  {
    std::unique_lock pool_lock(pool_mu);
    const auto until = Clock::now() + options.shutdown_grace;
    pool_cv.wait_until(pool_lock, until, [this] { return live == 0; });
    abandoned = live > 0;
    if (abandoned) {
      log::warn("http.stop_abandoned_handlers",
                {{"handlers", std::to_string(live)},
                 {"grace_ms", std::to_string(options.shutdown_grace.count())}});
    }
    for (auto it = pool.begin(); it != pool.end();) {
      if (it->done) {
        it->thread.join();
        it = pool.erase(it);
      } else {
        // Still in a handler after the grace: it keeps this Impl (and so
        // its slot) alive through its reference, and frees its connection
        // itself.
        it->thread.detach();
        ++it;
      }
    }
  }
  if (housekeeper.joinable()) housekeeper.join();
  {
    // What is armed waits in epoll, idle or mid-request: close it. What
    // is not armed belongs to an abandoned handler: shut it down so its
    // client sees the end now, and leave the descriptor to its thread.
    std::lock_guard registry(registry_mu);
    std::vector<std::unique_ptr<Connection>> kept;
    for (auto& c : connections) {
      if (c->armed) {
        if (c->counted) clients.close(c->peer);
        ::close(c->fd);
      } else {
        ::shutdown(c->fd, SHUT_RDWR);
        c->slot = kept.size();
        kept.push_back(std::move(c));
      }
    }
    connections = std::move(kept);
  }
  {
    std::lock_guard pool_lock(pool_mu);  // on_pool_change runs under this lock
    muted = true;
  }
  ::close(listen_fd);  // frees the port now, even when handlers were abandoned
  listen_fd = -1;
  if (!abandoned) close_all();
  running = false;
}

// Descriptors of the event loop; with abandoned handlers, the last of their
// threads runs it (through ~Impl).
void HttpListener::Impl::close_all() {
  for (const auto& c : connections) ::close(c->fd);
  connections.clear();
  for (int* fd : {&listen_fd, &stop_fd, &watch_fd, &epoll_fd}) {
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

// Starts one more connection thread. Its lambda holds a reference to this
// Impl, so a thread abandoned by stop() never outlives what it uses.
void HttpListener::Impl::spawn_locked() {
  reap_locked();
  ThreadSlot& slot = pool.emplace_back();
  try {
    slot.thread = std::thread([self = shared_from_this(), &slot] { self->run(slot); });
  } catch (...) {
    pool.pop_back();
    throw;
  }
  ++live;
  ++serving;
  pool_changed_locked();
}

void HttpListener::Impl::pool_changed_locked() const {
  if (!options.on_pool_change || muted.load()) return;
  try {
    options.on_pool_change(live, blocked);
  } catch (...) {
    // Gauges must never take a connection thread down.
  }
}

// Joins threads that have exited (spares whose blocked handler returned).
void HttpListener::Impl::reap_locked() {
  for (auto it = pool.begin(); it != pool.end();) {
    if (it->done) {
      if (it->thread.joinable()) it->thread.join();  // run() returned: only its exit is left
      it = pool.erase(it);
    } else {
      ++it;
    }
  }
}

// A connection thread: takes up to kBatchEvents ready events per wake-up
// and serves them in order. When a handler says it is about to block
// (blocking::about_to_block()), the events not started yet go back to
// epoll for other threads, so no ready connection waits behind a cold
// render.
void HttpListener::Impl::run(ThreadSlot& slot) {
  Worker w;
  w.impl = this;
  blocking::set_hook(&Impl::on_block, &w);
  bool stop = false;
  while (!stop && !w.surplus) {
    const int n = ::epoll_wait(epoll_fd, w.events, kBatchEvents, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      log::error("http.epoll_wait_failed", {{"reason", errno_text(errno)}});
      break;
    }
    w.count = n;
    w.next = 0;
    while (w.next < w.count && !w.surplus) {
      const epoll_event ev = w.events[w.next++];
      if (ev.data.ptr == &stop_tag) {
        stop = true;
        break;
      }
      if (ev.data.ptr == &listen_tag) {
        accept_all();
        continue;
      }
      Connection& c = *static_cast<Connection*>(ev.data.ptr);
      const Wake wake = take(c);
      if (stopping.load()) {
        close_connection(c);  // no new request starts once stopping
        continue;
      }
      if (wake != Wake::none) {
        expire(c, wake, w);
        continue;
      }
      serve(c, w);
    }
    // The rest of the batch goes to the threads that stay.
    if (stop || w.surplus) hand_back(w);
  }
  blocking::set_hook(nullptr, nullptr);
  std::lock_guard lock(pool_mu);
  if (!w.surplus) --serving;
  --live;
  pool_changed_locked();
  slot.done = true;
  pool_cv.notify_all();
}

// Re-arms every event of the batch not started yet. They were taken from
// epoll but not take()n, so the registry still counts them as armed; MOD
// makes them deliverable again (they are still ready, so they fire at once).
void HttpListener::Impl::hand_back(Worker& w) {
  Impl& m = *w.impl;
  for (; w.next < w.count; ++w.next) {
    void* tag = w.events[w.next].data.ptr;
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

// The blocking hook (blocking.h): hands the batch back, counts the thread
// as blocked (starting a spare one so `threads` keep serving), and watches
// the connection for the client's hang-up. Runs once per request; later
// calls of the same handler only hand back.
bool HttpListener::Impl::on_block(void* worker) {
  auto& w = *static_cast<Worker*>(worker);
  Impl& m = *w.impl;
  hand_back(w);
  if (w.blocked || w.current == nullptr) return true;
  {
    std::lock_guard lock(m.pool_mu);
    if (m.blocked >= m.max_blocked) {
      // Not counted as blocked: the caller answers without waiting.
      m.refused(rules::kBlockedHandlers);
      return false;
    }
    ++m.blocked;
    w.blocked = true;
    m.pool_changed_locked();
    if (!w.surplus) --m.serving;
    if (m.serving < m.threads_wanted && !m.stopping.load()) {
      try {
        m.spawn_locked();
      } catch (const std::system_error& e) {
        // Fewer threads serve until this handler returns; not fatal.
        log::error("http.spare_thread_failed", {{"what", e.what()}});
      }
    }
  }
  Connection& c = *w.current;
  std::lock_guard lock(m.watch_mu);
  const std::uint64_t id = ++m.next_watch_id;
  epoll_event ev{};
  // EPOLLHUP and EPOLLERR are always reported; EPOLLIN is not asked for, so
  // a client pipelining its next request does not count as gone.
  ev.events = EPOLLRDHUP | EPOLLONESHOT;
  ev.data.u64 = id;
  if (::epoll_ctl(m.watch_fd, EPOLL_CTL_ADD, c.fd, &ev) == 0) {
    m.watched.emplace(id, c.cancel);
    w.watch_id = id;
  }
  return true;
}

// After a handler returns: stops watching its connection and, if it was
// blocked, makes its thread serve again, or retire when `threads` others
// already serve.
void HttpListener::Impl::end_block(Worker& w) {
  if (w.watch_id != 0) {
    std::lock_guard lock(watch_mu);
    watched.erase(w.watch_id);
    ::epoll_ctl(watch_fd, EPOLL_CTL_DEL, w.current->fd, nullptr);
    w.watch_id = 0;
  }
  if (!w.blocked) return;
  std::lock_guard lock(pool_mu);
  --blocked;
  w.blocked = false;
  pool_changed_locked();
  if (w.surplus) return;
  if (serving >= threads_wanted || stopping.load()) {
    w.surplus = true;
  } else {
    ++serving;
  }
}

// Expires deadlines of connections waiting in epoll and cancels the
// requests of blocked handlers whose client hung up. It never closes a
// connection: shutting its read side down makes its EPOLLONESHOT event
// fire, and the thread that takes the event sees `wake` and answers 408 or
// closes it.
void HttpListener::Impl::housekeep() {
  epoll_event events[kWatchEvents];
  while (!stopping.load()) {
    const auto now = Clock::now();
    auto next = now + kHousekeepingTick;
    {
      std::lock_guard lock(registry_mu);
      for (const auto& c : connections) {
        if (!c->armed || c->wake != Wake::none) continue;
        if (c->expires <= now) {
          c->wake = Wake::deadline;
          ::shutdown(c->fd, SHUT_RD);
        } else {
          next = std::min(next, c->expires);
        }
      }
      if (listener_parked) {
        listener_parked = false;
        arm_listener();
      }
    }
    clients.sweep(now);
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now());
    const int n = ::epoll_wait(watch_fd, events, kWatchEvents,
                               static_cast<int>(std::max<int64_t>(0, wait.count())));
    for (int i = 0; i < n; ++i) {
      const std::uint64_t id = events[i].data.u64;
      if (id == 0) continue;  // the stop eventfd
      std::lock_guard lock(watch_mu);
      auto it = watched.find(id);
      if (it != watched.end()) it->second->cancel(blocking::CancelReason::client_gone);
    }
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
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      admit(fd, peer);
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

void HttpListener::Impl::refused(std::string_view rule) const {
  if (!options.on_refused || muted.load()) return;
  try {
    options.on_refused(rule.substr(5));  // without "http-"
  } catch (...) {
    // Counting must never take a connection thread down.
  }
}

void HttpListener::Impl::admit(int fd, const sockaddr_storage& peer) {
  const auto now = Clock::now();
  const IpAddress address = ip_of(peer);
  const bool trusted_peer = !trusted.empty() && trusted.contains(address);
  bool counted = false;
  // A trusted proxy carries many clients: its connections are not capped
  // per address (the global max_connections still applies).
  if (!trusted_peer && options.max_connections_per_client > 0) {
    const auto admission = clients.open(address, now);
    if (admission == ClientTable::Admission::refused) {
      refused(rules::kConnectionsPerClient);
      // Best effort, like the answer below.
      [[maybe_unused]] const ssize_t sent = ::send(
          fd, per_client_answer.data(), per_client_answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      return;
    }
    counted = admission == ClientTable::Admission::counted;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto owned = std::make_unique<Connection>(fd, limits, address);
  Connection& c = *owned;
  c.peer_trusted = trusted_peer;
  c.counted = counted;
  // The first request must be complete within io_timeout of the accept.
  c.deadline = now + options.io_timeout;
  c.cancel = std::make_shared<blocking::Cancel>();
  epoll_event ev{};
  ev.events = kConnectionEvents;
  ev.data.ptr = &c;
  bool full = false;
  int error = 0;
  {
    // Registered under the registry lock, like rearm().
    std::lock_guard lock(registry_mu);
    const auto limit = static_cast<std::size_t>(std::max(1, options.max_connections));
    if (connections.size() - reclaiming >= limit) {
      // Under pressure an idle keep-alive connection costs its client only
      // a reconnect, while refusing this one costs a failed request: close
      // the one idle longest to make room.
      Connection* victim = nullptr;
      for (const auto& other : connections) {
        if (!other->armed || other->wake != Wake::none) continue;
        if (other->idle_since == Clock::time_point::max()) continue;
        if (victim == nullptr || other->idle_since < victim->idle_since) victim = other.get();
      }
      if (victim != nullptr) {
        victim->wake = Wake::reclaimed;
        ++reclaiming;
        // Counted before the close anyone can see (the callback only
        // counts; it takes no lock of ours).
        if (options.on_reclaimed && !muted.load()) {
          try {
            options.on_reclaimed();
          } catch (...) {
            // Counting must never take a connection thread down.
          }
        }
        ::shutdown(victim->fd, SHUT_RD);  // its thread closes it
      } else {
        full = true;
      }
    }
    if (!full) {
      c.slot = connections.size();
      c.armed = true;
      c.expires = c.deadline;
      connections.push_back(std::move(owned));
      if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        error = errno;
        owned = std::move(connections.back());  // never armed: nobody else saw it
        connections.pop_back();
      }
    }
  }
  if (owned == nullptr) return;  // registered
  if (counted) clients.close(address);
  if (full) {
    // Beyond max_connections. Best effort: the socket buffer of a new
    // connection takes this small answer at once; a client that already
    // sent its request may see a reset instead, which is a refusal too.
    refused(rules::kMaxConnections);
    [[maybe_unused]] const ssize_t sent =
        ::send(fd, full_answer.data(), full_answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  } else {
    log::error("http.register_failed", {{"reason", errno_text(error)}});
  }
  ::close(fd);
}

Wake HttpListener::Impl::take(Connection& c) {
  std::lock_guard lock(registry_mu);
  c.armed = false;
  return c.wake;
}

// Hands the connection back to epoll. The epoll_ctl() runs under the
// registry lock, and the thread that receives the next event takes that lock
// first (take()), so all this thread did to `c` happens before that thread
// touches it; nothing here touches `c` after the unlock.
void HttpListener::Impl::rearm(Connection& c) {
  const auto now = Clock::now();
  if (stopping.load() || c.deadline <= now) {
    close_connection(c);
    return;
  }
  const bool idle = c.served > 0 && !c.parser.started() && !c.draining;
  epoll_event ev{};
  ev.events = kConnectionEvents;
  ev.data.ptr = &c;
  std::unique_lock lock(registry_mu);
  c.armed = true;
  c.expires = c.deadline;
  c.idle_since = idle ? now : Clock::time_point::max();
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
    if (owned->wake == Wake::reclaimed) --reclaiming;
  }
  if (owned->counted) clients.close(owned->peer);
  // Explicit, because close() leaves the registration in place while a
  // forked child still holds a copy of the descriptor.
  ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, owned->fd, nullptr);
  ::close(owned->fd);
}

// A connection the housekeeper woke: its deadline passed, or it was
// reclaimed for room. A request of which some bytes arrived gets 408;
// anything else (no request yet, idle keep-alive, lingering) just closes.
void HttpListener::Impl::expire(Connection& c, Wake wake, Worker& w) {
  if (wake == Wake::deadline && c.parser.started() && !c.draining) {
    refused(rules::kRequestTimeout);
    const ParseError error{408, std::string(rules::kRequestTimeout),
                           "the request did not arrive completely within " +
                               std::to_string(options.io_timeout.count()) +
                               " s of its first byte; send it at once"};
    const Request& partial = c.parser.request();
    const Response answer = refuse(partial, error);
    if (write_response(w.scratch, c.fd, answer, partial.method == "HEAD", true, 1)) {
      // The read side is shut already; drop what is queued so close()
      // does not turn into a reset that destroys the answer.
      ::shutdown(c.fd, SHUT_WR);
      char sink[4096];
      while (::recv(c.fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
      }
    }
  }
  close_connection(c);
}

void HttpListener::Impl::serve(Connection& c, Worker& w) {
  Scratch& s = w.scratch;
  ssize_t n;
  do {
    n = ::recv(c.fd, s.in.data(), s.in.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    rearm(c);
    return;
  }
  if (n <= 0) {  // end of stream, or an error
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
    next = process(c, std::string_view(s.in.data(), static_cast<std::size_t>(n)), w);
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
                                                     Worker& w) {
  Scratch& s = w.scratch;
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
    int retry_after = 0;
    if (clients.rate_limited()) {
      IpAddress client = c.peer;
      if (c.peer_trusted) {
        client = forwarded_client(c.peer, header(request, "x-forwarded-for"), trusted);
      }
      retry_after = clients.take(client, Clock::now());
    }
    request.client = (c.peer_trusted
                          ? forwarded_client(c.peer, header(request, "x-forwarded-for"), trusted)
                          : c.peer)
                         .to_string();
    Response answer;
    if (retry_after > 0) {
      refused(rules::kRateLimited);
      const ParseError error{
          429, std::string(rules::kRateLimited),
          "too many requests from your address; retry after " + std::to_string(retry_after) + " s"};
      answer = refuse(request, error);
      answer.headers.emplace_back("Retry-After", std::to_string(retry_after));
    } else {
      answer = call(c, request, w);
    }
    // After the handler: a stop() while it ran closes the connection.
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

// Runs the handler with the request's cancel current on this thread.
Response HttpListener::Impl::call(Connection& c, Request& request, Worker& w) {
  if (!c.cancel || c.cancel.use_count() > 1 || c.cancel->cancelled()) {
    // Still held by work for the previous request, or spent: a fresh one,
    // swapped under the registry lock so stop() cancels the right one.
    auto fresh = std::make_shared<blocking::Cancel>();
    std::lock_guard lock(registry_mu);
    if (stopping.load()) fresh->cancel(blocking::CancelReason::server_stopping);
    c.cancel = std::move(fresh);
  }
  blocking::set_current(c.cancel);
  w.current = &c;
  Response answer;
  bool answered = false;
  try {
    answer = handler(request);
    answered = true;
  } catch (const std::exception& e) {
    log::error("http.handler_failed", {{"path", request.path}, {"what", e.what()}});
  } catch (...) {
    log::error("http.handler_failed", {{"path", request.path}, {"what", "unknown exception"}});
  }
  end_block(w);
  w.current = nullptr;
  blocking::set_current(nullptr);
  if (!answered) answer = plain(500, "the server failed on this request; see the server log\n");
  return answer;
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
