#include "worker/worker_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "log/log.h"
#include "metrics/metrics.h"
#include "plugins/call.h"
#include "plugins/capability_tables.h"
#include "plugins/host_table.h"
#include "plugins/loader.h"
#include "worker/io.h"
#include "worker/ipc.h"
#include "worker/privileges.h"
#include "worker/syscall_allowlist.h"
#include "worker/syscall_report.h"
#include "worker/worker_process.h"

extern char** environ;

namespace vitrine::worker {
namespace {

using Clock = std::chrono::steady_clock;
using plugins::RenderInput;
using plugins::RenderOutput;

int64_t unix_ms_now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t ms_until(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
}

// Only these variables reach a worker: the host's environment may hold the
// master key or other secrets (P4), and a plugin needs none of them.
constexpr const char* kPassedEnv[] = {"TZ",           "TZDIR",         "LANG",        "LC_ALL",
                                      "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    return std::string("killed by SIG") + (abbrev != nullptr ? abbrev : std::to_string(sig));
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended";
}

// One worker process and its socket.
struct Worker {
  pid_t pid = -1;
  int fd = -1;
  ipc::FrameReader reader;
  uint32_t next_id = 0;
  Clock::time_point last_used = Clock::now();
  std::string sandbox;

  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() { kill_and_reap(); }

  // SIGKILL and wait; returns how it ended.
  std::string kill_and_reap() {
    std::string how;
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      how = describe_exit(status);
      pid = -1;
    }
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
    return how;
  }

  // After the socket closed: how the process ended (it is gone or going;
  // SIGKILL makes sure).
  std::string reap_after_eof() {
    if (pid <= 0) return "ended";
    int status = 0;
    // Give a dying worker a moment to finish exiting on its own so that the
    // real cause (SIGSEGV, exit code) is reported rather than our SIGKILL.
    for (int i = 0; i < 200; ++i) {
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        pid = -1;
        return describe_exit(status);
      }
      ::usleep(5000);
    }
    return kill_and_reap();
  }

  uint64_t resident_bytes() const {
    std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
    uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) return 0;
    return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  }
};

// What one process costs in memory. PSS (smaps_rollup) charges shared pages
// (the zygote's copy-on-write image, libraries) fractionally to each sharer;
// a worker is not dumpable, so only a privileged host can read it. Otherwise
// resident minus shared pages (statm), which counts only the private pages.
uint64_t process_memory(pid_t pid, bool& pss) {
  {
    std::ifstream rollup("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::string line;
    while (rollup && std::getline(rollup, line)) {
      if (line.rfind("Pss:", 0) == 0) {
        pss = true;
        return std::stoull(line.substr(4)) * 1024;
      }
    }
  }
  pss = false;
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  uint64_t size = 0, resident = 0, shared = 0;
  if (!(statm >> size >> resident >> shared) || shared > resident) return 0;
  return (resident - shared) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// What reading one frame produced.
enum class Read { frame, timeout, closed, protocol, memory };

// A plugin's fork server: a `vitrine-worker --zygote` process and its
// control socket. Requests are pipelined: each render thread sends its
// request under mu, and one of the waiting threads at a time (`reading`)
// reads the replies for all of them, so a busy host does not pay one
// scheduling round trip per start in series.
struct Zygote {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<Worker> proc;  // null: not running (started on demand)
  std::string sandbox;
  Clock::time_point retry_after{};         // after a failed start
  bool reading = false;                    // a thread reads proc's socket without mu
  uint64_t generation = 0;                 // bumped whenever proc is lost
  std::map<uint32_t, ipc::Ready> replies;  // arrived, not yet collected
};

struct PluginInfo {
  plugins::LoadedPlugin host_view;  // the manifest; no library, never rendered here
  std::string sandbox;
  std::unique_ptr<Zygote> zygote;  // null when zygotes are off
  // Forked, locked down and loaded, but not yet given to any space: the
  // first render of a new space takes one instead of waiting for a start.
  // A spare has rendered nothing and seen no space's data; once taken it
  // serves that one space for life, exactly like a worker forked for it.
  std::vector<std::unique_ptr<Worker>> spares;
  int spares_pending = 0;           // being forked by the refill thread
  Clock::time_point spare_retry{};  // after a failed refill
  // Bumped by retire(): a spare whose fork began before it came from the
  // retired zygote (the old library) and must not join the new spares.
  uint64_t spare_epoch = 0;
};

struct Pool {
  std::vector<std::unique_ptr<Worker>> idle;
  int live = 0;
  int crashes_in_a_row = 0;
  Clock::time_point retry_after{};
  std::string last_crash;
};

RenderOutput error_output(vitrine_status status, std::string rule, std::string message) {
  RenderOutput out;
  out.status = status;
  out.rule = std::move(rule);
  out.error = std::move(message);
  return out;
}

}  // namespace

std::filesystem::path default_worker_path() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "vitrine-worker";
  return self.parent_path() / "vitrine-worker";
}

struct WorkerRunner::Impl {
  WorkerConfig config;
  plugins::HostTable host_table;  // the same tables as in-process mode
  const vitrine_http_v1* http = nullptr;
  const vitrine_cache_v1* cache = nullptr;
  const vitrine_assets_v1* assets = nullptr;
  const vitrine_log_v1* log = nullptr;
  const vitrine_license_v1* license = nullptr;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, PluginInfo> plugins;  // nodes are stable
  std::map<std::pair<std::string, std::string>, Pool> pools;
  int live = 0;
  int started = 0;
  int forked = 0;
  int cap = 64;                       // effective max_workers
  uint64_t idle_bytes_estimate = 0;   // last sampled mean, 0 = not yet
  Clock::time_point next_reap{};      // idle reaping runs at most once a second
  Clock::time_point next_sample{};    // memory sampling every 5 s
  int fd_cap = 1 << 20;               // a quarter of RLIMIT_NOFILE
  std::condition_variable refill_cv;  // wakes the spare refill thread
  bool stopping = false;
  std::thread refiller;  // keeps WorkerConfig::spare_workers ready

  // The user workers run as under a root host (plugins.worker_user), or
  // why there is none: then no worker is started [worker-user].
  WorkerIdentity identity;
  std::string identity_error;

  explicit Impl(WorkerConfig c) : config(std::move(c)) {
    if (config.worker_path.empty()) config.worker_path = default_worker_path();
    identity_error = resolve_worker_user(config.worker_user, identity);
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
      fd_cap = static_cast<int>(std::min<rlim_t>(nofile.rlim_cur / 4, 1 << 20));
    }
    update_cap();
    plugins::offer_standard_capabilities(host_table);
    const vitrine_host* h = host_table.abi();
    http = static_cast<const vitrine_http_v1*>(h->get_capability(h, VITRINE_CAP_HTTP_V1));
    cache = static_cast<const vitrine_cache_v1*>(h->get_capability(h, VITRINE_CAP_CACHE_V1));
    assets = static_cast<const vitrine_assets_v1*>(h->get_capability(h, VITRINE_CAP_ASSETS_V1));
    log = static_cast<const vitrine_log_v1*>(h->get_capability(h, VITRINE_CAP_LOG_V1));
    license = static_cast<const vitrine_license_v1*>(h->get_capability(h, VITRINE_CAP_LICENSE_V1));
  }

  // ------------------------------------------------------------ process

  // The effective cap: fixed, or the memory budget over the sampled idle
  // memory of one worker (8 MiB until a sample exists). Caller holds mu or
  // is the constructor.
  void update_cap() {
    if (config.max_workers > 0) {
      cap = config.max_workers;
      return;
    }
    const uint64_t per = std::max<uint64_t>(
        idle_bytes_estimate == 0 ? 8ull << 20 : idle_bytes_estimate, 256ull << 10);
    const uint64_t by_memory = config.memory_budget_bytes / per;
    cap = static_cast<int>(std::clamp<uint64_t>(by_memory, 16, std::max(16, fd_cap)));
  }

  ipc::Hello make_hello(const manifest::Manifest& m, const std::string& space_key) const {
    ipc::Hello hello;
    hello.manifest_path = std::filesystem::absolute(m.path).string();
    hello.space_key = space_key;
    hello.address_space_bytes = config.address_space_bytes;
    hello.cpu_seconds = config.cpu_seconds;
    hello.max_open_files = config.max_open_files;
    hello.flags = (config.sandbox ? ipc::kHelloSandbox : 0u) |
                  (config.net_namespace ? ipc::kHelloNetNamespace : 0u);
    return hello;
  }

  // posix_spawns `vitrine-worker` (a zygote when `zygote`) on a new socket;
  // no handshake yet.
  std::unique_ptr<Worker> exec_process(bool zygote, std::string& rule, std::string& message) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      rule = "worker-start";
      message = std::string("socketpair failed: ") + std::strerror(errno);
      return nullptr;
    }
    auto w = std::make_unique<Worker>();
    w->fd = sv[0];

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, sv[1], kWorkerIpcFd);
    const std::string path = config.worker_path.string();
    std::string fd_arg = std::to_string(kWorkerIpcFd);
    std::vector<char*> argv = {const_cast<char*>(path.c_str()), const_cast<char*>("--ipc-fd"),
                               fd_arg.data()};
    if (zygote) argv.push_back(const_cast<char*>("--zygote"));
    // The worker switches to this user and group before any plugin code runs.
    std::string uid_arg = std::to_string(identity.uid), gid_arg = std::to_string(identity.gid);
    if (identity.switch_user) {
      for (char* a : {const_cast<char*>("--uid"), uid_arg.data(), const_cast<char*>("--gid"),
                      gid_arg.data()}) {
        argv.push_back(a);
      }
    }
    argv.push_back(nullptr);
    std::vector<std::string> env_store;
    for (const char* name : kPassedEnv) {
      if (const char* v = ::getenv(name)) env_store.push_back(std::string(name) + "=" + v);
    }
    std::vector<char*> envp;
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(sv[1]);
    if (rc != 0) {
      rule = "worker-start";
      message = "cannot start the worker '" + path + "' (" + std::strerror(rc) +
                "); install vitrine-worker beside vitrine or set the worker path";
      return nullptr;
    }
    w->pid = pid;
    return w;
  }

  // Reads the `ready` that answers a start (after sending `hello`, if any)
  // and checks it. On failure the process is reaped and `rule`/`message`
  // say why (the loader's refusal when the plugin itself was refused).
  bool handshake(Worker& w, const manifest::Manifest& m, const ipc::Hello* hello, std::string& rule,
                 std::string& message) {
    bool sent = true;
    if (hello != nullptr) {
      std::string frame;
      ipc::encode(frame, 1, *hello);
      sent = send_all(w.fd, frame);
    }
    ipc::FrameHeader header;
    std::string payload;
    const auto deadline = Clock::now() + std::chrono::milliseconds(config.start_timeout_ms);
    Read r = sent ? read_frame(w, deadline, header, payload, message) : Read::closed;
    ipc::Ready ready;
    ipc::DecodeError error;
    if (r == Read::frame &&
        (header.type != ipc::MessageType::ready || !ipc::decode(payload, ready, error))) {
      r = Read::protocol;
      message = error.empty() ? "expected a ready message" : error;
    }
    if (r != Read::frame) {
      const std::string how = r == Read::closed ? w.reap_after_eof() : w.kill_and_reap();
      rule = "worker-start";
      message = "the worker for plugin '" + m.id + "' did not start (" +
                (r == Read::timeout ? std::string("no answer in time") : how) +
                (message.empty() ? "" : ": " + message) + ")";
      return false;
    }
    if (ready.ok == 0) {
      w.kill_and_reap();
      rule = ready.rule;
      message = ready.message;
      return false;
    }
    w.sandbox = ready.sandbox;
    if (config.sandbox && ready.sandbox.find("seccomp") == std::string::npos) {
      w.kill_and_reap();
      rule = "worker-sandbox";
      message = "the worker reported no seccomp filter (" + ready.sandbox + ")";
      return false;
    }
    if (identity.switch_user && ready.sandbox.find("user(") == std::string::npos) {
      w.kill_and_reap();
      rule = "worker-privileges";
      message = "the worker reported no switch to plugins.worker_user (" + ready.sandbox + ")";
      return false;
    }
    return true;
  }

  // Starts a worker by exec and completes the hello/ready handshake.
  std::unique_ptr<Worker> spawn(const manifest::Manifest& m, const std::string& space_key,
                                std::string& rule, std::string& message) {
    auto w = exec_process(false, rule, message);
    if (!w) return nullptr;
    {
      std::lock_guard lock(mu);
      ++started;
    }
    const ipc::Hello hello = make_hello(m, space_key);
    if (!handshake(*w, m, &hello, rule, message)) return nullptr;
    count_start("exec");
    return w;
  }

  // Starts `z`'s zygote process. Caller holds z.mu.
  bool start_zygote(Zygote& z, const manifest::Manifest& m, std::string& rule,
                    std::string& message) {
    if (Clock::now() < z.retry_after) {
      rule = "worker-start";
      message = "the zygote failed to start recently";
      return false;
    }
    auto proc = exec_process(true, rule, message);
    const ipc::Hello hello = make_hello(m, "");
    if (!proc || !handshake(*proc, m, &hello, rule, message)) {
      z.retry_after = Clock::now() + std::chrono::milliseconds(config.backoff_max_ms);
      return false;
    }
    z.sandbox = proc->sandbox;
    log::info("worker.zygote_started",
              {{"plugin", m.id}, {"pid", std::to_string(proc->pid)}, {"sandbox", z.sandbox}});
    z.proc = std::move(proc);
    if (config.metrics != nullptr) {
      config.metrics
          ->counter("vitrine_worker_zygote_starts_total",
                    "Fork servers (zygotes) started, restarts after a crash included")
          .inc();
    }
    return true;
  }

  // Forks a worker for (plugin, space) from the plugin's zygote, starting or
  // restarting the zygote as needed. `zygote_failed`: no zygote could serve
  // the request (the caller may fall back to exec); otherwise a failure is
  // the child's own (refused, crashed while loading).
  std::unique_ptr<Worker> fork_worker(Zygote& z, const manifest::Manifest& m,
                                      const std::string& space_key, std::string& rule,
                                      std::string& message, bool& zygote_failed) {
    zygote_failed = false;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      rule = "worker-start";
      message = std::string("socketpair failed: ") + std::strerror(errno);
      return nullptr;
    }
    auto w = std::make_unique<Worker>();
    w->fd = sv[0];
    {
      std::unique_lock zlock(z.mu);
      // Twice at most: a request that finds the zygote dead restarts it once.
      for (int attempt = 0; attempt < 2 && w->pid <= 0; ++attempt) {
        if (!z.proc && !start_zygote(z, m, rule, message)) break;
        std::string frame;
        const uint32_t id = ++z.proc->next_id;
        ipc::encode(frame, id, make_hello(m, space_key));
        if (!send_with_fd(z.proc->fd, frame, sv[1])) {
          if (!z.reading) lose_zygote(z, m, Read::closed);
          continue;
        }
        const uint64_t generation = z.generation;
        const auto deadline = Clock::now() + std::chrono::milliseconds(config.start_timeout_ms);
        std::optional<ipc::Ready> ready;
        while (!ready && z.generation == generation) {
          if (auto it = z.replies.find(id); it != z.replies.end()) {
            ready = std::move(it->second);
            z.replies.erase(it);
          } else if (!z.reading) {
            // Read replies (for anyone) until ours is there or the zygote
            // is lost; only the reader may drop proc.
            z.reading = true;
            Worker* proc = z.proc.get();
            zlock.unlock();
            ipc::FrameHeader header;
            std::string payload;
            std::string why;
            Read r = read_frame(*proc, deadline, header, payload, why);
            ipc::Ready got;
            ipc::DecodeError error;
            if (r == Read::frame &&
                (header.type != ipc::MessageType::ready || !ipc::decode(payload, got, error))) {
              r = Read::protocol;
            }
            zlock.lock();
            z.reading = false;
            if (r == Read::frame) {
              z.replies[header.request_id] = std::move(got);
            } else {
              lose_zygote(z, m, r);
            }
            z.cv.notify_all();
          } else {
            z.cv.wait_until(zlock, deadline);
          }
        }
        if (!ready) continue;  // the zygote was lost: restart it and retry
        if (ready->ok == 0) {
          ::close(sv[1]);
          rule = ready->rule;
          message = ready->message;
          return nullptr;
        }
        w->pid = static_cast<pid_t>(std::stol(ready->message));
      }
    }
    ::close(sv[1]);
    if (w->pid <= 0) {
      w->fd = -1;
      ::close(sv[0]);
      zygote_failed = true;
      if (rule.empty()) rule = "worker-start";
      if (message.empty()) message = "the zygote for plugin '" + m.id + "' is not available";
      return nullptr;
    }
    {
      std::lock_guard lock(mu);
      ++started;
      ++forked;
    }
    if (!handshake(*w, m, nullptr, rule, message)) return nullptr;
    count_start("fork");
    return w;
  }

  // Reaps a zygote whose socket failed (`r`) and forgets its pending
  // replies; its children are the host's and live on. Caller holds z.mu and
  // is not racing a reader.
  void lose_zygote(Zygote& z, const manifest::Manifest& m, Read r) {
    if (!z.proc) return;
    const std::string how = r == Read::closed ? z.proc->reap_after_eof() : z.proc->kill_and_reap();
    log::warn("worker.zygote_lost", {{"plugin", m.id}, {"reason", how}});
    z.proc.reset();
    ++z.generation;
    z.replies.clear();
    z.cv.notify_all();
  }

  // The refill thread: keeps config.spare_workers spares per plugin with a
  // zygote, one fork at a time, off the render path.
  void refill_loop() {
    std::unique_lock lock(mu);
    while (!stopping) {
      PluginInfo* need = nullptr;
      const auto now = Clock::now();
      for (auto& [key, info] : plugins) {
        if (info.zygote &&
            static_cast<int>(info.spares.size()) + info.spares_pending < config.spare_workers &&
            now >= info.spare_retry) {
          need = &info;
          break;
        }
      }
      if (need == nullptr) {
        refill_cv.wait_for(lock, std::chrono::seconds(1));
        continue;
      }
      ++need->spares_pending;
      const uint64_t epoch = need->spare_epoch;
      lock.unlock();
      std::string rule, message;
      bool zygote_failed = false;
      auto w =
          fork_worker(*need->zygote, need->host_view.manifest, "", rule, message, zygote_failed);
      lock.lock();
      --need->spares_pending;
      if (w && need->spare_epoch != epoch) {
        // Retired while forking: kill and reap it outside the lock.
        lock.unlock();
        w.reset();
        lock.lock();
      } else if (w) {
        need->spares.push_back(std::move(w));
      } else {
        need->spare_retry = Clock::now() + std::chrono::seconds(1);
        log::warn("worker.spare_failed",
                  {{"plugin", need->host_view.manifest.id}, {"rule", rule}, {"reason", message}});
      }
    }
  }

  // Takes a live spare of `plugin`, or null. Caller holds mu.
  std::unique_ptr<Worker> take_spare(PluginInfo& plugin) {
    while (!plugin.spares.empty()) {
      auto w = std::move(plugin.spares.back());
      plugin.spares.pop_back();
      refill_cv.notify_one();
      // Still there? It is the host's child, so WNOHANG tells without waiting.
      int status = 0;
      if (::waitpid(w->pid, &status, WNOHANG) == 0) return w;
      w->pid = -1;  // already reaped
    }
    return nullptr;
  }

  void count_start(const char* how) {
    if (config.metrics == nullptr) return;
    config.metrics
        ->counter("vitrine_worker_starts_total",
                  "Worker processes started, by how: fork (from a zygote) or exec", {{"how", how}})
        .inc();
  }

  void count_retired(const char* reason, size_t n) {
    if (config.metrics == nullptr || n == 0) return;
    config.metrics
        ->counter("vitrine_worker_retired_total",
                  "Idle workers stopped, by reason: lru (at the cap), idle (past the idle "
                  "timeout) or retire (plugin retired)",
                  {{"reason", reason}})
        .inc(static_cast<double>(n));
  }

  // Reads the next frame before `deadline`. While waiting it also watches
  // the worker's resident size.
  Read read_frame(Worker& w, Clock::time_point deadline, ipc::FrameHeader& header,
                  std::string& payload, std::string& why) {
    for (;;) {
      ipc::DecodeError error;
      switch (w.reader.next(header, payload, error)) {
        case ipc::FrameReader::State::frame:
          return Read::frame;
        case ipc::FrameReader::State::error:
          why = error;
          return Read::protocol;
        case ipc::FrameReader::State::need_more:
          break;
      }
      const int64_t left = ms_until(deadline);
      if (left <= 0) return Read::timeout;
      pollfd p{w.fd, POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 50)));
      if (n < 0 && errno != EINTR) return Read::closed;
      if (n <= 0) {
        if (config.max_rss_bytes != 0 && w.resident_bytes() > config.max_rss_bytes) {
          return Read::memory;
        }
        continue;
      }
      if (receive_some(w.fd, w.reader) <= 0) return Read::closed;
    }
  }

  // ------------------------------------------------------------ capabilities

  // Runs one capability call from the worker through the host's own tables,
  // on the host's own call handle: the space, plugin and deadline come from
  // here, never from the worker.
  ipc::CapReply run_capability(vitrine_call& call, const ipc::CapCall& c) {
    ipc::CapReply r;
    auto str = [](const std::string& s) { return vitrine_str{s.data(), s.size()}; };
    auto copy = [](vitrine_str s) {
      return s.ptr == nullptr ? std::string() : std::string(s.ptr, s.len);
    };
    switch (c.op) {
      case ipc::CapOp::http_get: {
        std::vector<vitrine_http_header> headers;
        for (const auto& [k, v] : c.headers) headers.push_back({str(k), str(v)});
        vitrine_http_request req{sizeof(req), str(c.url), headers.data(), headers.size(),
                                 c.timeout_ms};
        vitrine_http_response resp{};
        resp.struct_size = sizeof(resp);
        r.status = http->get(&call, &req, &resp);
        r.http_status = resp.http_status;
        r.content_type = copy(resp.content_type);
        r.body = copy(resp.body);
        r.final_url = copy(resp.final_url);
        r.rule = copy(resp.rule);
        r.reason = copy(resp.reason);
        break;
      }
      case ipc::CapOp::cache_get: {
        vitrine_cache_entry e{};
        e.struct_size = sizeof(e);
        r.status = cache->get(&call, str(c.key), &e);
        r.body = copy(e.value);
        r.stored_at_ms = e.stored_at_ms;
        r.is_stale = e.is_stale;
        r.reason = copy(e.reason);
        break;
      }
      case ipc::CapOp::cache_put:
        r.status = cache->put(&call, str(c.key), str(c.data), c.ttl_s);
        break;
      case ipc::CapOp::asset_put: {
        vitrine_asset_ref ref{};
        ref.struct_size = sizeof(ref);
        r.status = assets->put(&call, str(c.key), str(c.data), &ref);
        r.body = copy(ref.url);
        r.reason = copy(ref.reason);
        break;
      }
      case ipc::CapOp::is_licensed: {
        int32_t licensed = 0;
        r.status = license->is_licensed(&call, str(c.key), &licensed);
        r.licensed = licensed;
        break;
      }
    }
    // A reply must fit a frame; a body that large is the plugin's problem.
    if (r.body.size() + r.reason.size() + r.final_url.size() > ipc::kMaxFramePayload - 65536) {
      r = ipc::CapReply{};
      r.status = VITRINE_E_TOO_LARGE;
      r.reason = "the response is larger than a worker message may be";
    }
    return r;
  }

  // ------------------------------------------------------------ one render

  enum class Fate { reuse, crashed, killed };

  RenderOutput run(Worker& w, const PluginInfo& plugin, const RenderInput& in, Fate& fate) {
    const std::string& id = plugin.host_view.manifest.id;
    const uint32_t render_id = ++w.next_id;
    ipc::Render msg{in.macro_key, in.params,           in.space_key,  in.page_id,
                    in.locale,    in.timezone,         in.theme,      in.time_from,
                    in.time_to,   in.grafana_base_url, in.timeout_ms, in.now_ms};
    std::string frame;
    ipc::encode(frame, render_id, msg);

    vitrine_call call;
    call.plugin = &plugin.host_view;
    call.space_key = in.space_key;
    call.page_id = in.page_id;
    call.grafana_base_url = in.grafana_base_url;
    call.deadline_ms = unix_ms_now() + in.timeout_ms;
    call.services = in.services;
    call.host_context = in.host_context;
    call.upstream_from_ms = in.upstream_from_ms;

    const auto deadline =
        Clock::now() +
        std::chrono::milliseconds(std::max<int64_t>(0, in.timeout_ms) + config.kill_grace_ms);
    fate = Fate::crashed;
    if (!send_all(w.fd, frame)) {
      return crashed(w, id, "the connection was closed: " + w.reap_after_eof());
    }
    for (;;) {
      ipc::FrameHeader header;
      std::string payload;
      std::string why;
      switch (read_frame(w, deadline, header, payload, why)) {
        case Read::frame:
          break;
        case Read::timeout:
          w.kill_and_reap();
          fate = Fate::killed;
          return error_output(VITRINE_E_TIMEOUT, "worker-timeout",
                              "plugin '" + id + "' did not finish within " +
                                  std::to_string(in.timeout_ms) +
                                  " ms and was stopped; the macro was not rendered. Try a "
                                  "shorter time range, or report it to the plugin's author");
        case Read::memory:
          w.kill_and_reap();
          fate = Fate::killed;
          return error_output(VITRINE_E_TOO_LARGE, "worker-memory",
                              "plugin '" + id + "' used more than " +
                                  std::to_string(config.max_rss_bytes >> 20) +
                                  " MiB of memory and was stopped; the macro was not rendered");
        case Read::closed:
          return crashed(w, id, w.reap_after_eof());
        case Read::protocol:
          return protocol_error(w, id, why);
      }
      ipc::DecodeError error;
      if (header.type == ipc::MessageType::cap_call) {
        ipc::CapCall c;
        if (!ipc::decode(payload, c, error)) return protocol_error(w, id, error);
        std::string reply;
        ipc::encode(reply, header.request_id, run_capability(call, c));
        if (!send_all(w.fd, reply)) return crashed(w, id, w.reap_after_eof());
        continue;
      }
      if (header.type == ipc::MessageType::log) {
        ipc::Log l;
        if (!ipc::decode(payload, l, error)) return protocol_error(w, id, error);
        if (l.level == kSyscallDeniedLogLevel) {
          report_denied_syscall(id, l.message);
          continue;
        }
        log->log(&call, l.level, vitrine_str{l.message.data(), l.message.size()});
        continue;
      }
      if (header.type != ipc::MessageType::result || header.request_id != render_id) {
        return protocol_error(
            w, id, "unexpected message type " + std::to_string(static_cast<int>(header.type)));
      }
      ipc::Result res;
      if (!ipc::decode(payload, res, error)) return protocol_error(w, id, error);
      if (res.html.size() > plugins::kMaxHtmlBytes || res.error.size() > plugins::kMaxErrorBytes) {
        return protocol_error(w, id, "the result exceeds the HTML or error size limit");
      }
      RenderOutput out;
      out.status = res.status;
      out.html = std::move(res.html);
      out.error = std::move(res.error);
      out.rule = std::move(res.rule);
      out.cache_ttl_s = res.cache_ttl_s;
      out.html_truncated = res.html_truncated != 0;
      if (out.status < 0 || out.status >= VITRINE_STATUS_COUNT) {
        out.status = VITRINE_E_INTERNAL;
        out.error = "plugin returned an unknown status";
      }
      fate = Fate::reuse;
      w.last_used = Clock::now();
      return out;
    }
  }

  // A call the worker's seccomp filter refused (worker/syscall_report.h):
  // a warning and vitrine_worker_syscall_denied_total{plugin,syscall}. The
  // name comes from the host's own table, so a worker cannot invent labels.
  void report_denied_syscall(const std::string& id, const std::string& message) {
    DeniedSyscall d;
    if (!parse_denied_report(message, d)) return;
    char buffer[32];
    const std::string name = d.nr < 0 ? "unknown" : syscall_name(d.nr, buffer);
    const std::string rule = "worker-syscall-denied";
    log::warn(
        "worker.syscall_denied",
        {{"plugin", id}, {"syscall", name}, {"count", std::to_string(d.count)}, {"rule", rule}});
    if (config.metrics != nullptr) {
      config.metrics
          ->counter(
              "vitrine_worker_syscall_denied_total",
              "System calls a worker's seccomp allowlist refused (EPERM), per plugin and call",
              {{"plugin", id}, {"syscall", name}})
          .inc(d.count);
    }
  }

  RenderOutput crashed(Worker&, const std::string& id, const std::string& how) {
    return error_output(VITRINE_E_INTERNAL, "worker-crashed",
                        "plugin '" + id + "' crashed while rendering (" + how +
                            "); the macro was not rendered and the plugin's worker will be "
                            "restarted. Report it to the plugin's author");
  }

  RenderOutput protocol_error(Worker& w, const std::string& id, const std::string& why) {
    w.kill_and_reap();
    return error_output(VITRINE_E_INTERNAL, "worker-protocol",
                        "plugin '" + id + "' sent a malformed message (" + why +
                            ") and its worker was stopped; the macro was not rendered");
  }

  // ------------------------------------------------------------ pools

  // Reaps idle workers past the idle timeout. Caller holds mu; the
  // processes are returned for killing outside the lock.
  void reap_idle(std::vector<std::unique_ptr<Worker>>& doomed) {
    // A scan over every pool; with thousands of spaces not on every render.
    const auto now = Clock::now();
    if (now < next_reap) return;
    next_reap = now + std::chrono::seconds(1);
    const size_t before = doomed.size();
    const auto cutoff = Clock::now() - std::chrono::milliseconds(config.idle_timeout_ms);
    for (auto& [key, pool] : pools) {
      auto it = std::partition(pool.idle.begin(), pool.idle.end(),
                               [&](const auto& w) { return w->last_used >= cutoff; });
      for (auto i = it; i != pool.idle.end(); ++i) {
        doomed.push_back(std::move(*i));
        --pool.live;
        --live;
      }
      pool.idle.erase(it, pool.idle.end());
    }
    count_retired("idle", doomed.size() - before);
  }

  // Frees a slot at the global cap by retiring the least recently used idle
  // worker of any pool (a busy worker is never retired). Caller holds mu.
  bool evict_one(std::vector<std::unique_ptr<Worker>>& doomed) {
    Pool* best = nullptr;
    size_t best_i = 0;
    for (auto& [key, pool] : pools) {
      for (size_t i = 0; i < pool.idle.size(); ++i) {
        if (best == nullptr || pool.idle[i]->last_used < best->idle[best_i]->last_used) {
          best = &pool;
          best_i = i;
        }
      }
    }
    if (best == nullptr) return false;
    doomed.push_back(std::move(best->idle[best_i]));
    best->idle.erase(best->idle.begin() + static_cast<std::ptrdiff_t>(best_i));
    --best->live;
    --live;
    count_retired("lru", 1);
    return true;
  }

  // One attempt at a render: a worker from the pool (or a new one), then
  // run(). WorkerRunner::render() retries a crash once.
  // `sample`: the caller should sample worker memory now (memory()).
  RenderOutput render_once(const std::string& plugin_id, const RenderInput& input, bool& sample);

  void record_crash(Pool& pool, const std::string& what) {
    ++pool.crashes_in_a_row;
    int64_t delay = config.backoff_initial_ms;
    for (int i = 1; i < pool.crashes_in_a_row && delay < config.backoff_max_ms; ++i) delay *= 2;
    delay = std::min(delay, config.backoff_max_ms);
    pool.retry_after = Clock::now() + std::chrono::milliseconds(delay);
    pool.last_crash = what;
  }
};

WorkerRunner::WorkerRunner(WorkerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {
  if (impl_->config.zygote && impl_->config.spare_workers > 0) {
    impl_->refiller = std::thread([d = impl_.get()] { d->refill_loop(); });
  }
}

WorkerRunner::~WorkerRunner() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    impl_->refill_cv.notify_all();
  }
  if (impl_->refiller.joinable()) impl_->refiller.join();
  std::lock_guard lock(impl_->mu);
  impl_->pools.clear();    // each Worker kills and reaps its process
  impl_->plugins.clear();  // and so does each zygote
}

bool WorkerRunner::add(const std::string& key, const manifest::Manifest& m,
                       plugins::Refusal& refusal) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->plugins.count(key) != 0) return true;
  }
  std::string rule, message;
  if (!impl_->identity_error.empty()) {
    refusal = plugins::Refusal{m.id, m.path.parent_path() / m.library, "worker-user",
                               impl_->identity_error};
    return false;
  }
  // The probe worker loads and negotiates exactly as the in-process loader
  // would, so refusals surface here; it then serves the space-less key.
  auto w = impl_->spawn(m, "", rule, message);
  if (!w) {
    refusal = plugins::Refusal{m.id, m.path.parent_path() / m.library, rule, message};
    return false;
  }
  log::info("worker.started", {{"plugin", m.id}, {"sandbox", w->sandbox}});
  std::lock_guard lock(impl_->mu);
  auto& info = impl_->plugins[key];
  info.host_view = plugins::LoadedPlugin{m, m.path.parent_path() / m.library, nullptr, nullptr};
  info.sandbox = w->sandbox;
  if (impl_->config.zygote) {
    // Started on first use (and again after a crash): see fork_worker().
    info.zygote = std::make_unique<Zygote>();
  }
  auto& pool = impl_->pools[{key, ""}];
  if (impl_->live < impl_->cap) {
    pool.idle.push_back(std::move(w));
    ++pool.live;
    ++impl_->live;
  }
  return true;
}

RenderOutput WorkerRunner::render(const std::string& plugin_id, const RenderInput& input) {
  // A crash is retried once on a fresh worker within the same deadline, so a
  // crash that is not about this render (a sibling's, a one-off) does not fail
  // it; a render that crashes twice is reported with both crashes in words.
  // Each attempt waits out the pool's crash backoff only when that ends before
  // its deadline, so a crash loop stays bounded by the backoff.
  const auto start = Clock::now();
  bool sample = false;
  RenderOutput first = impl_->render_once(plugin_id, input, sample);
  if (sample) memory();
  if (first.rule != "worker-crashed") return first;
  const int64_t spent =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  RenderInput again = input;
  again.timeout_ms = input.timeout_ms - spent;
  if (again.timeout_ms <= 0) return first;
  log::info("worker.render_retry", {{"plugin", plugin_id}, {"macro", input.macro_key}});
  sample = false;
  RenderOutput second = impl_->render_once(plugin_id, again, sample);
  if (sample) memory();
  if (second.rule == "worker-crashed") {
    second.error = "plugin '" + plugin_id + "' crashed twice while rendering '" + input.macro_key +
                   "', the second time on a fresh worker: " + second.error;
  } else if (second.status != VITRINE_OK && second.rule == "worker-restarting") {
    return first;  // the retry found no worker in time: the crash is the answer
  }
  return second;
}

RenderOutput WorkerRunner::Impl::render_once(const std::string& plugin_id, const RenderInput& input,
                                             bool& sample) {
  Impl& d = *this;
  const auto key = std::make_pair(plugin_id, input.space_key);
  const auto wait_until =
      Clock::now() + std::chrono::milliseconds(std::max<int64_t>(0, input.timeout_ms));
  std::vector<std::unique_ptr<Worker>> doomed;
  std::unique_ptr<Worker> worker;
  PluginInfo* plugin = nullptr;
  bool spawn_new = false;
  {
    std::unique_lock lock(d.mu);
    auto it = d.plugins.find(plugin_id);
    if (it == d.plugins.end()) {
      return error_output(VITRINE_E_NOT_FOUND, "plugin-not-loaded",
                          "plugin '" + plugin_id + "' is not loaded");
    }
    plugin = &it->second;
    d.reap_idle(doomed);
    for (;;) {
      Pool& pool = d.pools[key];
      if (!pool.idle.empty()) {
        worker = std::move(pool.idle.back());
        pool.idle.pop_back();
        break;
      }
      if (pool.live < d.config.max_workers_per_key) {
        if (Clock::now() < pool.retry_after) {
          // A sibling render whose deadline outlasts the backoff waits for
          // the fresh worker instead of failing (one crash must not fail the
          // other macros of a page view).
          if (pool.retry_after < wait_until) {
            d.cv.wait_until(lock, pool.retry_after);
            continue;
          }
          return error_output(VITRINE_E_UNAVAILABLE, "worker-restarting",
                              "plugin '" + plugin->host_view.manifest.id + "' crashed recently (" +
                                  pool.last_crash + "); its worker restarts in " +
                                  std::to_string(ms_until(pool.retry_after)) +
                                  " ms. Reload the page in a moment");
        }
        if (d.live < d.cap || d.evict_one(doomed)) {
          ++pool.live;
          ++d.live;
          spawn_new = true;
          break;
        }
      }
      if (d.cv.wait_until(lock, wait_until) == std::cv_status::timeout) {
        return error_output(VITRINE_E_UNAVAILABLE, "worker-capacity",
                            "all workers for plugin '" + plugin->host_view.manifest.id +
                                "' are busy; the macro was not rendered. Reload the page");
      }
    }
  }
  doomed.clear();  // kill reaped workers outside the lock

  auto give_back = [&](std::unique_ptr<Worker> w, bool crashed, const std::string& what) {
    std::lock_guard lock(d.mu);
    Pool& pool = d.pools[key];
    if (w) {
      pool.idle.push_back(std::move(w));
      pool.crashes_in_a_row = 0;
    } else {
      --pool.live;
      --d.live;
      if (crashed) d.record_crash(pool, what);
    }
    d.cv.notify_all();
  };

  if (spawn_new) {
    std::string rule, message;
    bool zygote_failed = true;
    {
      std::lock_guard lock(d.mu);
      worker = d.take_spare(*plugin);
    }
    if (worker) {
      zygote_failed = false;
    } else if (plugin->zygote) {
      worker = d.fork_worker(*plugin->zygote, plugin->host_view.manifest, input.space_key, rule,
                             message, zygote_failed);
      if (zygote_failed) {
        log::warn("worker.zygote_unavailable",
                  {{"plugin", plugin_id}, {"rule", rule}, {"reason", message}});
      }
    }
    // Without a zygote, or when it cannot be (re)started: exec, as always.
    if (zygote_failed) {
      rule.clear();
      message.clear();
      worker = d.spawn(plugin->host_view.manifest, input.space_key, rule, message);
    }
    if (!worker) {
      log::error("worker.start_failed",
                 {{"plugin", plugin_id}, {"rule", rule}, {"reason", message}});
      give_back(nullptr, true, message);
      return error_output(VITRINE_E_INTERNAL, rule, message);
    }
  }

  Impl::Fate fate = Impl::Fate::crashed;
  RenderOutput out = d.run(*worker, *plugin, input, fate);
  if (fate == Impl::Fate::reuse) {
    give_back(std::move(worker), false, "");
  } else {
    log::warn("worker.lost", {{"plugin", plugin_id}, {"rule", out.rule}, {"reason", out.error}});
    worker.reset();
    give_back(nullptr, true, out.rule);
  }
  {
    std::lock_guard lock(d.mu);
    const auto now = Clock::now();
    // Every 5 s; and sooner while the cap rests on a guess: until a sample
    // has read a worker (the cap assumes 8 MiB each until then, which for
    // forked workers is 30 times too much and made a burst of new spaces
    // evict and restart workers for the whole burst), and every 100 ms
    // while the cap is what stops a new worker (an early sample of young
    // workers overstates them).
    const bool guessing = d.idle_bytes_estimate == 0 && d.config.max_workers == 0;
    const bool capped = d.live >= d.cap && now + std::chrono::milliseconds(4900) >= d.next_sample;
    if (now >= d.next_sample || guessing || capped) {
      d.next_sample = now + std::chrono::seconds(5);
      sample = true;
    }
  }
  return out;
}

void WorkerRunner::retire(const std::string& key) {
  std::vector<std::unique_ptr<Worker>> doomed;
  {
    std::lock_guard lock(impl_->mu);
    for (auto& [pool_key, pool] : impl_->pools) {
      if (pool_key.first != key) continue;
      for (auto& w : pool.idle) {
        doomed.push_back(std::move(w));
        --pool.live;
        --impl_->live;
      }
      pool.idle.clear();
    }
    impl_->count_retired("retire", doomed.size());
    if (auto it = impl_->plugins.find(key); it != impl_->plugins.end()) {
      for (auto& w : it->second.spares) doomed.push_back(std::move(w));
      it->second.spares.clear();
      ++it->second.spare_epoch;
      impl_->refill_cv.notify_all();
    }
    // A retired plugin's zygote goes too; the next worker starts a new one.
    if (auto it = impl_->plugins.find(key); it != impl_->plugins.end() && it->second.zygote) {
      Zygote& z = *it->second.zygote;
      std::lock_guard zlock(z.mu);
      if (z.proc && z.reading) {
        ::kill(z.proc->pid, SIGKILL);  // its reader sees the socket close and reaps it
      } else if (z.proc) {
        doomed.push_back(std::move(z.proc));
        ++z.generation;
        z.replies.clear();
      }
    }
    impl_->cv.notify_all();
  }
  if (!doomed.empty()) {
    log::info("worker.retired", {{"plugin", key}, {"workers", std::to_string(doomed.size())}});
  }
  // Each Worker kills and reaps its process as it goes, outside the lock.
}

std::string WorkerRunner::sandbox_report(const std::string& plugin_id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->plugins.find(plugin_id);
  return it == impl_->plugins.end() ? std::string() : it->second.sandbox;
}

int WorkerRunner::worker_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->live;
}

int WorkerRunner::workers_started() const {
  std::lock_guard lock(impl_->mu);
  return impl_->started;
}

int WorkerRunner::workers_forked() const {
  std::lock_guard lock(impl_->mu);
  return impl_->forked;
}

std::vector<pid_t> WorkerRunner::idle_worker_pids(const std::string& plugin_id,
                                                  const std::string& space_key) const {
  std::lock_guard lock(impl_->mu);
  std::vector<pid_t> pids;
  auto it = impl_->pools.find({plugin_id, space_key});
  if (it == impl_->pools.end()) return pids;
  for (const auto& w : it->second.idle) pids.push_back(w->pid);
  return pids;
}

pid_t WorkerRunner::zygote_pid(const std::string& plugin_id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->plugins.find(plugin_id);
  if (it == impl_->plugins.end() || !it->second.zygote) return -1;
  std::lock_guard zlock(it->second.zygote->mu);
  return it->second.zygote->proc ? it->second.zygote->proc->pid : -1;
}

WorkerMemory WorkerRunner::memory() {
  Impl& d = *impl_;
  WorkerMemory m;
  std::vector<pid_t> idle_sample;
  std::vector<pid_t> zygotes;
  {
    std::lock_guard lock(d.mu);
    m.workers = d.live;
    for (const auto& [key, info] : d.plugins) m.spares += static_cast<int>(info.spares.size());
    for (const auto& [key, pool] : d.pools) {
      m.idle += static_cast<int>(pool.idle.size());
      for (const auto& w : pool.idle) {
        if (idle_sample.size() < 64) idle_sample.push_back(w->pid);
      }
    }
    for (const auto& [key, info] : d.plugins) {
      if (!info.zygote) continue;
      std::lock_guard zlock(info.zygote->mu);
      if (info.zygote->proc) zygotes.push_back(info.zygote->proc->pid);
    }
  }
  // /proc reads outside the lock: renders go on meanwhile.
  uint64_t sum = 0;
  int read = 0;
  for (pid_t pid : idle_sample) {
    bool pss = false;
    if (const uint64_t bytes = process_memory(pid, pss); bytes != 0) {
      sum += bytes;
      ++read;
      m.pss = pss;
    }
  }
  for (pid_t pid : zygotes) {
    bool pss = false;
    m.zygote_bytes += process_memory(pid, pss);
  }
  m.zygotes = static_cast<int>(zygotes.size());
  {
    std::lock_guard lock(d.mu);
    if (read > 0) {
      d.idle_bytes_estimate = sum / static_cast<uint64_t>(read);
      d.update_cap();
    }
    m.idle_bytes_mean = d.idle_bytes_estimate;
    m.cap = d.cap;
  }
  m.worker_bytes = m.idle_bytes_mean * static_cast<uint64_t>(m.workers);
  if (auto* r = d.config.metrics; r != nullptr) {
    r->gauge("vitrine_workers", "Live worker processes (zygotes excluded), by state",
             {{"state", "idle"}})
        .set(m.idle);
    r->gauge("vitrine_workers", "Live worker processes (zygotes excluded), by state",
             {{"state", "busy"}})
        .set(m.workers - m.idle);
    r->gauge("vitrine_worker_cap",
             "The current cap on live workers (sized by memory when "
             "plugins.max_workers is 0)")
        .set(m.cap);
    r->gauge("vitrine_worker_idle_memory_bytes",
             "Mean memory of one idle worker: PSS from /proc/PID/smaps_rollup, or resident "
             "minus shared pages when PSS is unreadable (sampled every 5 s while rendering and on "
             "every scrape, up to 64 workers)")
        .set(static_cast<double>(m.idle_bytes_mean));
    r->gauge("vitrine_worker_memory_bytes",
             "Estimated memory of all live workers (idle mean x live workers)")
        .set(static_cast<double>(m.worker_bytes));
    r->gauge("vitrine_worker_zygote_memory_bytes", "Memory of the running zygotes (same measure)")
        .set(static_cast<double>(m.zygote_bytes));
  }
  return m;
}

std::unique_ptr<plugins::PluginRunner> make_worker_runner(WorkerConfig config) {
  return std::make_unique<WorkerRunner>(std::move(config));
}

}  // namespace vitrine::worker
