// Render leases (store/render_lease.h, rules RL-1..RL-4): two Store
// instances on one database are two hosts. The test clock stands still, so
// a lease expires only when a test moves the clock.
#include "store/render_lease.h"

#include <atomic>
#include <thread>

#include "backend_test_support.h"

namespace vitrine::store::testing {
namespace {

using Claim = RenderLeases::Claim;
using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kLeaseMs = 3000;
const std::string kSpace = "docs";
const std::string kNs = "@render/dashboard";
const std::string kKey = "panel\nlight\nUTC";

class RenderLease : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_TRUE(store_->spaces().create("test", kSpace, "").ok());
  }
  static RenderLeases leases_of(Store& s, const std::string& holder) {
    return RenderLeases(s.context(), RenderLeaseOptions{kLeaseMs, 5}, holder);
  }
  static bool cached(Store& s) {
    auto hit = s.cache().get(kSpace, kNs, kKey);
    return hit.ok() && !hit->stale;
  }
  static SteadyClock::time_point passed() { return SteadyClock::now(); }
  static SteadyClock::time_point later() { return SteadyClock::now() + std::chrono::seconds(20); }
};

TEST_P(RenderLease, RL1_ConcurrentColdRendersOnTwoHostsMakeOneUpstreamRequest) {
  auto other = open_another();
  ASSERT_TRUE(other);
  Store* hosts[2] = {store_.get(), other.get()};
  // One holder per view: a lease is re-entrant for its holder (a host
  // re-taking its own lease), and within one host the engine's in-process
  // single-flight already lets only one view of a key reach the lease.
  constexpr int kViewsPerHost = 8;
  std::atomic<int> upstream{0}, used_other{0}, timed_out{0};
  std::vector<std::thread> views;
  for (int h = 0; h < 2; ++h) {
    for (int v = 0; v < kViewsPerHost; ++v) {
      views.emplace_back([&, h, v] {
        Store& s = *hosts[h];
        RenderLeases lease =
            leases_of(s, std::string(h == 0 ? "host-a/" : "host-b/") + std::to_string(v));
        switch (lease.claim(kSpace, kNs, kKey, later(), [&] { return cached(s); })) {
          case Claim::render:
            ++upstream;  // the request to Grafana
            EXPECT_TRUE(s.cache().put(kSpace, kNs, kKey, "<p>panel</p>", 60).ok());
            lease.release(kSpace, kNs, kKey);
            break;
          case Claim::filled:
            ++used_other;
            break;
          case Claim::timed_out:
            ++timed_out;
            break;
        }
      });
    }
  }
  for (auto& t : views) t.join();
  EXPECT_EQ(upstream.load(), 1);
  EXPECT_EQ(used_other.load(), 2 * kViewsPerHost - 1);
  EXPECT_EQ(timed_out.load(), 0);
}

TEST_P(RenderLease, RL2_LeaseOfAHostThatDiedIsTakenOverOnlyAfterItExpired) {
  auto other = open_another();
  ASSERT_TRUE(other);
  auto dying = leases_of(*store_, "host-a");
  auto survivor = leases_of(*other, "host-b");
  ASSERT_EQ(dying.claim(kSpace, kNs, kKey, later(), [] { return false; }), Claim::render);
  // host-a dies here: no release, no cache fill.
  EXPECT_EQ(survivor.claim(kSpace, kNs, kKey, passed(), [&] { return cached(*other); }),
            Claim::timed_out);
  now_ms_ += kLeaseMs - 1;
  EXPECT_EQ(survivor.claim(kSpace, kNs, kKey, passed(), [&] { return cached(*other); }),
            Claim::timed_out);
  now_ms_ += 1;
  EXPECT_EQ(survivor.claim(kSpace, kNs, kKey, passed(), [&] { return cached(*other); }),
            Claim::render);
  // The late release of the old holder does not drop the new holder's lease.
  dying.release(kSpace, kNs, kKey);
  auto third = leases_of(*store_, "host-c");
  EXPECT_EQ(third.claim(kSpace, kNs, kKey, passed(), [] { return false; }), Claim::timed_out);
}

TEST_P(RenderLease, RL3_LeaseIsReleasedWhenTheRenderFailsAndTheNextHostRendersAtOnce) {
  auto other = open_another();
  ASSERT_TRUE(other);
  auto failing = leases_of(*store_, "host-a");
  auto next = leases_of(*other, "host-b");
  ASSERT_EQ(failing.claim(kSpace, kNs, kKey, later(), [] { return false; }), Claim::render);
  failing.release(kSpace, kNs, kKey);  // Grafana answered 500: nothing cached
  EXPECT_EQ(next.claim(kSpace, kNs, kKey, passed(), [&] { return cached(*other); }), Claim::render);
}

TEST_P(RenderLease, RL4_WaiterUsesTheHoldersCacheFillInsteadOfRendering) {
  auto other = open_another();
  ASSERT_TRUE(other);
  auto holder = leases_of(*store_, "host-a");
  auto waiter = leases_of(*other, "host-b");
  ASSERT_EQ(holder.claim(kSpace, kNs, kKey, later(), [] { return false; }), Claim::render);
  std::thread fill([&] {
    EXPECT_TRUE(store_->cache().put(kSpace, kNs, kKey, "<p>panel</p>", 60).ok());
    // No release: the waiter must notice the fill itself, not the lease.
  });
  EXPECT_EQ(waiter.claim(kSpace, kNs, kKey, later(), [&] { return cached(*other); }),
            Claim::filled);
  fill.join();
}

TEST_P(RenderLease, RL1_OtherKeysAndSpacesHaveTheirOwnLeases) {
  auto a = leases_of(*store_, "host-a");
  auto b = leases_of(*store_, "host-b");
  ASSERT_EQ(a.claim(kSpace, kNs, kKey, later(), [] { return false; }), Claim::render);
  EXPECT_EQ(b.claim(kSpace, kNs, kKey + "x", passed(), [] { return false; }), Claim::render);
  EXPECT_EQ(b.claim("other", kNs, kKey, passed(), [] { return false; }), Claim::render);
  EXPECT_EQ(b.claim(kSpace, kNs, kKey, passed(), [] { return false; }), Claim::timed_out);
}

VITRINE_ON_EVERY_BACKEND(RenderLease);

}  // namespace
}  // namespace vitrine::store::testing
