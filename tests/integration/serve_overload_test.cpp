// Issue "stay up when Grafana is slow and clients are hostile", through the
// real `vitrine serve`: health checks and cached pages answer while cold
// views wait on a slow Grafana (bulkhead), a view whose client hangs up is
// cancelled and counted, and SIGTERM with a backlog of slow views ends
// within the shutdown grace.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include "serve_process.h"

using ::testing::HasSubstr;

namespace vitrine::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Sends a page request on a raw socket and returns the socket without
// reading the answer (a client that may hang up at any time).
int send_request(uint16_t port, const std::string& path, const std::string& bearer) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                          bearer + "\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

class ServeOverload : public ServedHost {
 protected:
  void SetUp() override {
    ServedHost::SetUp();
    std::filesystem::create_directories(config_.data_dir / "pages" / "demo");
    std::ofstream(config_.data_dir / "pages" / "demo" / "cold.md")
        << "# Cold\n\n```dashboard\ndashboard: svc-checkout\n```\n";
    std::ofstream(config_.data_dir / "pages" / "demo" / "warm.md")
        << "# Warm\n\n```alert-list\nmax_items: 5\n```\n";
  }
  void slow_dashboards(int latency_ms) {
    sim::FaultRule slow;
    slow.mode = sim::FaultMode::kLatency;
    slow.latency_ms = latency_ms;
    slow.paths = {"/api/dashboards/"};
    sim_->context().faults.add(slow);
  }
  std::string metrics() { return http(port_, "GET", "/metrics").body; }
};

TEST_F(ServeOverload, Bulkhead_HealthAndCachedPagesAnswerWhileColdViewsWaitOnASlowGrafana) {
  extra_config_ = "render:\n  threads: 2\n  macro_deadline_ms: 4000\n";
  start_server();
  const std::string viewer = create_token("viewer:demo");
  ASSERT_EQ(http(port_, "GET", "/spaces/demo/pages/warm", viewer).status, 200);
  slow_dashboards(3000);
  // More cold views than the server has connection threads (8): each asks
  // for another time range, so nothing coalesces.
  std::vector<int> cold;
  for (int i = 0; i < 24; ++i) {
    cold.push_back(send_request(
        port_, "/spaces/demo/pages/cold?from=now-" + std::to_string(i + 1) + "h", viewer));
    ASSERT_GE(cold.back(), 0);
  }
  std::this_thread::sleep_for(300ms);
  for (int probe = 0; probe < 5; ++probe) {
    auto t = Clock::now();
    EXPECT_EQ(http(port_, "GET", "/healthz").status, 200);
    EXPECT_LT(seconds_since(t), 0.5) << "/healthz waited behind cold page views";
    t = Clock::now();
    const auto warm = http(port_, "GET", "/spaces/demo/pages/warm", viewer);
    EXPECT_EQ(warm.status, 200);
    EXPECT_LT(seconds_since(t), 0.5) << "a cached page waited behind cold page views";
  }
  for (int fd : cold) ::close(fd);
}

TEST_F(ServeOverload, Cancellation_AViewWhoseClientHangsUpIsAbandonedAndCounted) {
  extra_config_ = "render:\n  threads: 1\n  macro_deadline_ms: 8000\n";
  start_server();
  const std::string viewer = create_token("viewer:demo");
  slow_dashboards(4000);
  const int fd = send_request(port_, "/spaces/demo/pages/cold", viewer);
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(300ms);
  ::close(fd);  // the reader gives up
  const auto gone = Clock::now();
  bool counted = false;
  while (!counted && seconds_since(gone) < 3.0) {
    counted = metrics().find("vitrine_page_views_abandoned_total{reason=\"client-gone\"} 1") !=
              std::string::npos;
    if (!counted) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(counted) << "the abandoned view was not cancelled within 3 s of the hang-up:\n"
                       << metrics();
}

TEST_F(ServeOverload, Shutdown_SigtermWithABacklogOfSlowViewsEndsWithinTheGrace) {
  extra_config_ =
      "render:\n  threads: 2\n  macro_deadline_ms: 20000\nserver:\n  shutdown_grace_s: 2\n";
  start_server();
  const std::string viewer = create_token("viewer:demo");
  slow_dashboards(15000);
  std::vector<int> cold;
  for (int i = 0; i < 20; ++i) {
    cold.push_back(send_request(
        port_, "/spaces/demo/pages/cold?from=now-" + std::to_string(i + 1) + "h", viewer));
  }
  std::this_thread::sleep_for(500ms);
  const auto t = Clock::now();
  stop_server();  // SIGTERM, then waits for the process
  EXPECT_LT(seconds_since(t), 5.0) << "shutdown took longer than the 2 s grace (plus a margin)";
  for (int fd : cold) ::close(fd);
}

}  // namespace
}  // namespace vitrine::testing
