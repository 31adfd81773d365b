// Issue "clients are hostile", through the real `vitrine serve`: one client
// address holding 1024 idle connections is capped at its share (64 by
// default), and another address is still served at once; the refusals
// are counted in /metrics.
#include <gmock/gmock.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "serve_process.h"
#include "server/listener_client.h"

using ::testing::HasSubstr;

namespace vitrine::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using server::net::testing_client::Client;
using server::net::testing_client::get;

using ServeIdleFlood = ServedHost;

TEST_F(ServeIdleFlood, IdleSocketsFromOneAddressDoNotLockOtherAddressesOut) {
  start_server();
  std::vector<std::unique_ptr<Client>> flood;
  for (int i = 0; i < 1024; ++i) flood.push_back(std::make_unique<Client>(port_, 0, "127.0.0.1"));
  // The last one is beyond the address's share: refused before it sends.
  auto refused = flood.back()->read();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_THAT(refused->body, HasSubstr("[http-connections-per-client]"));
  // Another address: every request answered, promptly.
  Client other(port_, 0, "127.0.0.2");
  auto slowest = Clock::duration::zero();
  for (int i = 0; i < 50; ++i) {
    const auto started = Clock::now();
    ASSERT_TRUE(other.send(get("/healthz")));
    auto answer = other.read();
    ASSERT_TRUE(answer) << i;
    EXPECT_EQ(answer->status, 200) << i;
    slowest = std::max(slowest, Clock::now() - started);
  }
  EXPECT_LT(slowest, 500ms);
  ASSERT_TRUE(other.send(get("/metrics")));
  auto metrics = other.read();
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body,
              HasSubstr("vitrine_http_refused_total{reason=\"connections-per-client\"}"));
}

}  // namespace
}  // namespace vitrine::testing
