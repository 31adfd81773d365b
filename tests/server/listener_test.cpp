// The epoll listener (host/server/net/http_listener.h) over real loopback
// sockets with a tiny handler: keep-alive, pipelining, HEAD, deadlines
// (slow clients, idle connections), limits, blocking handlers, large
// answers to slow readers, many clients, stop() and bind errors.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "blocking/blocking.h"
#include "log/log.h"
#include "server/listener_client.h"
#include "server/listener_support.h"
#include "server/net/http_listener.h"

namespace vitrine::server::net {
namespace {

using namespace std::chrono_literals;
// Client, get(), the fixture and the helpers both listener test files use.
using namespace testing_support;

class Listener : public ListenerFixture {
 protected:
  void SetUp() override {
    ListenerFixture::SetUp();
    options_.threads = 4;
    options_.max_body_bytes = 1024;
  }

  Response refuse(const Request& partial, const ParseError& e) override {
    {
      std::lock_guard lock(mu_);
      refused_.push_back(e.rule);
      refused_paths_.push_back(partial.path);
    }
    return ListenerFixture::refuse(partial, e);
  }

  Response handle(Request& r) override {
    ++handled_;
    if (r.path == "/hello") return text(200, "hello");
    if (r.path == "/echo") return text(200, r.body);
    if (r.path == "/gate") {
      gate_.enter_and_wait();
      return text(200, "after the gate");
    }
    if (r.path == "/hinted-gate") {  // says it will block, as the render engine does
      blocking::about_to_block();
      gate_.enter_and_wait();
      return text(200, "after the gate");
    }
    if (r.path == "/hold1") {
      hold1_.enter_and_wait();
      return text(200, "held");
    }
    if (r.path == "/hold2") {
      hold2_.enter_and_wait();
      return text(200, "held");
    }
    if (r.path == "/big") {
      std::string body(8 << 20, '\0');
      for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
      return text(200, std::move(body));
    }
    if (r.path == "/split") {
      Response bad = text(200, "x");
      bad.headers.emplace_back("X-Bad", "a\r\nSet-Cookie: injected=1");
      return bad;
    }
    if (r.path == "/throw") throw std::runtime_error("handler bug");
    if (r.path == "/framing") {
      Response f = text(200, "abc");
      f.headers.emplace_back("Content-Length", "999");
      f.headers.emplace_back("Connection", "keep-alive");
      f.headers.emplace_back("X-Kept", "yes");
      return f;
    }
    return text(404, "no " + r.path);
  }

  std::atomic<int> handled_{0};
  Gate gate_, hold1_, hold2_;
  std::mutex mu_;
  std::vector<std::string> refused_;
  std::vector<std::string> refused_paths_;
};

TEST_F(Listener, KeepAliveServesHundredRequestsOnOneConnection) {
  start();
  Client c(port_);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c.send(get("/hello")));
    auto a = c.read();
    ASSERT_TRUE(a) << i;
    EXPECT_EQ(a->status, 200);
    EXPECT_EQ(a->body, "hello");
    EXPECT_EQ(a->header("connection"), "");
    EXPECT_FALSE(a->header("date").empty());
    EXPECT_EQ(a->header("content-type"), "text/plain; charset=utf-8");
  }
  EXPECT_EQ(handled_.load(), 100);
}

TEST_F(Listener, PipelinedRequestsAnswerInOrder) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send(get("/first") +
                     "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\n"
                     "second" +
                     get("/third")));
  auto a = c.read();
  auto b = c.read();
  auto d = c.read();
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(a->body, "no /first");
  EXPECT_EQ(b->body, "second");
  EXPECT_EQ(d->body, "no /third");
}

TEST_F(Listener, HeadHasTheContentLengthOfGetButNoBody) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send("HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n" + get("/hello")));
  auto head = c.read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("content-length"), "5");
  // Had HEAD carried a body, the next answer would not start here.
  auto next = c.read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "hello");
}

TEST_F(Listener, SlowlorisIsCutOffAtTheDeadlineNotExtendedPerByte) {
  options_.io_timeout = 1s;
  start();
  Client c(port_);
  // A first request: the connection is a keep-alive one now.
  ASSERT_TRUE(answered(c, get("/hello")));
  const std::string request = get("/hello", "X-Slow: " + std::string(100, 'z') + "\r\n");
  const auto started = Clock::now();
  bool closed = false;
  for (char ch : request) {
    if (!c.send(std::string_view(&ch, 1))) {
      closed = true;
      break;
    }
    if (c.closed_within(300ms)) {
      closed = true;
      break;
    }
  }
  const auto elapsed = Clock::now() - started;
  EXPECT_TRUE(closed);
  EXPECT_LT(elapsed, 3s);  // deadline 1 s after the first byte, plus one housekeeping tick
  EXPECT_EQ(handled_.load(), 1);
}

TEST_F(Listener, IdleKeepAliveConnectionIsClosed) {
  options_.keep_alive_timeout = 1s;
  start();
  Client c(port_);
  ASSERT_TRUE(answered(c, get("/hello")));
  EXPECT_TRUE(c.closed_within(3s));
}

TEST_F(Listener, ConnectionWithoutRequestIsClosedAfterIoTimeout) {
  options_.io_timeout = 1s;
  start();
  Client c(port_);
  EXPECT_TRUE(c.closed_within(3s));
}

TEST_F(Listener, BodyOverLimitAnswers413AndCloses) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2048\r\n\r\n"));
  ASSERT_TRUE(c.send(std::string(2048, 'b')));  // sent anyway, as clients without Expect do
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 413);
  EXPECT_EQ(a->header("connection"), "close");
  EXPECT_TRUE(c.closed_within(3s));
  EXPECT_EQ(handled_.load(), 0);
  std::lock_guard lock(mu_);
  ASSERT_EQ(refused_.size(), 1u);
  EXPECT_EQ(refused_[0], "http-body-too-large");
  EXPECT_EQ(refused_paths_[0], "/echo");
}

TEST_F(Listener, ExpectContinueGetsTheInterimAnswerThenTheFinalOne) {
  start();
  Client c(port_);
  ASSERT_TRUE(
      c.send("PUT /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = c.read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("data"));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, "data");
}

TEST_F(Listener, GarbageAnswers400AndCloses) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send("hello there\r\n\r\n"));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 400);
  EXPECT_EQ(a->header("connection"), "close");
  EXPECT_NE(a->body.find("http-request-line-malformed"), std::string::npos);
  EXPECT_TRUE(c.closed_within(3s));
}

TEST_F(Listener, BareLfAnswers400AndCloses) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\nHost: h\n\n"));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 400);
  EXPECT_NE(a->body.find("http-bare-lf"), std::string::npos);
  EXPECT_TRUE(c.closed_within(3s));
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(Listener, MaxConnectionsIsEnforced) {
  options_.max_connections = 2;
  start();
  Client a(port_);
  Client b(port_);
  const std::string request = get("/hello");
  for (Client* c : {&a, &b}) {  // both accepted and registered
    ASSERT_TRUE(c->send(request));
    ASSERT_TRUE(c->read());
    // Mid-request, so neither is an idle connection to reclaim for room.
    ASSERT_TRUE(c->send(request.substr(0, 10)));
  }
  std::this_thread::sleep_for(50ms);  // both partial requests have been read
  Client third(port_);
  auto busy = third.read();
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(busy->header("connection"), "close");
  EXPECT_TRUE(third.closed_within(3s));
  // The first two still work.
  ASSERT_TRUE(a.send(request.substr(10)));
  EXPECT_TRUE(a.read());
}

TEST_F(Listener, ClosedConnectionsFreeTheirPlace) {
  options_.max_connections = 1;
  start();
  {
    Client a(port_);
    ASSERT_TRUE(a.send(get("/hello", "Connection: close\r\n")));
    ASSERT_TRUE(a.read());
    EXPECT_TRUE(a.closed_within(3s));
  }
  Client b(port_);
  ASSERT_TRUE(b.send(get("/hello")));
  auto answer = b.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
}

TEST_F(Listener, BlockingHandlerDoesNotDelayAnotherConnection) {
  options_.threads = 2;
  start();
  Client slow(port_);
  ASSERT_TRUE(slow.send(get("/gate")));
  gate_.wait_until_inside();
  ASSERT_TRUE(gate_.inside());
  Client quick(port_);
  ASSERT_TRUE(quick.send(get("/hello")));
  auto q = quick.read();
  ASSERT_TRUE(q);
  EXPECT_EQ(q->body, "hello");
  EXPECT_TRUE(gate_.inside());  // answered while the first handler still blocks
  gate_.open();
  auto s = slow.read();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->body, "after the gate");
}

// A thread takes several ready connections per wake-up; the ones it has
// not started must not wait behind a handler that blocks.
TEST_F(Listener, ReadyConnectionsAreHandedBackBeforeAHandlerBlocks) {
  options_.threads = 2;
  start();
  Client a(port_), b(port_), x(port_), y(port_);
  for (Client* c : {&a, &b}) {  // accepted and idle in epoll
    ASSERT_TRUE(answered(*c, get("/hello")));
  }
  // Both threads busy; then a and b become ready together.
  ASSERT_TRUE(x.send(get("/hold1")));
  hold1_.wait_until_inside();
  ASSERT_TRUE(y.send(get("/hold2")));
  hold2_.wait_until_inside();
  ASSERT_TRUE(a.send(get("/hinted-gate")));
  ASSERT_TRUE(b.send(get("/hello")));
  std::this_thread::sleep_for(50ms);  // both requests are in the server's socket buffers
  // The first thread to come free takes a and b in one batch and starts a,
  // whose handler blocks after the hint; b must go back to epoll for the
  // other thread instead of waiting behind it.
  hold1_.open();
  gate_.wait_until_inside();
  hold2_.open();
  auto answer = b.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "hello");
  EXPECT_TRUE(gate_.inside());  // answered while a's handler still blocks
  gate_.open();
  ASSERT_TRUE(a.read());
}

TEST_F(Listener, LargeResponseToASlowReaderArrivesComplete) {
  options_.io_timeout = 5s;
  start();
  Client c(port_, /*rcvbuf=*/16 * 1024);
  ASSERT_TRUE(c.send(get("/big")));
  // Read the head, then the body in small pieces with pauses, so the
  // server's socket buffer fills and it has to wait for us.
  std::string& buf = c.buffered();
  std::size_t end;
  char chunk[16 * 1024];
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(c.fd(), chunk, sizeof chunk, 0);
    ASSERT_GT(n, 0);
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  ASSERT_NE(buf.find("Content-Length: 8388608\r\n"), std::string::npos);
  std::size_t body = buf.size() - end - 4;
  std::size_t mismatches = 0;
  std::size_t offset = 0;
  for (std::size_t i = end + 4; i < buf.size(); ++i, ++offset) {
    mismatches += buf[i] != static_cast<char>('a' + offset % 26);
  }
  int reads = 0;
  while (body < (8u << 20)) {
    const ssize_t n = ::recv(c.fd(), chunk, sizeof chunk, 0);
    ASSERT_GT(n, 0) << "at " << body;
    for (ssize_t i = 0; i < n; ++i, ++offset) {
      mismatches += chunk[i] != static_cast<char>('a' + offset % 26);
    }
    body += static_cast<std::size_t>(n);
    if (++reads % 64 == 0) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(body, 8u << 20);
  EXPECT_EQ(mismatches, 0u);
  // The connection is still usable.
  buf.clear();
  ASSERT_TRUE(c.send(get("/hello")));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, "hello");
}

TEST_F(Listener, ManyConcurrentClientsAreAllAnswered) {
  options_.max_connections = 256;
  start();
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 64; ++t) {
    clients.emplace_back([&, t] {
      try {
        Client c(port_);
        for (int i = 0; i < 50; ++i) {
          const std::string body = std::to_string(t) + "-" + std::to_string(i);
          if (!c.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body)) {
            return;
          }
          auto a = c.read();
          if (a && a->status == 200 && a->body == body) ++ok;
        }
      } catch (const std::exception&) {
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 64 * 50);
}

TEST_F(Listener, StopWaitsForARunningHandlerAndTheClientGetsItsAnswer) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send(get("/gate")));
  gate_.wait_until_inside();
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    listener_->stop();
    stopped = true;
  });
  // stop() cannot return while the handler is inside the gate.
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(stopped.load());
  EXPECT_TRUE(gate_.inside());
  gate_.open();
  auto a = c.read();
  stopper.join();
  EXPECT_TRUE(stopped.load());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(a->body, "after the gate");
  EXPECT_EQ(a->header("connection"), "close");
  EXPECT_TRUE(c.closed_within(3s));
}

TEST_F(Listener, StopClosesIdleConnectionsAndRefusesNewOnes) {
  start();
  Client idle(port_);
  ASSERT_TRUE(answered(idle, get("/hello")));
  listener_->stop();
  EXPECT_TRUE(idle.closed_within(3s));
  EXPECT_THROW(Client late(port_), std::runtime_error);
}

TEST_F(Listener, StopIsIdempotent) {
  start();
  listener_->stop();
  listener_->stop();
  listener_.reset();  // the destructor stops again
  HttpListener never_started(
      options_, [](Request&) { return Response{}; },
      [](const Request&, const ParseError&) { return Response{}; });
  never_started.stop();
}

TEST_F(Listener, BindConflictNamesTheAddressAndTheReason) {
  start();
  ListenerOptions again = options_;
  again.port = port_;
  HttpListener second(
      again, [](Request&) { return Response{}; },
      [](const Request&, const ParseError&) { return Response{}; });
  try {
    second.start();
    FAIL() << "a second listener bound the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot listen on 127.0.0.1:" + std::to_string(port_) +
                                         ": Address already in use; choose another 'listen:' port");
  }
}

TEST_F(Listener, MaxKeepAliveRequestsEndsTheConnection) {
  options_.max_keep_alive_requests = 3;
  start();
  Client c(port_);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(c.send(get("/hello")));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->header("connection"), i == 3 ? "close" : "") << i;
  }
  EXPECT_TRUE(c.closed_within(3s));
}

TEST_F(Listener, ConnectionCloseFromTheClientIsHonoured) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send(get("/hello", "Connection: close\r\n")));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->header("connection"), "close");
  EXPECT_TRUE(c.closed_within(3s));
}

TEST_F(Listener, Http10ClosesUnlessKeepAliveIsAsked) {
  start();
  {
    Client c(port_);
    ASSERT_TRUE(c.send("GET /hello HTTP/1.0\r\n\r\n"));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->header("connection"), "close");
    EXPECT_TRUE(c.closed_within(3s));
  }
  Client k(port_);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(k.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto a = k.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->header("connection"), "keep-alive");
  }
}

TEST_F(Listener, HeaderWithCrLfFromAHandlerBecomes500) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send(get("/split")));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 500);
  EXPECT_EQ(a->header("set-cookie"), "");
  EXPECT_EQ(a->header("x-bad"), "");
}

TEST_F(Listener, FramingHeadersFromAHandlerAreDropped) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send(get("/framing") + get("/hello")));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->header("content-length"), "3");
  EXPECT_EQ(a->header("x-kept"), "yes");
  EXPECT_EQ(a->body, "abc");
  auto b = c.read();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->body, "hello");
}

TEST_F(Listener, HandlerExceptionAnswers500AndKeepsServing) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send(get("/throw")));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 500);
  ASSERT_TRUE(c.send(get("/hello")));
  auto b = c.read();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
}

TEST_F(Listener, RequestSplitAcrossManyWritesIsAssembled) {
  start();
  Client c(port_);
  const std::string request =
      "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789";
  for (std::size_t i = 0; i < request.size(); i += 7) {
    ASSERT_TRUE(c.send(request.substr(i, 7)));
    std::this_thread::sleep_for(2ms);
  }
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, "0123456789");
}

}  // namespace
}  // namespace vitrine::server::net
