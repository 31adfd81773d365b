// Upstream single-flight in one process (egress/client/single_flight.h,
// rules UF-1..UF-4 and UF-9): identical upstream requests in flight share
// one request, never across spaces or credentials, and only after the
// egress policy allowed each of them; a response received just before a
// request began answers it too unless the request refreshes. The test server answers slowly (one
// byte at a time), so the first request is still in flight when the second one asks; the tests wait
// until the second one is waiting before they let anything finish, so no assertion depends on
// timing.
#include "egress/client/single_flight.h"

#include <atomic>
#include <map>
#include <thread>

#include "net_fixture.h"

namespace vitrine::egress::nettest {
namespace {

using namespace std::chrono_literals;

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr const char* kSpaceB = "space-b";
constexpr const char* kPath = "/api/dashboards/uid/shared";
const std::string kUrl = std::string("https://grafana.test") + kPath;
const std::string kBody = "{\"dashboard\":{\"title\":\"shared\"}}";

// The same token for every space, or a new token after each request
// (a token rotated while a request is in flight).
class SpaceTokens final : public client::TokenProvider {
 public:
  client::TokenAnswer token_for(std::string_view) override {
    const int n = asked_.fetch_add(1);
    return {rotate ? std::string(kToken) + std::to_string(n) : std::string(kToken), {}};
  }
  std::atomic<bool> rotate{false};

 private:
  std::atomic<int> asked_{0};
};

class SingleFlight : public EgressNet {
 protected:
  SingleFlight() {
    SpaceOrigins b = space_;
    spaces_[kSpace] = space_;
    spaces_[kSpaceB] = b;
  }

  // A Grafana that answers `kPath` slowly: about half a second per response.
  TlsTestServer& slow_grafana() {
    TlsTestServer& s = server("grafana.test");
    Route r;
    r.raw = http_response(200, kBody, {"Content-Type: application/json"});
    r.drip = 3ms;
    s.route(kPath, r);
    return s;
  }

  client::Fetcher& make_fetcher(std::chrono::milliseconds reuse_window = 0ms) {
    std::string error;
    client::FetchConfig c = config();
    c.reuse_window = reuse_window;
    fetcher_ = client::Fetcher::create(std::move(c), dns_, tokens_by_space_, audit_, error);
    EXPECT_TRUE(fetcher_) << error;
    return *fetcher_;
  }

  client::FetchResult get(const std::string& space, const manifest::Manifest& plugin,
                          std::chrono::milliseconds deadline = 10s, bool refresh = false) {
    // A refresh takes only responses received after it began (UF-9).
    client::FetchRequest r;
    r.plugin = &plugin;
    r.space = &spaces_.at(space);
    r.space_key = space;
    r.url = kUrl;
    r.deadline = client::Clock::now() + deadline;
    r.upstream_from_ms = refresh ? unix_now_ms() : 0;
    return fetcher_->get(r);
  }

  // Blocks until `n` requests reached the server (bounded).
  static void wait_for_requests(TlsTestServer& s, std::size_t n) {
    for (int i = 0; i < 1000 && s.requests().size() < n; ++i) std::this_thread::sleep_for(5ms);
  }
  // Blocks until `n` requests wait for another's result (bounded: without
  // single-flight nobody ever waits, and the test's counts then fail).
  void wait_for_waiters(std::size_t n) {
    for (int i = 0; i < 400 && fetcher_->single_flight().waiting() < n; ++i) {
      std::this_thread::sleep_for(5ms);
    }
  }

  SpaceTokens tokens_by_space_;
  std::map<std::string, SpaceOrigins> spaces_;
};

TEST_F(SingleFlight, UF3_TwoConcurrentIdenticalGetsMakeOneUpstreamRequest) {
  TlsTestServer& grafana = slow_grafana();
  make_fetcher();
  client::FetchResult first, second;
  std::thread a([&] { first = get(kSpace, plugin_); });
  wait_for_requests(grafana, 1);
  std::thread b([&] { second = get(kSpace, plugin_); });
  wait_for_waiters(1);
  a.join();
  b.join();
  EXPECT_EQ(grafana.requests().size(), 1u) << "identical GETs in flight were not coalesced";
  for (const auto* r : {&first, &second}) {
    EXPECT_EQ(r->outcome, client::Outcome::ok) << r->reason;
    EXPECT_EQ(r->http_status, 200);
    EXPECT_EQ(r->content_type, "application/json");
    EXPECT_EQ(r->body, kBody);
  }
  EXPECT_EQ(fetcher_->single_flight().shared_in_process(), 1u);
  // Each request was decided and audited on its own (UF-1).
  std::size_t allowed = 0;
  for (const auto& rec : audit_.records()) allowed += rec.verdict == "allow" ? 1 : 0;
  EXPECT_EQ(allowed, 2u);
}

TEST_F(SingleFlight, UF2_SameRequestInTwoSpacesMakesTwoUpstreamRequests) {
  TlsTestServer& grafana = slow_grafana();
  make_fetcher();
  client::FetchResult first, second;
  std::thread a([&] { first = get(kSpace, plugin_); });
  wait_for_requests(grafana, 1);
  std::thread b([&] { second = get(kSpaceB, plugin_); });
  a.join();
  b.join();
  EXPECT_EQ(first.outcome, client::Outcome::ok) << first.reason;
  EXPECT_EQ(second.outcome, client::Outcome::ok) << second.reason;
  EXPECT_EQ(grafana.requests().size(), 2u) << "a response crossed spaces";
  EXPECT_EQ(fetcher_->single_flight().shared_in_process(), 0u);
}

TEST_F(SingleFlight, UF2_RequestWithAnotherCredentialMakesItsOwnUpstreamRequest) {
  TlsTestServer& grafana = slow_grafana();
  tokens_by_space_.rotate = true;  // the second request carries another token
  make_fetcher();
  client::FetchResult first, second;
  std::thread a([&] { first = get(kSpace, plugin_); });
  wait_for_requests(grafana, 1);
  std::thread b([&] { second = get(kSpace, plugin_); });
  a.join();
  b.join();
  EXPECT_EQ(first.outcome, client::Outcome::ok) << first.reason;
  EXPECT_EQ(second.outcome, client::Outcome::ok) << second.reason;
  const auto seen = grafana.requests();
  ASSERT_EQ(seen.size(), 2u) << "a response fetched with one token answered another";
  EXPECT_NE(seen[0].header("authorization"), seen[1].header("authorization"));
}

TEST_F(SingleFlight, UF1_PolicyDeniedRequestNeverReceivesTheResponseInFlight) {
  TlsTestServer& grafana = slow_grafana();
  make_fetcher();
  // Another version of the same plugin that does not declare grafana.test.
  manifest::Manifest narrowed = plugin_;
  narrowed.version = "2.0.0";
  narrowed.egress = {entry("other.test", 443, true)};
  client::FetchResult first, denied;
  std::thread a([&] { first = get(kSpace, plugin_); });
  wait_for_requests(grafana, 1);
  denied = get(kSpace, narrowed);  // while the allowed request is in flight
  a.join();
  EXPECT_EQ(first.outcome, client::Outcome::ok) << first.reason;
  EXPECT_EQ(denied.outcome, client::Outcome::denied);
  EXPECT_EQ(denied.http_status, 0);
  EXPECT_TRUE(denied.body.empty()) << "a refused request was handed the response";
  EXPECT_EQ(grafana.requests().size(), 1u);
  EXPECT_EQ(fetcher_->single_flight().shared_in_process(), 0u);
}

TEST_F(SingleFlight, UF4_WaiterWithLaterDeadlineIsNotPoisonedByLeadersTimeout) {
  TlsTestServer& grafana = slow_grafana();
  make_fetcher();
  client::FetchResult leader, waiter;
  // The leader gives up long before the slow answer is complete.
  std::thread a([&] { leader = get(kSpace, plugin_, 150ms); });
  wait_for_requests(grafana, 1);
  std::thread b([&] { waiter = get(kSpace, plugin_, 10s); });
  a.join();
  b.join();
  EXPECT_EQ(leader.outcome, client::Outcome::timeout);
  EXPECT_EQ(waiter.outcome, client::Outcome::ok) << waiter.rule << ": " << waiter.reason;
  EXPECT_EQ(waiter.body, kBody);
}

TEST_F(SingleFlight, UF4_WaiterStopsAtItsOwnDeadline) {
  TlsTestServer& grafana = slow_grafana();
  make_fetcher();
  client::FetchResult leader, waiter;
  std::thread a([&] { leader = get(kSpace, plugin_, 10s); });
  wait_for_requests(grafana, 1);
  waiter = get(kSpace, plugin_, 50ms);
  a.join();
  EXPECT_EQ(leader.outcome, client::Outcome::ok) << leader.reason;
  EXPECT_EQ(waiter.outcome, client::Outcome::timeout);
  EXPECT_EQ(waiter.rule, "egress-timeout-total");
}

TEST_F(SingleFlight, UF9_RequestJustAfterAResponseUsesIt) {
  TlsTestServer& grafana = slow_grafana();
  make_fetcher(5s);
  // A dashboard card and then a compact view of the same dashboard: the
  // second macro starts after the first one's response arrived.
  const auto first = get(kSpace, plugin_);
  const auto second = get(kSpace, plugin_);
  EXPECT_EQ(first.outcome, client::Outcome::ok) << first.reason;
  EXPECT_EQ(second.outcome, client::Outcome::ok) << second.reason;
  EXPECT_EQ(second.body, kBody);
  EXPECT_EQ(second.content_type, "application/json");
  EXPECT_EQ(grafana.requests().size(), 1u) << "a response just received was not reused";
  EXPECT_EQ(fetcher_->single_flight().shared_in_process(), 1u);
  // Both were decided and audited on their own (UF-1).
  std::size_t allowed = 0;
  for (const auto& rec : audit_.records()) allowed += rec.verdict == "allow" ? 1 : 0;
  EXPECT_EQ(allowed, 2u);
}

TEST_F(SingleFlight, UF9_RefreshAsksUpstreamEvenJustAfterAResponse) {
  TlsTestServer& grafana = slow_grafana();
  make_fetcher(5s);
  ASSERT_EQ(get(kSpace, plugin_).outcome, client::Outcome::ok);
  const auto refreshed = get(kSpace, plugin_, 10s, /*refresh=*/true);
  EXPECT_EQ(refreshed.outcome, client::Outcome::ok) << refreshed.reason;
  EXPECT_EQ(grafana.requests().size(), 2u) << "a refresh was answered by an older response";
  // The refresh's response is the one later requests reuse.
  ASSERT_EQ(get(kSpace, plugin_).outcome, client::Outcome::ok);
  EXPECT_EQ(grafana.requests().size(), 2u);
}

TEST_F(SingleFlight, UF9_ResponseOlderThanTheWindowIsNotReused) {
  TlsTestServer& grafana = slow_grafana();
  make_fetcher(50ms);
  ASSERT_EQ(get(kSpace, plugin_).outcome, client::Outcome::ok);
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(get(kSpace, plugin_).outcome, client::Outcome::ok);
  EXPECT_EQ(grafana.requests().size(), 2u) << "a response older than the window was reused";
  EXPECT_EQ(fetcher_->single_flight().shared_in_process(), 0u);
}

TEST_F(SingleFlight, UF9_NeverAcrossSpacesPolicyOrATimeout) {
  TlsTestServer& grafana = slow_grafana();
  make_fetcher(5s);
  // A timeout is the request's own deadline, not Grafana's answer.
  EXPECT_EQ(get(kSpace, plugin_, 150ms).outcome, client::Outcome::timeout);
  const auto after_timeout = get(kSpace, plugin_);
  EXPECT_EQ(after_timeout.outcome, client::Outcome::ok) << after_timeout.reason;
  EXPECT_EQ(grafana.requests().size(), 2u) << "a timeout was reused";
  // Another space asks for itself.
  EXPECT_EQ(get(kSpaceB, plugin_).outcome, client::Outcome::ok);
  EXPECT_EQ(grafana.requests().size(), 3u) << "a response crossed spaces";
  // A plugin whose manifest does not declare the host is refused first.
  manifest::Manifest narrowed = plugin_;
  narrowed.version = "2.0.0";
  narrowed.egress = {entry("other.test", 443, true)};
  const auto denied = get(kSpace, narrowed);
  EXPECT_EQ(denied.outcome, client::Outcome::denied);
  EXPECT_TRUE(denied.body.empty()) << "a refused request was handed a recent response";
  EXPECT_EQ(grafana.requests().size(), 3u);
  EXPECT_EQ(fetcher_->single_flight().shared_in_process(), 0u);
}

TEST(SingleFlightKey, UF2_KeyNamesTheCredentialWithoutContainingIt) {
  const std::string token = kToken;
  const std::string other = std::string(kToken) + "x";
  const std::vector<Header> none;
  const std::string with = client::flight_key("GET", kUrl, 0, none, &token);
  EXPECT_EQ(with.find(kToken), std::string::npos) << "the token entered the key";
  EXPECT_NE(with, client::flight_key("GET", kUrl, 0, none, &other));
  EXPECT_NE(with, client::flight_key("GET", kUrl, 0, none, nullptr));
  EXPECT_NE(with, client::flight_key("GET", kUrl, 0, {{"Accept", "text/html"}}, &token));
  EXPECT_EQ(with, client::flight_key("GET", kUrl, 0, none, &token));
}

TEST(SingleFlightKey, UF5_ExchangeSurvivesTheHandover) {
  client::ExchangeResult r;
  r.outcome = client::Outcome::ok;
  r.rule = "egress-allow";
  r.response.status = 302;
  r.response.headers = {
      {"content-type", "text/html"}, {"location", "/next"}, {"set-cookie", "never handed over"}};
  r.response.body = std::string("a:b\0c", 5);
  auto back = client::decode_exchange(client::encode_exchange(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->outcome, r.outcome);
  EXPECT_EQ(back->response.status, 302);
  ASSERT_NE(back->response.header("location"), nullptr);
  EXPECT_EQ(*back->response.header("location"), "/next");
  EXPECT_EQ(back->response.header("set-cookie"), nullptr);
  EXPECT_EQ(back->response.body, r.response.body);
  EXPECT_FALSE(client::decode_exchange("5:other"));
}

}  // namespace
}  // namespace vitrine::egress::nettest
