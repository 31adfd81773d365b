// P5 while serving, through the real binaries: `vitrine serve` keeps
// decrypting its space's Grafana token on every request while another
// process rotates the keyring three times and retires the first key, and
// every record stays readable when a rotation is killed (-9) part-way.
#include <gmock/gmock.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "host_fixture.h"
#include "serve_process.h"
#include "store/crypto/keyring.h"
#include "store/store.h"

using ::testing::HasSubstr;

namespace vitrine::testing {
namespace {

using LiveKeys = ServedHost;

TEST_F(LiveKeys, P5_RotateThreeTimesAndRetireWhileServingFailsNoRequest) {
  const std::string admin = create_token("platform-admin");
  start_server();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::string first_failure;
  std::mutex mu;
  auto load = [&] {
    while (!stop.load()) {
      // Decrypts the space's token and calls Grafana with it.
      Http r = http(port_, "POST", "/api/v1/spaces/demo/test-connection", admin);
      if (r.status == 200 && r.body.find("\"ok\":true") != std::string::npos) {
        ++ok;
      } else {
        ++failed;
        std::lock_guard<std::mutex> lock(mu);
        if (first_failure.empty()) first_failure = std::to_string(r.status) + " " + r.body;
      }
    }
  };
  std::thread a(load), b(load);
  for (int i = 0; i < 3; ++i) {
    auto r = run(cli() + " keys rotate");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("re-wrapped"));
  }
  auto retire = run(cli() + " keys retire k1");
  EXPECT_EQ(retire.status, 0) << retire.output;
  // The server adopts the last keyring generation within a second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  a.join();
  b.join();
  EXPECT_EQ(failed.load(), 0) << first_failure;
  EXPECT_GT(ok.load(), 10);
  std::printf("connection tests while rotating: %d ok, %d failed\n", ok.load(), failed.load());
  Http ready = http(port_, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_THAT(ready.body, HasSubstr("\"keyring\":\"k2,k3,k4\"")) << ready.body;
  EXPECT_THAT(ready.body, HasSubstr("\"converged\":true")) << ready.body;
  // SQLite: passes are woken by the poll (no listen connection).
  EXPECT_THAT(ready.body, HasSubstr("\"wake\":\"poll\"")) << ready.body;
  auto list = run(cli() + " keys list");
  EXPECT_EQ(list.output, "k2\nk3\nk4  (encrypts new records)\n");
}

TEST_F(LiveKeys, P5_ServeRefusesAKeyringThatIsNotTheDatas) {
  // Another installation's keyring under the same file name.
  std::filesystem::remove(key_file_);
  store::crypto::Keyring other;
  ASSERT_TRUE(other.add_generated().ok());
  ASSERT_TRUE(other.create_file(key_file_).ok());
  const std::string config = write_config(free_port());
  auto r = run("timeout 20 " + std::string(VITRINE_CLI_PATH) + " serve --config " + config);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("[keyring-mismatch]"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("HTTP 401")));
}

TEST_F(LiveKeys, P5_KillNineDuringRotationLeavesEveryRecordReadable) {
  // Enough records that one rotation takes a while (every re-wrap is its
  // own synced transaction), so the kill points land before, during and
  // after it.
  {
    store::StoreOptions o;
    o.data_dir = config_.data_dir;
    auto ring = store::crypto::Keyring::load_file(key_file_);
    ASSERT_TRUE(ring.ok());
    o.keyring = std::move(*ring);
    auto s = store::Store::open(std::move(o));
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto spaces = (*s)->spaces();
    for (int i = 0; i < 150; ++i) {
      const std::string key = "s" + std::to_string(i);
      ASSERT_TRUE(spaces.create("test", key, "").ok());
      store::ConnectRequest c;
      c.origin = "https://demo.grafana.net";
      ASSERT_TRUE(spaces.connect("test", key, c).ok());
      ASSERT_TRUE(spaces.set_token("test", key, store::crypto::SecretString(token_)).ok());
    }
  }
  for (int delay_ms : {0, 10, 40, 120, 300}) {
    const std::string cmd = cli() + " keys rotate";
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", (cmd + " >/dev/null 2>&1").c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    // Whatever was written, the file and the data agree: the store opens
    // (the key check passes) and the token decrypts through the real path.
    auto test = run(cli() + " spaces test demo --config " + write_config(free_port()));
    EXPECT_EQ(test.status, 0) << "after kill at " << delay_ms << " ms: " << test.output;
  }
  // And a completed rotation afterwards re-wraps whatever was left behind.
  auto r = run(cli() + " keys rotate");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(" 0 unreadable"));
}

}  // namespace
}  // namespace vitrine::testing
