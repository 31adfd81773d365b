// The real `vitrine` binary, in separate processes on one data directory
// (docs/security/storage.md, "Locking and disk full"):
//   * one server per data directory: a second `vitrine serve` refuses to
//     start naming the first one's pid; after kill -9 the next server takes
//     the stale lock over;
//   * writers never see "database is locked": 8 CLI writer processes, API
//     writers and an API reader against a running server for VITRINE_LOCK_STRESS_SECONDS
//     (default 20) finish with 0 failures, and every acknowledged write has
//     its audit row (the count is exact).
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "store/data_dir_lock.h"
#include "store/sqlite/sqlite_backend.h"
#include "support/shell_run.h"
#include "test_support.h"

namespace vitrine::store::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kMasterKey = "dGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY=";

using test_support::Run;
using test_support::run;

// A `vitrine serve` child with its output in files.
struct Server {
  pid_t pid = -1;
  std::filesystem::path out;
  std::filesystem::path err;
  std::string url;
};

Server start_server(const std::string& config, const std::filesystem::path& dir,
                    const std::string& name) {
  Server s;
  s.out = dir / (name + ".out");
  s.err = dir / (name + ".err");
  s.pid = ::fork();
  if (s.pid == 0) {
    const int o = ::open(s.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(s.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execl(VITRINE_CLI, VITRINE_CLI, "serve", "--config", config.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = read_file(s.out);
    const auto at = text.find("serving on ");
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      s.url = text.substr(at + 11, text.find('\n', at) - at - 11);
      return s;
    }
    int status = 0;
    if (::waitpid(s.pid, &status, WNOHANG) == s.pid) {
      s.pid = -1;
      return s;
    }
    std::this_thread::sleep_for(50ms);
  }
  return s;
}

void stop_server(Server& s, int sig) {
  if (s.pid <= 0) return;
  ::kill(s.pid, sig);
  ::waitpid(s.pid, nullptr, 0);
  s.pid = -1;
}

int http(const std::string& method, const std::string& base, const std::string& path,
         const std::string& bearer) {
  try {
    Poco::URI uri(base);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(60, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + bearer);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& body = session.receiveResponse(resp);
    std::string ignored((std::istreambuf_iterator<char>(body)), std::istreambuf_iterator<char>());
    return static_cast<int>(resp.getStatus());
  } catch (const std::exception&) {
    return -1;
  }
}

class ServeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv(crypto::kMasterKeyEnv, kMasterKey, 1);
    dir_ = make_temp_dir();
    ASSERT_FALSE(dir_.empty());
    data_ = dir_ / "data";
    std::filesystem::create_directories(dir_ / "plugins");
    config_ = (dir_ / "vitrine.yml").string();
    std::ofstream(config_) << "listen: 127.0.0.1:0\n"
                           << "data_dir: " << data_.string() << "\n"
                           << "plugins_dir: " << (dir_ / "plugins").string() << "\n"
                           << "plugins:\n  mode: in-process\n";
  }
  void TearDown() override {
    stop_server(server_, SIGKILL);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string cli() const { return std::string(VITRINE_CLI) + " --data-dir " + data_.string(); }

  // A platform-admin token and the space `demo`, written before the server
  // starts.
  std::string prepare() {
    StoreOptions o;
    o.data_dir = data_;
    auto ring = crypto::Keyring::load(std::nullopt);
    EXPECT_TRUE(ring.ok());
    if (!ring) return "";
    o.keyring = std::move(*ring);
    auto s = Store::open(std::move(o));
    EXPECT_TRUE(s.ok()) << s.error().message;
    if (!s) return "";
    auto token = (*s)->admin_tokens().create("test", "platform-admin");
    EXPECT_TRUE(token.ok());
    EXPECT_TRUE((*s)->spaces().create("test", "demo", "").ok());
    return token ? std::string(token->token.view()) : "";
  }

  int64_t audit_count(const std::string& action) {
    auto b = open_sqlite_backend(data_ / kSqliteFileName);
    EXPECT_TRUE(b.ok());
    if (!b) return -1;
    AuditQuery q;
    q.action_prefix = action;
    auto rows = (*b)->query_audit(q);
    EXPECT_TRUE(rows.ok());
    if (!rows) return -1;
    int64_t n = 0;
    for (const auto& r : *rows) n += (r.action == action && r.verdict == "ok") ? 1 : 0;
    return n;
  }

  std::filesystem::path dir_;
  std::filesystem::path data_;
  std::string config_;
  Server server_;
};

TEST_F(ServeProcessTest, SecondServeOnOneDataDirRefusesNamingThePidAndStaleLockIsTakenOver) {
  prepare();
  server_ = start_server(config_, dir_, "first");
  ASSERT_GT(server_.pid, 0) << read_file(dir_ / "first.err");
  ASSERT_FALSE(server_.url.empty());

  const auto second = run("timeout 60 " + std::string(VITRINE_CLI) + " serve --config " + config_);
  EXPECT_EQ(second.status, 2) << second.output;
  EXPECT_NE(second.output.find("vitrine serve (pid " + std::to_string(server_.pid) +
                               ") is already running on data directory"),
            std::string::npos)
      << second.output;
  EXPECT_NE(second.output.find("stop it first"), std::string::npos) << second.output;

  // The CLI does not take the serve lock: it works beside the server.
  const auto beside = run(cli() + " spaces create beside");
  EXPECT_EQ(beside.status, 0) << beside.output;

  const pid_t crashed = server_.pid;
  stop_server(server_, SIGKILL);
  EXPECT_EQ(read_file(data_ / kServeLockFileName), std::to_string(crashed) + "\n");
  server_ = start_server(config_, dir_, "third");
  ASSERT_GT(server_.pid, 0) << read_file(dir_ / "third.err");
  EXPECT_NE(read_file(dir_ / "third.err").find("server.lock_taken_over"), std::string::npos);
  EXPECT_EQ(read_file(data_ / kServeLockFileName), std::to_string(server_.pid) + "\n");
  stop_server(server_, SIGTERM);
  EXPECT_EQ(read_file(data_ / kServeLockFileName), "");  // a clean stop clears the pid
}

TEST_F(ServeProcessTest, ConcurrentCliAndApiWritersNeverFailAndEveryWriteIsAudited) {
  int seconds = 20;
  if (const char* env = std::getenv("VITRINE_LOCK_STRESS_SECONDS")) seconds = std::atoi(env);
  ASSERT_GT(seconds, 0);
  constexpr int kApiSpaces = 2000;  // more than the API deletes in the time
  const std::string bearer = prepare();
  ASSERT_FALSE(bearer.empty());
  {
    // The API deletes spaces the CLI does not touch; created in bulk here
    // (without audit rows: only the rows written during the run count).
    auto b = open_sqlite_backend(data_ / kSqliteFileName);
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->transaction([&]() -> Status {
                      for (int i = 0; i < kApiSpaces; ++i) {
                        SpaceRow r;
                        r.key = "api-" + std::to_string(i);
                        r.display_name = r.key;
                        r.created_by = "test";
                        char id[33];
                        std::snprintf(id, sizeof id, "%032x", i + 1);
                        r.id = id;
                        if (auto st = (*b)->insert_space(r); !st) return st;
                      }
                      return ok_status();
                    })
                    .ok());
  }
  const int64_t created_before = audit_count("space.create");
  const int64_t tokens_before = audit_count("admin-token.create");
  const int64_t deleted_before = audit_count("space.delete");

  server_ = start_server(config_, dir_, "stress");
  ASSERT_GT(server_.pid, 0) << read_file(dir_ / "stress.err");

  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::mutex mu;
  std::vector<std::string> failures;
  std::atomic<int> cli_spaces{0}, cli_tokens{0}, api_deletes{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; std::chrono::steady_clock::now() < end; ++i) {
        const bool space = (w + i) % 2 == 0;
        const std::string cmd =
            space ? cli() + " spaces create w" + std::to_string(w) + "-" + std::to_string(i)
                  : cli() + " tokens create --role viewer:demo";
        const auto r = run(cmd);
        if (r.status != 0) {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back(cmd + " -> " + std::to_string(r.status) + ": " + r.output);
        } else {
          ++(space ? cli_spaces : cli_tokens);
        }
      }
    });
  }
  std::atomic<int> next_space{0};
  // Enough API writers that the server holds the write lock most of the
  // time: the CLI writers must wait for it, not fail.
  for (int w = 0; w < 6; ++w) {
    writers.emplace_back([&] {
      while (std::chrono::steady_clock::now() < end) {
        const int i = next_space++;
        if (i >= kApiSpaces) break;
        const int status =
            http("DELETE", server_.url, "/api/v1/spaces/api-" + std::to_string(i), bearer);
        if (status != 200) {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back("DELETE api-" + std::to_string(i) + " -> " + std::to_string(status));
        } else {
          ++api_deletes;
        }
      }
    });
  }
  // A reader alongside: reads never wait for the write lock (WAL).
  std::atomic<int> reads{0};
  writers.emplace_back([&] {
    while (std::chrono::steady_clock::now() < end) {
      const int status = http("GET", server_.url, "/api/v1/spaces/demo", bearer);
      if (status != 200) {
        std::lock_guard<std::mutex> lock(mu);
        failures.push_back("GET demo -> " + std::to_string(status));
      } else {
        ++reads;
      }
    }
  });
  for (auto& t : writers) t.join();
  stop_server(server_, SIGTERM);

  std::cout << "[ measured ] " << seconds << " s: " << cli_spaces << " CLI spaces create, "
            << cli_tokens << " CLI tokens create, " << api_deletes << " API space deletes, "
            << reads << " API reads, " << failures.size() << " failures\n";
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
  EXPECT_GT(cli_spaces + cli_tokens, 8);
  EXPECT_GT(api_deletes, 0);
  // Exact: one audit row per acknowledged write, no more, no less.
  EXPECT_EQ(audit_count("space.create") - created_before, cli_spaces.load());
  EXPECT_EQ(audit_count("admin-token.create") - tokens_before, cli_tokens.load());
  EXPECT_EQ(audit_count("space.delete") - deleted_before, api_deletes.load());
}

}  // namespace
}  // namespace vitrine::store::testing
