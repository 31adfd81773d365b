// Upstream single-flight across hosts (store/upstream_flights.h, rules
// UF-5..UF-9): two Store instances on one database are two hosts, each
// with its own fetcher, in front of one slow TLS test server. Runs on
// SQLite and on PostgreSQL. The stores use the real clock here: a lease
// must expire on its own for the takeover test.
#include <thread>

#include "digest/sha256.h"
#include "egress/client/fetcher.h"
#include "egress_net/tls_test_server.h"
#include "store/backend_test_support.h"
#include "store/crypto/secret_box.h"
#include "store/upstream_flights.h"

namespace vitrine::store::testing {
namespace {

using namespace std::chrono_literals;

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
namespace client = egress::client;
namespace nettest = egress::nettest;

constexpr const char* kToken = "glsa_SeCrEt_token_0123456789";
constexpr const char* kPath = "/api/dashboards/uid/shared";
const std::string kUrl = std::string("https://grafana.test") + kPath;
const std::string kBody = "{\"dashboard\":{\"title\":\"the shared dashboard body\"}}";
constexpr int64_t kLeaseMs = 5000;

nettest::TestPki& pki() {
  static nettest::TestPki p;
  return p;
}

const std::vector<manifest::Scope>& catalog() {
  static const std::vector<manifest::Scope> c = {
      {"grafana:read:dashboards", "", {"/api/search", "/api/dashboards/uid"}},
  };
  return c;
}

class OneToken final : public client::TokenProvider {
 public:
  client::TokenAnswer token_for(std::string_view) override { return {std::string(kToken), {}}; }
};

// One host: its own store on the shared database, its own lease holder and
// its own fetcher.
struct Host {
  std::unique_ptr<Store> store;
  std::unique_ptr<UpstreamFlights> flights;
  std::unique_ptr<client::Fetcher> fetcher;
};

class SingleFlightCluster : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    nettest::ServerOptions opt;
    opt.cert = pki().leaf({"grafana.test"});
    server_ = std::make_unique<nettest::TlsTestServer>(std::move(opt));
    nettest::Route r;
    r.raw = nettest::http_response(200, kBody, {"Content-Type: application/json"});
    r.drip = 3ms;  // about half a second: the first request is still in flight
    server_->route(kPath, r);
    plugin_.id = "dashboard";
    plugin_.version = "1.0.0";
    manifest::EgressEntry e;
    e.text = "https://grafana.test";
    e.host = "grafana.test";
    e.port = 443;
    plugin_.egress = {e};
    plugin_.scopes = {"grafana:read:dashboards"};
    origins_.grafana_origin = "https://grafana.test";
  }

  Host host(const std::string& name, int64_t lease_ms = kLeaseMs, int64_t reuse_ms = kLeaseMs) {
    Host h;
    StoreOptions o;
    o.data_dir = dir_;
    o.keyring = crypto::Keyring(*store_->keyring());
    o.now = system_now_ms;
    configure_backend(o);
    auto s = Store::open(std::move(o));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    if (!s.ok()) return h;
    h.store = std::move(*s);
    h.flights = std::make_unique<UpstreamFlights>(
        h.store->context(), UpstreamFlightOptions{lease_ms, 20, 5, reuse_ms}, name);
    client::FetchConfig c;
    c.extra_ca_file = pki().ca_file().string();
    c.total_timeout = 10s;
    c.limits.max_body_bytes = 64 * 1024;
    c.resolve = {{"grafana.test", "127.0.0.1", server_->port()}};
    c.catalog = &catalog();
    c.shared_flights = h.flights.get();
    std::string error;
    h.fetcher = client::Fetcher::create(std::move(c), dns_, tokens_, audit_, error);
    EXPECT_TRUE(h.fetcher) << error;
    return h;
  }

  client::FetchResult get(Host& h, const std::string& space,
                          std::chrono::milliseconds deadline = 10s, bool refresh = false) {
    // A refresh takes only responses received after it began (UF-9).
    client::FetchRequest r;
    r.upstream_from_ms = refresh ? unix_now_ms() : 0;
    r.plugin = &plugin_;
    r.space = &origins_;
    r.space_key = space;
    r.url = kUrl;
    r.deadline = client::Clock::now() + deadline;
    return h.fetcher->get(r);
  }

  // The store's name for the request get() sends (UF-2).
  std::string key_hash() const {
    const std::string token = kToken;
    return digest::sha256_hex(client::flight_key("GET", kUrl, server_->port(), {}, &token));
  }

  void wait_for_requests(std::size_t n) {
    for (int i = 0; i < 1000 && server_->requests().size() < n; ++i) {
      std::this_thread::sleep_for(5ms);
    }
  }

  std::unique_ptr<nettest::TlsTestServer> server_;
  manifest::Manifest plugin_;
  egress::SpaceOrigins origins_;
  egress::ScriptedResolver dns_;
  egress::InMemoryAuditSink audit_;
  OneToken tokens_;
};

TEST_P(SingleFlightCluster, UF5_ConcurrentRequestsOnTwoHostsMakeOneUpstreamRequest) {
  Host a = host("host-a"), b = host("host-b");
  ASSERT_TRUE(a.fetcher && b.fetcher);
  client::FetchResult on_a, on_b;
  std::thread ta([&] { on_a = get(a, "docs"); });
  wait_for_requests(1);
  std::thread tb([&] { on_b = get(b, "docs"); });
  ta.join();
  tb.join();
  EXPECT_EQ(server_->requests().size(), 1u) << "the second host sent its own request";
  for (const auto* r : {&on_a, &on_b}) {
    EXPECT_EQ(r->outcome, client::Outcome::ok) << r->rule << ": " << r->reason;
    EXPECT_EQ(r->http_status, 200);
    EXPECT_EQ(r->content_type, "application/json");
    EXPECT_EQ(r->body, kBody);
  }
  EXPECT_EQ(b.fetcher->single_flight().shared_from_store(), 1u);
}

TEST_P(SingleFlightCluster, UF5_RequestsOfTwoSpacesOnTwoHostsAreNotShared) {
  Host a = host("host-a"), b = host("host-b");
  ASSERT_TRUE(a.fetcher && b.fetcher);
  EXPECT_EQ(get(a, "docs").outcome, client::Outcome::ok);
  EXPECT_EQ(get(b, "other").outcome, client::Outcome::ok);
  EXPECT_EQ(server_->requests().size(), 2u);
  EXPECT_EQ(b.fetcher->single_flight().shared_from_store(), 0u);
}

TEST_P(SingleFlightCluster, UF6_DeadLeaderDelaysAFollowerAtMostTheLease) {
  Host b = host("host-b");
  ASSERT_TRUE(b.fetcher);
  // A host took the lease and died: no response, no release.
  const int64_t now = system_now_ms();
  ASSERT_TRUE(
      store_->backend().take_upstream_flight("docs", key_hash(), "dead", now, now + 300, now));
  ASSERT_TRUE(
      store_->backend().take_upstream_flight("other", key_hash(), "dead", now, now + 600'000, now));
  // While the dead lease runs, a follower waits for it (and here gives up
  // at its own, shorter deadline without a request).
  const auto early = get(b, "other", 100ms);
  EXPECT_EQ(early.outcome, client::Outcome::timeout);
  EXPECT_EQ(server_->requests().size(), 0u);
  // Once it expired, a follower takes over instead of waiting out its own
  // (much longer) deadline.
  const auto r = get(b, "docs", 10s);
  EXPECT_EQ(r.outcome, client::Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.body, kBody);
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_P(SingleFlightCluster, UF9_RequestJustAfterAResponseOnAnotherHostUsesIt) {
  Host a = host("host-a"), b = host("host-b");
  ASSERT_TRUE(a.fetcher && b.fetcher);
  // Two macros of one page rendered on two hosts one after the other.
  ASSERT_EQ(get(a, "docs").outcome, client::Outcome::ok);
  const auto r = get(b, "docs");
  EXPECT_EQ(r.outcome, client::Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.body, kBody);
  EXPECT_EQ(server_->requests().size(), 1u) << "a response just received was not reused";
  EXPECT_EQ(b.fetcher->single_flight().shared_from_store(), 1u);
}

TEST_P(SingleFlightCluster, UF9_RefreshIsNeverAnsweredByAnEarlierResponse) {
  Host a = host("host-a"), b = host("host-b");
  ASSERT_TRUE(a.fetcher && b.fetcher);
  ASSERT_EQ(get(a, "docs").outcome, client::Outcome::ok);
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(get(b, "docs", 10s, /*refresh=*/true).outcome, client::Outcome::ok);
  EXPECT_EQ(server_->requests().size(), 2u) << "an older response answered a refresh";
  EXPECT_EQ(b.fetcher->single_flight().shared_from_store(), 0u);
  // The refresh's response answers the next plain request.
  EXPECT_EQ(get(a, "docs").outcome, client::Outcome::ok);
  EXPECT_EQ(server_->requests().size(), 2u);
}

TEST_P(SingleFlightCluster, UF9_ResponseOlderThanTheWindowIsNotReused) {
  Host a = host("host-a", kLeaseMs, 50), b = host("host-b", kLeaseMs, 50);
  ASSERT_TRUE(a.fetcher && b.fetcher);
  ASSERT_EQ(get(a, "docs").outcome, client::Outcome::ok);
  std::this_thread::sleep_for(120ms);
  EXPECT_EQ(get(b, "docs").outcome, client::Outcome::ok);
  EXPECT_EQ(server_->requests().size(), 2u) << "a response older than the window was reused";
  EXPECT_EQ(b.fetcher->single_flight().shared_from_store(), 0u);
}

TEST_P(SingleFlightCluster, UF7_HandedOverResponseIsCiphertextBoundToSpaceAndKey) {
  Host a = host("host-a");
  ASSERT_TRUE(a.fetcher);
  ASSERT_EQ(get(a, "docs").outcome, client::Outcome::ok);
  auto record = store_->backend().get_upstream_response("docs", key_hash(), system_now_ms(), 0);
  ASSERT_TRUE(record.ok()) << record.error().message;
  ASSERT_FALSE(record->empty()) << "no response was handed over";
  EXPECT_EQ(record->find("shared dashboard body"), std::string::npos) << "the body is in clear";
  EXPECT_EQ(record->find(kToken), std::string::npos);
  // The record opens only as this space's response for this key.
  auto ring = store_->keyring();
  ASSERT_TRUE(ring);
  EXPECT_TRUE(crypto::open(*ring, {"upstream_flights", "docs", "", key_hash()}, *record).ok());
  EXPECT_FALSE(crypto::open(*ring, {"upstream_flights", "other", "", key_hash()}, *record).ok());
}

TEST_P(SingleFlightCluster, UF7_EndedRowsArePurged) {
  Backend& db = store_->backend();
  const int64_t now = system_now_ms();
  ASSERT_TRUE(db.put_upstream_response("docs", "k1", "h", "sealed", now - 10, now - 1));
  ASSERT_TRUE(db.take_upstream_flight("docs", "k2", "h", now - 10, now - 1, now - 10));
  ASSERT_TRUE(db.put_upstream_response("docs", "k3", "h", "sealed", now, now + 60'000));
  auto purged = db.purge_upstream_flights(now);
  ASSERT_TRUE(purged.ok()) << purged.error().message;
  EXPECT_EQ(*purged, 2);
  EXPECT_EQ(*db.get_upstream_response("docs", "k3", now, 0), "sealed");
  EXPECT_EQ(*db.get_upstream_response("docs", "k1", now, 0), "");
}

VITRINE_ON_EVERY_BACKEND(SingleFlightCluster);

}  // namespace
}  // namespace vitrine::store::testing
