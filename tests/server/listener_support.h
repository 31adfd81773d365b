// What the listener's tests share: a plain-text answer, waiting for a
// condition, a gate a handler blocks at, and a fixture that runs an
// HttpListener on a free loopback port with the test's own handler.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "log/log.h"
#include "server/listener_client.h"
#include "server/net/http_listener.h"

namespace vitrine::server::net::testing_support {

using Clock = std::chrono::steady_clock;
using testing_client::Client;
using testing_client::get;

inline Response text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Polls `pred` until it holds or `limit` passes; the last look decides.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(3)) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// Sends `request` on `c` and reads its answer: the status, or 0 when the
// request could not be sent or no answer came.
inline int status_of(testing_client::Client& c, const std::string& request) {
  if (!c.send(request)) return 0;
  auto a = c.read();
  return a ? a->status : 0;
}

// Sends `request` on `c` and reads one answer, whatever its status: after a
// GET the connection is an idle keep-alive one.
inline bool answered(Client& c, const std::string& request) {
  return c.send(request) && c.read().has_value();
}

// The status of the next answer on `c` (one the server sends unasked, such
// as a refusal), or 0 when none came.
inline int next_status(testing_client::Client& c) {
  auto a = c.read();
  return a ? a->status : 0;
}

// A gate a handler waits at until the test opens it (or 10 s pass, so a
// failing test cannot hang).
class Gate {
 public:
  void enter_and_wait() {
    std::unique_lock lock(mu_);
    inside_ = true;
    cv_.notify_all();
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return open_; });
    inside_ = false;
  }
  void wait_until_inside() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return inside_; });
  }
  bool inside() {
    std::lock_guard lock(mu_);
    return inside_;
  }
  // For a handler that polls (to see its cancel too) instead of waiting.
  bool is_open() {
    std::lock_guard lock(mu_);
    return open_;
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool inside_ = false;
  bool open_ = false;
};

// Runs an HttpListener with handle() and refuse() on a free loopback port;
// logs are dropped. A test sets options_ before start().
class ListenerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_sink([](const std::string&) {});
    options_.port = 0;
    options_.io_timeout = std::chrono::seconds(5);
    options_.keep_alive_timeout = std::chrono::seconds(5);
  }
  void TearDown() override {
    stop_listener();
    log::set_sink(nullptr);
  }

  void start() {
    listener_ = std::make_unique<HttpListener>(
        options_, [this](Request& r) { return handle(r); },
        [this](const Request& partial, const ParseError& e) { return refuse(partial, e); });
    listener_->start();
    port_ = listener_->port();
  }
  void stop_listener() {
    if (listener_) listener_->stop();
    listener_.reset();
  }

  virtual Response handle(Request& r) = 0;
  // The answer to a request the parser refused.
  virtual Response refuse(const Request&, const ParseError& e) {
    return text(e.status, e.rule + ": " + e.message);
  }

  ListenerOptions options_;
  std::unique_ptr<HttpListener> listener_;
  uint16_t port_ = 0;
};

}  // namespace vitrine::server::net::testing_support
