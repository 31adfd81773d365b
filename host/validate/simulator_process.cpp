#include "validate/simulator_process.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

extern char** environ;

namespace vitrine::validate {
namespace {

namespace fs = std::filesystem;

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

// Runs `args` and returns its stdout (the token printer); empty on failure.
std::string capture(std::vector<std::string> args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  auto argv = argv_of(args);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  std::string out;
  if (rc == 0) {
    char buf[256];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) out.clear();
  }
  ::close(fds[0]);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string tail_of(const fs::path& file) {
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

}  // namespace

fs::path default_simulator_path() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "vitrine-grafana-sim";
  const fs::path beside = self.parent_path() / "vitrine-grafana-sim";
  if (fs::exists(beside)) return beside;
  // The build tree: host/cli/vitrine and tools/grafana_sim/vitrine-grafana-sim.
  const fs::path build = self.parent_path().parent_path().parent_path() / "tools" / "grafana_sim" /
                         "vitrine-grafana-sim";
  return fs::exists(build) ? build : beside;
}

std::unique_ptr<SimulatorProcess> SimulatorProcess::start(const fs::path& binary,
                                                          const fs::path& work_dir,
                                                          const std::vector<std::string>& hostnames,
                                                          std::string& error) {
  if (::access(binary.c_str(), X_OK) != 0) {
    error = "the Grafana simulator '" + binary.string() +
            "' is not an executable file; install vitrine-grafana-sim beside vitrine or pass "
            "--simulator PATH";
    return nullptr;
  }
  std::unique_ptr<SimulatorProcess> sim(new SimulatorProcess);
  sim->work_dir_ = work_dir;
  // A fresh token per run: it exists only between this run and its own
  // simulator on loopback.
  std::random_device rd;
  sim->token_ = capture({binary.string(), "--print-token", "validate-" + std::to_string(rd())});
  if (sim->token_.rfind("glsa_", 0) != 0) {
    error = "the Grafana simulator '" + binary.string() +
            "' did not print a token (--print-token); check that it is vitrine-grafana-sim";
    return nullptr;
  }
  std::string names;
  for (const auto& h : hostnames) names += (names.empty() ? "" : ",") + h;
  const fs::path ready = work_dir / "sim.ready";
  const fs::path log = work_dir / "sim.log";
  std::vector<std::string> args = {binary.string(),
                                   "--self-signed-dir",
                                   (work_dir / "tls").string(),
                                   "--hostname",
                                   names,
                                   "--token",
                                   sim->token_,
                                   "--port",
                                   "0",
                                   "--admin-port",
                                   "0",
                                   "--ready-file",
                                   ready.string(),
                                   "--log-level",
                                   "warn"};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  auto argv = argv_of(args);
  const int rc = posix_spawn(&sim->pid_, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    sim->pid_ = -1;
    error = "could not start the Grafana simulator '" + binary.string() + "': " + std::strerror(rc);
    return nullptr;
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (::waitpid(sim->pid_, &status, WNOHANG) == sim->pid_) {
      sim->pid_ = -1;
      error = "the Grafana simulator exited at start: " + tail_of(log);
      return nullptr;
    }
    std::ifstream in(ready);
    unsigned port = 0, admin = 0;
    if (in >> port >> admin && port != 0 && admin != 0) {
      sim->port_ = static_cast<uint16_t>(port);
      sim->admin_port_ = static_cast<uint16_t>(admin);
      return sim;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error = "the Grafana simulator did not listen within 15 s (" + log.string() + ")";
  return nullptr;
}

SimulatorProcess::~SimulatorProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

bool SimulatorProcess::admin(const std::string& method, const std::string& body,
                             std::string& error) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", admin_port_);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(method, "/faults", Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::ostringstream answer;
    answer << session.receiveResponse(resp).rdbuf();
    if (resp.getStatus() >= 300) {
      error = "the simulator's admin API answered " + std::to_string(resp.getStatus()) + " to " +
              method + " /faults: " + answer.str();
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    error = "the simulator's admin API is unreachable: " + std::string(e.what());
    return false;
  }
}

bool SimulatorProcess::set_fault(const Fault& f, std::string& error) {
  std::string body = "{\"mode\":\"" + f.mode + "\"";
  if (f.status != 0) body += ",\"status\":" + std::to_string(f.status);
  if (f.latency_ms != 0) body += ",\"latency_ms\":" + std::to_string(f.latency_ms);
  if (f.size_bytes != 0) body += ",\"size_bytes\":" + std::to_string(f.size_bytes);
  body += "}";
  return admin(Poco::Net::HTTPRequest::HTTP_PUT, body, error);
}

bool SimulatorProcess::clear_faults(std::string& error) {
  return admin(Poco::Net::HTTPRequest::HTTP_DELETE, "", error);
}

}  // namespace vitrine::validate
