#include "serve_process.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "store/crypto/keyring.h"

namespace vitrine::testing {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

Http http(uint16_t port, const std::string& method, const std::string& path,
          const std::string& bearer, const std::string& json_body) {
  Http out;
  try {
    Poco::Net::HTTPClientSession s("127.0.0.1", port);
    s.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!bearer.empty()) req.set("Authorization", "Bearer " + bearer);
    if (!json_body.empty()) req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(json_body.size()));
    s.sendRequest(req) << json_body;
    Poco::Net::HTTPResponse res;
    std::istream& in = s.receiveResponse(res);
    std::stringstream ss;
    ss << in.rdbuf();
    out.status = res.getStatus();
    out.body = ss.str();
  } catch (const std::exception& e) {
    out.body = e.what();
  }
  return out;
}

bool ServeProcess::start(const std::string& cli, const std::string& config,
                         const std::filesystem::path& log, uint16_t port) {
  port_ = port;
  pid_ = ::fork();
  if (pid_ == 0) {
    std::FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    ::execl(cli.c_str(), cli.c_str(), "serve", "--config", config.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 300; ++i) {
    if (http(port_, "GET", "/healthz").status == 200) return true;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void ServeProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

void ServedHost::SetUp() {
  HostFixture::SetUp();
  auto ring = store::crypto::Keyring::load_env();
  ASSERT_TRUE(ring.ok());
  key_file_ = dir_ / "vitrine.keys";
  ASSERT_TRUE(ring->create_file(key_file_).ok());
  ::unsetenv("VITRINE_MASTER_KEY");
  rt_.reset();  // the test's own runtime would hold the database too
}

void ServedHost::TearDown() {
  stop_server();
  HostFixture::TearDown();
}

std::string ServedHost::cli() const {
  return std::string(VITRINE_CLI_PATH) + " --data-dir " + config_.data_dir.string() +
         " --key-file " + key_file_.string();
}

std::string ServedHost::write_config(uint16_t port, const std::string& plugin_mode) {
  return HostFixture::write_config(plugin_mode, "listen: 127.0.0.1:" + std::to_string(port) +
                                                    "\nkey_file: " + key_file_.string() + "\n" +
                                                    extra_config_);
}

void ServedHost::start_server(const std::string& plugin_mode) {
  port_ = free_port();
  ASSERT_TRUE(
      server_.start(VITRINE_CLI_PATH, write_config(port_, plugin_mode), dir_ / "serve.log", port_))
      << "vitrine serve did not answer /healthz";
}

std::string ServedHost::create_token(const std::string& role) {
  auto r = run(cli() + " tokens create --role " + role);
  EXPECT_EQ(r.status, 0) << r.output;
  // The token is the last line (stdout); the line before it is stderr's.
  std::string t = r.output;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t.substr(t.rfind('\n') + 1);
}

}  // namespace vitrine::testing
