// The listener under overload (host/server/net/http_listener.h): the
// bulkhead for blocked handlers, cancellation (client hang-up, stop()), the
// shutdown grace, per-client connection and rate limits, X-Forwarded-For
// from trusted proxies only, idle reclaim under pressure, and 408.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
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

class ListenerOverload : public ListenerFixture {
 protected:
  void SetUp() override {
    ListenerFixture::SetUp();
    options_.threads = 2;
    options_.on_refused = [this](std::string_view reason) {
      std::lock_guard lock(mu_);
      ++refusals_[std::string(reason)];
    };
    options_.on_reclaimed = [this] { ++reclaimed_; };
  }
  void TearDown() override {
    gate_.open();
    stop_listener();
    // Handlers abandoned by a stop() with a short grace must be out of this
    // fixture before it goes away.
    EXPECT_TRUE(eventually([this] { return inside_.load() == 0; }, 5s));
    ListenerFixture::TearDown();
  }

  Response handle(Request& r) override {
    ++inside_;
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { --n; }
    } leave{inside_};
    if (r.path == "/hello") return text(200, "hello");
    if (r.path == "/blocking") {  // a cold render: says so, then waits
      if (!blocking::about_to_block()) return text(503, "busy");
      ++blocked_inside_;
      // Polls, so a cancel from another thread is seen without a notify.
      const auto until = Clock::now() + 10s;
      while (Clock::now() < until) {
        if (gate_.is_open()) break;
        const auto& cancel = blocking::current();
        if (cancel && cancel->cancelled()) {
          std::lock_guard lock(mu_);
          reasons_.push_back(cancel->reason());
          break;
        }
        std::this_thread::sleep_for(2ms);
      }
      --blocked_inside_;
      return text(200, "rendered");
    }
    if (r.path == "/stuck") {  // ignores its cancel
      ++blocked_inside_;
      gate_.enter_and_wait();
      --blocked_inside_;
      return text(200, "late");
    }
    return text(404, "no " + r.path);
  }

  int refusals(const std::string& reason) {
    std::lock_guard lock(mu_);
    return refusals_[reason];
  }

  std::atomic<int> inside_{0};
  std::atomic<int> blocked_inside_{0};
  std::atomic<int> reclaimed_{0};
  Gate gate_;
  std::mutex mu_;
  std::map<std::string, int> refusals_;
  std::vector<blocking::CancelReason> reasons_;
};

TEST_F(ListenerOverload, BlockedHandlersDoNotStopFastHandlers) {
  options_.threads = 2;
  start();
  std::vector<std::unique_ptr<Client>> cold;
  for (int i = 0; i < 20; ++i) {
    cold.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(cold.back()->send(get("/blocking")));
  }
  ASSERT_TRUE(eventually([&] { return blocked_inside_.load() == 20; }));
  const ListenerStats busy = listener_->stats();
  EXPECT_EQ(busy.blocked_handlers, 20);
  EXPECT_EQ(busy.threads, 22);  // 2 serving plus one per blocked handler
  const auto started = Clock::now();
  Client fast(port_);
  ASSERT_TRUE(fast.send(get("/hello")));
  auto answer = fast.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "hello");
  EXPECT_LT(Clock::now() - started, 500ms);
  EXPECT_EQ(blocked_inside_.load(), 20);  // answered while all 20 still wait
  gate_.open();
  for (auto& c : cold) {
    auto a = c->read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->body, "rendered");
  }
  // Spare threads retire once their handler returned.
  EXPECT_TRUE(eventually([&] { return listener_->stats().threads == 2; }));
  EXPECT_EQ(listener_->stats().blocked_handlers, 0);
}

TEST_F(ListenerOverload, HookAnswersFalseAtTheBlockedHandlerCap) {
  options_.max_blocked_handlers = 2;
  start();
  Client a(port_), b(port_);
  ASSERT_TRUE(a.send(get("/blocking")));
  ASSERT_TRUE(b.send(get("/blocking")));
  ASSERT_TRUE(eventually([&] { return blocked_inside_.load() == 2; }));
  Client third(port_);
  ASSERT_TRUE(third.send(get("/blocking")));
  auto refused = third.read();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->body, "busy");
  EXPECT_EQ(refusals("blocked-handlers"), 1);
  gate_.open();
  ASSERT_TRUE(a.read());
  ASSERT_TRUE(b.read());
}

TEST_F(ListenerOverload, ClientHangUpCancelsTheBlockedRequest) {
  start();
  {
    Client gone(port_);
    ASSERT_TRUE(gone.send(get("/blocking")));
    ASSERT_TRUE(eventually([&] { return blocked_inside_.load() == 1; }));
  }  // closed while its handler waits
  ASSERT_TRUE(eventually([&] { return blocked_inside_.load() == 0; }, 2s));
  std::lock_guard lock(mu_);
  ASSERT_EQ(reasons_.size(), 1u);
  EXPECT_EQ(reasons_[0], blocking::CancelReason::client_gone);
}

TEST_F(ListenerOverload, ClientThatStaysIsNotCancelled) {
  start();
  Client staying(port_);
  ASSERT_TRUE(staying.send(get("/blocking")));
  ASSERT_TRUE(eventually([&] { return blocked_inside_.load() == 1; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(blocked_inside_.load(), 1);
  gate_.open();
  auto a = staying.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, "rendered");
  std::lock_guard lock(mu_);
  EXPECT_TRUE(reasons_.empty());
}

TEST_F(ListenerOverload, StopCancelsRunningRequestsWithServerStopping) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.send(get("/blocking")));
  ASSERT_TRUE(eventually([&] { return blocked_inside_.load() == 1; }));
  const auto started = Clock::now();
  listener_->stop();
  EXPECT_LT(Clock::now() - started, 2s);
  auto a = c.read();  // the handler answered with what it had
  ASSERT_TRUE(a);
  EXPECT_EQ(a->header("connection"), "close");
  std::lock_guard lock(mu_);
  ASSERT_EQ(reasons_.size(), 1u);
  EXPECT_EQ(reasons_[0], blocking::CancelReason::server_stopping);
}

TEST_F(ListenerOverload, StopReturnsWithinTheGraceWhenAHandlerIsStuck) {
  options_.shutdown_grace = 300ms;
  start();
  Client c(port_);
  ASSERT_TRUE(c.send(get("/stuck")));
  ASSERT_TRUE(eventually([&] { return blocked_inside_.load() == 1; }));
  const auto started = Clock::now();
  listener_->stop();
  const auto took = Clock::now() - started;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_EQ(blocked_inside_.load(), 1);  // abandoned, still running
  EXPECT_TRUE(c.closed_within(1s));      // its client is not left hanging
  EXPECT_TRUE(c.buffered().empty());
  listener_.reset();  // the abandoned thread keeps what it uses alive
  gate_.open();
  EXPECT_TRUE(eventually([&] { return inside_.load() == 0; }));
}

TEST_F(ListenerOverload, PerClientConnectionCapLeavesOtherAddressesServed) {
  options_.max_connections = 4096;
  options_.max_connections_per_client = 64;
  start();
  std::vector<std::unique_ptr<Client>> flood;
  for (int i = 0; i < 1024; ++i) flood.push_back(std::make_unique<Client>(port_, 0, "127.0.0.1"));
  ASSERT_TRUE(eventually([&] { return refusals("connections-per-client") == 1024 - 64; }, 5s))
      << refusals("connections-per-client");
  auto refused = flood.back()->read();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("connection"), "close");
  EXPECT_NE(refused->body.find("[http-connections-per-client]"), std::string::npos);
  const auto started = Clock::now();
  Client other(port_, 0, "127.0.0.2");
  EXPECT_EQ(status_of(other, get("/hello")), 200);
  EXPECT_LT(Clock::now() - started, 500ms);
  // The 64 admitted ones are served too.
  EXPECT_EQ(status_of(*flood.front(), get("/hello")), 200);
}

TEST_F(ListenerOverload, ClosedConnectionsGiveTheClientItsPlaceBack) {
  options_.max_connections_per_client = 1;
  start();
  {
    Client a(port_);
    ASSERT_TRUE(answered(a, get("/hello")));
    Client b(port_);
    EXPECT_EQ(next_status(b), 503);
  }
  ASSERT_TRUE(eventually([&] { return listener_->stats().connections == 0; }));
  Client again(port_);
  EXPECT_EQ(status_of(again, get("/hello")), 200);
}

TEST_F(ListenerOverload, RateLimitAnswers429WithRetryAfter) {
  options_.requests_per_second_per_client = 1;
  options_.request_burst_per_client = 2;
  start();
  Client c(port_);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(status_of(c, get("/hello")), 200) << i;
  }
  ASSERT_TRUE(c.send(get("/hello")));
  auto limited = c.read();
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->header("retry-after"), "1");
  EXPECT_NE(limited->body.find("http-rate-limited"), std::string::npos);
  EXPECT_EQ(limited->header("connection"), "");  // the connection stays
  EXPECT_EQ(refusals("rate-limited"), 1);
  // Another address has a bucket of its own.
  Client other(port_, 0, "127.0.0.2");
  EXPECT_EQ(status_of(other, get("/hello")), 200);
  // A second later the first has a token again, on the same connection.
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(status_of(c, get("/hello")), 200);
}

TEST_F(ListenerOverload, ForwardedForCountsOnlyFromTrustedProxies) {
  options_.requests_per_second_per_client = 0.001;
  options_.request_burst_per_client = 1;
  options_.trusted_proxies = {"127.0.0.1/32"};
  start();
  auto status = [&](Client& c, const std::string& xff) {
    return status_of(c, get("/hello", "X-Forwarded-For: " + xff + "\r\n"));
  };
  Client proxy(port_, 0, "127.0.0.1");
  // Clients behind the proxy are counted apart; the right-most untrusted
  // address is the client, whatever a client wrote on the left.
  EXPECT_EQ(status(proxy, "10.0.0.1"), 200);
  EXPECT_EQ(status(proxy, "10.0.0.2"), 200);
  EXPECT_EQ(status(proxy, "spoofed, 10.0.0.1"), 429);
  EXPECT_EQ(status(proxy, "10.0.0.3, 127.0.0.1"), 200);  // a trusted hop is skipped
  // An untrusted peer's header is ignored: it is counted as itself.
  Client direct(port_, 0, "127.0.0.2");
  EXPECT_EQ(status(direct, "10.0.0.7"), 200);
  EXPECT_EQ(status(direct, "10.0.0.8"), 429);
}

TEST_F(ListenerOverload, TrustedProxyIsExemptFromThePerClientConnectionCap) {
  options_.max_connections_per_client = 2;
  options_.trusted_proxies = {"127.0.0.1"};
  start();
  std::vector<std::unique_ptr<Client>> via_proxy;
  for (int i = 0; i < 4; ++i) {
    via_proxy.push_back(std::make_unique<Client>(port_, 0, "127.0.0.1"));
    EXPECT_EQ(status_of(*via_proxy.back(), get("/hello")), 200) << i;
  }
  std::vector<std::unique_ptr<Client>> direct;
  for (int i = 0; i < 3; ++i) direct.push_back(std::make_unique<Client>(port_, 0, "127.0.0.3"));
  EXPECT_EQ(next_status(*direct.back()), 503);
}

TEST_F(ListenerOverload, IdleKeepAliveConnectionsAreReclaimedOldestFirst) {
  options_.max_connections = 2;
  options_.max_connections_per_client = 0;
  start();
  Client oldest(port_), newer(port_);
  for (Client* c : {&oldest, &newer}) {
    ASSERT_TRUE(answered(*c, get("/hello")));
    std::this_thread::sleep_for(20ms);  // distinct idle times
  }
  Client fresh(port_);
  ASSERT_TRUE(fresh.send(get("/hello")));
  auto answer = fresh.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);  // served instead of refused
  EXPECT_TRUE(oldest.closed_within(2s));
  EXPECT_EQ(reclaimed_.load(), 1);
  EXPECT_EQ(refusals("max-connections"), 0);
  EXPECT_EQ(status_of(newer, get("/hello")), 200);
}

TEST_F(ListenerOverload, WithNoIdleConnectionAtTheLimitTheNewOneGets503) {
  options_.max_connections = 1;
  options_.max_connections_per_client = 0;
  start();
  Client busy(port_);
  ASSERT_TRUE(busy.send("GET /hello HTTP/1.1\r\n"));  // mid-request: not idle
  ASSERT_TRUE(eventually([&] { return listener_->stats().connections == 1; }));
  Client late(port_);
  auto refused = late.read();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(refused->body.find("[http-max-connections]"), std::string::npos);
  EXPECT_EQ(refusals("max-connections"), 1);
}

TEST_F(ListenerOverload, RequestThatDoesNotArriveInTimeGets408) {
  options_.io_timeout = 1s;
  start();
  Client c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n"));  // never finished
  const auto started = Clock::now();
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 408);
  EXPECT_EQ(a->header("connection"), "close");
  EXPECT_NE(a->body.find("http-request-timeout"), std::string::npos);
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_TRUE(c.closed_within(2s));
  EXPECT_EQ(refusals("request-timeout"), 1);
}

TEST_F(ListenerOverload, IdleKeepAliveTimeoutStaysASilentClose) {
  options_.keep_alive_timeout = 1s;
  options_.io_timeout = 1s;
  start();
  Client c(port_);
  ASSERT_TRUE(answered(c, get("/hello")));
  EXPECT_TRUE(c.closed_within(3s));
  EXPECT_TRUE(c.buffered().empty());
  Client nothing(port_);  // never sends a byte
  EXPECT_TRUE(nothing.closed_within(3s));
  EXPECT_TRUE(nothing.buffered().empty());
  EXPECT_EQ(refusals("request-timeout"), 0);
}

TEST_F(ListenerOverload, InvalidTrustedProxyIsRefusedAtStart) {
  options_.trusted_proxies = {"10.0.0.0/33"};
  HttpListener l(
      options_, [](Request&) { return Response{}; },
      [](const Request&, const ParseError&) { return Response{}; });
  EXPECT_THROW(l.start(), std::invalid_argument);
}

}  // namespace
}  // namespace vitrine::server::net
