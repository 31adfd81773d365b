#include "worker/worker_process.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "manifest/manifest.h"
#include "plugins/call.h"
#include "plugins/call_services.h"
#include "plugins/capability_tables.h"
#include "plugins/host_table.h"
#include "plugins/invoke.h"
#include "plugins/loader.h"
#include "worker/io.h"
#include "worker/ipc.h"
#include "worker/privileges.h"
#include "worker/sandbox.h"
#include "worker/syscall_report.h"

namespace vitrine::worker {
namespace {

using plugins::CallServices;

// Exit codes, visible to the host's supervisor.
constexpr int kExitHostGone = 0;
constexpr int kExitProtocol = 3;

[[noreturn]] void leave(int code) { ::_exit(code); }

// The plugin library, opened before the worker switches to the unprivileged
// worker user (worker/privileges.h): a bundle may live in a directory only
// root can enter. Loaded through /proc/self/fd/4 only when the worker user
// cannot open it by its path (its $ORIGIN then names /proc/self/fd).
constexpr int kWorkerLibraryFd = 4;

void hold_library(const manifest::Manifest& manifest) {
  const auto path = manifest.path.parent_path() / manifest.library;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // the loader reports library-missing with the real path
  if (fd != kWorkerLibraryFd) {
    ::dup2(fd, kWorkerLibraryFd);
    ::close(fd);
  }
}

// The manifest the loader gets: the library by its path when this user can
// open it, otherwise the descriptor held from before the user switch.
manifest::Manifest loadable(const manifest::Manifest& manifest) {
  manifest::Manifest m = manifest;
  const auto path = manifest.path.parent_path() / manifest.library;
  const int probe = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (probe >= 0) {
    ::close(probe);
  } else if (::fcntl(kWorkerLibraryFd, F_GETFD) != -1) {
    m.library = "/proc/self/fd/" + std::to_string(kWorkerLibraryFd);
  }
  return m;
}

// Takes the next whole frame already buffered in `reader`: true when there is one, false when
// more bytes are needed; leaves when the host spoke out of protocol.
bool next_buffered_frame(ipc::FrameReader& reader, ipc::FrameHeader& header, std::string& payload) {
  ipc::DecodeError error;
  switch (reader.next(header, payload, error)) {
    case ipc::FrameReader::State::frame:
      return true;
    case ipc::FrameReader::State::error:
      leave(kExitProtocol);
    case ipc::FrameReader::State::need_more:
      break;
  }
  return false;
}

// A `ready` that refuses: the rule id and message the host reports.
ipc::Ready refused(std::string rule, std::string message, std::string sandbox) {
  return ipc::Ready{0, std::move(rule), std::move(message), std::move(sandbox)};
}

// The worker's end of the socket. Capability calls may come from several
// plugin threads during one render; each is one request/reply round trip
// under the mutex.
class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}

  void send(const std::string& frame) {
    if (!send_all(fd_, frame)) leave(kExitHostGone);
  }

  // Blocks for the next frame; leaves the process when the host hung up or
  // spoke out of protocol.
  void receive(ipc::FrameHeader& header, std::string& payload) {
    for (;;) {
      if (next_buffered_frame(reader_, header, payload)) return;
      if (receive_some(fd_, reader_) <= 0) leave(kExitHostGone);
    }
  }

  // One capability round trip.
  ipc::CapReply call(const ipc::CapCall& request) {
    std::lock_guard lock(mu_);
    const uint32_t id = ++next_id_;
    std::string frame;
    ipc::encode(frame, id, request);
    send(frame);
    ipc::FrameHeader header;
    std::string payload;
    receive(header, payload);
    ipc::CapReply reply;
    ipc::DecodeError error;
    if (header.type != ipc::MessageType::cap_reply || header.request_id != id ||
        !ipc::decode(payload, reply, error)) {
      leave(kExitProtocol);
    }
    return reply;
  }

  void log(int32_t level, std::string_view message) {
    std::lock_guard lock(mu_);
    std::string frame;
    ipc::encode(frame, 0, ipc::Log{level, std::string(message)});
    send(frame);
  }

 private:
  int fd_;
  std::mutex mu_;
  ipc::FrameReader reader_;
  uint32_t next_id_ = 0;
};

std::string to_string(vitrine_str s) {
  return s.len == 0 ? std::string() : std::string(s.ptr, s.len);
}

// The worker-side CallServices: the standard trampolines validate what the
// plugin passed, then these turn each call into a message. The host runs
// the same trampolines again on its side with the real services, so
// nothing decided here is trusted.
class ForwardingServices final : public CallServices {
 public:
  explicit ForwardingServices(Channel& channel) : channel_(channel) {}

  bool relays() const override { return true; }  // the host logs its failures

  vitrine_status http_get(vitrine_call* call, const vitrine_http_request* req,
                          vitrine_http_response* resp) override {
    if (req == nullptr || resp == nullptr || req->struct_size < sizeof(vitrine_http_request) ||
        resp->struct_size < sizeof(vitrine_http_response) ||
        (req->url.ptr == nullptr && req->url.len != 0) ||
        (req->headers == nullptr && req->header_count != 0) || req->header_count > 64) {
      return VITRINE_E_INVALID;
    }
    ipc::CapCall c;
    c.op = ipc::CapOp::http_get;
    c.url = to_string(req->url);
    for (size_t i = 0; i < req->header_count; ++i) {
      const auto& h = req->headers[i];
      if ((h.name.ptr == nullptr && h.name.len != 0) ||
          (h.value.ptr == nullptr && h.value.len != 0) || h.name.len > 4096 || h.value.len > 4096) {
        return VITRINE_E_INVALID;
      }
      c.headers.emplace_back(to_string(h.name), to_string(h.value));
    }
    c.timeout_ms = req->timeout_ms;
    ipc::CapReply r = channel_.call(c);
    resp->http_status = r.http_status;
    resp->content_type = call->keep(std::move(r.content_type));
    resp->body = call->keep(std::move(r.body));
    resp->final_url = call->keep(std::move(r.final_url));
    resp->rule = call->keep(std::move(r.rule));
    resp->reason = call->keep(std::move(r.reason));
    return r.status;
  }

  vitrine_status cache_get(vitrine_call* call, vitrine_str key, vitrine_cache_entry* out) override {
    ipc::CapCall c;
    c.op = ipc::CapOp::cache_get;
    c.key = to_string(key);
    ipc::CapReply r = channel_.call(c);
    out->value = call->keep(std::move(r.body));
    out->stored_at_ms = r.stored_at_ms;
    out->is_stale = r.is_stale;
    out->reason = call->keep(std::move(r.reason));
    return r.status;
  }

  vitrine_status cache_put(vitrine_call*, vitrine_str key, vitrine_str value,
                           uint32_t ttl_s) override {
    ipc::CapCall c;
    c.op = ipc::CapOp::cache_put;
    c.key = to_string(key);
    c.data = to_string(value);
    c.ttl_s = ttl_s;
    return channel_.call(c).status;
  }

  vitrine_status asset_put(vitrine_call* call, vitrine_str content_type, vitrine_str data,
                           vitrine_asset_ref* out) override {
    ipc::CapCall c;
    c.op = ipc::CapOp::asset_put;
    c.key = to_string(content_type);
    c.data = to_string(data);
    ipc::CapReply r = channel_.call(c);
    out->url = call->keep(std::move(r.body));
    out->reason = call->keep(std::move(r.reason));
    return r.status;
  }

  void log(vitrine_call*, vitrine_log_level level, vitrine_str message) override {
    channel_.log(level, std::string_view(message.ptr == nullptr ? "" : message.ptr, message.len));
  }

  vitrine_status is_licensed(vitrine_call*, vitrine_str feature, int32_t* licensed) override {
    ipc::CapCall c;
    c.op = ipc::CapOp::is_licensed;
    c.key = to_string(feature);
    ipc::CapReply r = channel_.call(c);
    *licensed = r.licensed != 0 ? 1 : 0;
    return r.status;
  }

 private:
  Channel& channel_;
};

}  // namespace

namespace {

// Loads the plugin inside the already applied sandbox, answers `ready` to
// request `hello_id` and serves renders until the host hangs up.
[[noreturn]] void serve(Channel& channel, const manifest::Manifest& manifest, uint32_t hello_id,
                        const std::string& sandbox) {
  // The same loader as in-process, against a host table whose capabilities
  // forward over the socket.
  static ForwardingServices services(channel);
  static plugins::HostTable host_table;
  plugins::offer_standard_capabilities(host_table);
  static plugins::LoadedPlugin loaded;
  plugins::Refusal refusal;
  const bool ok = plugins::load_plugin(loadable(manifest), host_table.abi(), loaded, refusal);
  ::close(kWorkerLibraryFd);  // mapped now, or refused
  if (!ok) {
    std::string frame;
    ipc::encode(frame, hello_id, ipc::Ready{0, refusal.rule, refusal.message, sandbox});
    channel.send(frame);
    leave(kExitHostGone);
  }
  {
    std::string frame;
    ipc::encode(frame, hello_id, ipc::Ready{1, "", "", sandbox});
    channel.send(frame);
  }

  ipc::FrameHeader header;
  std::string payload;
  ipc::DecodeError error;
  for (;;) {
    channel.receive(header, payload);
    ipc::Render request;
    if (header.type != ipc::MessageType::render || !ipc::decode(payload, request, error)) {
      leave(kExitProtocol);
    }
    plugins::RenderInput input;
    input.macro_key = std::move(request.macro_key);
    input.params = std::move(request.params);
    input.space_key = std::move(request.space_key);
    input.page_id = std::move(request.page_id);
    input.locale = std::move(request.locale);
    input.timezone = std::move(request.timezone);
    input.theme = std::move(request.theme);
    input.time_from = std::move(request.time_from);
    input.time_to = std::move(request.time_to);
    input.grafana_base_url = std::move(request.grafana_base_url);
    input.timeout_ms = request.timeout_ms;
    input.now_ms = request.now_ms;
    input.services = &services;
    plugins::RenderOutput out = plugins::render_macro(loaded, input);
    // Calls the seccomp filter refused since the last result (loading
    // included), before the result so that the host counts them for this
    // render's plugin.
    for (const auto& denied : take_denied_syscalls()) {
      channel.log(kSyscallDeniedLogLevel,
                  std::to_string(denied.nr) + " " + std::to_string(denied.count));
    }
    ipc::Result result{out.status,          std::move(out.html), std::move(out.error),
                       std::move(out.rule), out.cache_ttl_s,     out.html_truncated ? 1u : 0u};
    std::string frame;
    ipc::encode(frame, header.request_id, result);
    channel.send(frame);
  }
}

SandboxOptions sandbox_options(const ipc::Hello& hello, const manifest::Manifest& manifest,
                               int ipc_fd) {
  SandboxOptions options;
  options.address_space_bytes = hello.address_space_bytes;
  options.cpu_seconds = hello.cpu_seconds;
  options.max_open_files = hello.max_open_files;
  options.net_namespace = (hello.flags & ipc::kHelloNetNamespace) != 0;
  options.ipc_fd = ipc_fd;
  options.identity = requested_identity();
  // The plugin's own directory (its library and any data beside it) and
  // a configured time-zone database.
  options.readable_paths.push_back(manifest.path.parent_path().string());
  if (const char* dir = std::getenv("TZDIR"); dir != nullptr && dir[0] != '\0') {
    options.readable_paths.emplace_back(dir);
  }
  return options;
}

// Reads the next frame and the descriptors that came with it. Leaves when
// the host hangs up or the host process is gone (a zygote has no watchdog
// thread: it must stay single-threaded to fork).
void receive_with_fds(int fd, ipc::FrameReader& reader, std::vector<int>& fds,
                      ipc::FrameHeader& header, std::string& payload, pid_t host) {
  for (;;) {
    if (next_buffered_frame(reader, header, payload)) return;
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, 500);
    if (::getppid() != host) leave(kExitHostGone);
    if (n <= 0) continue;
    if (receive_fds(fd, reader, fds) <= 0) leave(kExitHostGone);
  }
}

// The child's side of a fork: `fd` becomes its IPC socket on kWorkerIpcFd,
// nothing else of the zygote stays open, and the rest of the filter is
// stacked before the plugin library is opened.
[[noreturn]] void run_forked_child(int fd, const manifest::Manifest& manifest, uint32_t hello_id,
                                   const std::string& zygote_sandbox, bool sandboxed) {
  if (fd != kWorkerIpcFd) {
    ::dup2(fd, kWorkerIpcFd);
    ::close(fd);
  }
  static Channel channel(kWorkerIpcFd);
  std::string sandbox = zygote_sandbox;

  // Still single-threaded: Landlock applies to the calling thread and the
  // threads it creates afterwards. Uses the descriptors the zygote opened for
  // it, so before close_range.
  if (sandboxed) {
    SandboxReport report = lock_down_child();
    if (!report.ok) {
      std::string frame;
      ipc::encode(frame, hello_id,
                  refused("worker-sandbox",
                          "the forked worker could not lock itself down: " + report.error +
                              "; the plugin was not loaded",
                          sandbox));
      channel.send(frame);
      leave(kExitHostGone);
    }
    if (!report.applied.empty()) sandbox += " " + report.applied;
    sandbox += " forked";
  }
  ::close_range(kWorkerLibraryFd + 1, ~0u, 0);
  // The host's end of the socket closes when the host exits or drops this
  // worker: then this process goes, even while plugin code spins. A blocked
  // poll, not a periodic check: a thousand idle workers cost no wakeups.
  std::thread([] {
    pollfd p{kWorkerIpcFd, POLLRDHUP, 0};
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    std::_Exit(3);
  }).detach();
  serve(channel, manifest, hello_id, sandbox);
}

}  // namespace

void watch_host(pid_t host) {
  std::thread([host] {
    while (::getppid() == host) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::_Exit(3);
  }).detach();
}

int run_worker(int ipc_fd) {
  const pid_t host = ::getppid();
  Channel channel(ipc_fd);
  ipc::FrameHeader header;
  std::string payload;
  channel.receive(header, payload);
  ipc::Hello hello;
  ipc::DecodeError error;
  if (header.type != ipc::MessageType::hello || !ipc::decode(payload, hello, error)) {
    leave(kExitProtocol);
  }
  const uint32_t hello_id = header.request_id;
  auto refuse = [&](std::string rule, std::string message, std::string sandbox) {
    std::string frame;
    ipc::encode(frame, hello_id,
                ipc::Ready{0, std::move(rule), std::move(message), std::move(sandbox)});
    channel.send(frame);
    leave(kExitHostGone);
  };

  // Before the sandbox: read and check the manifest (yaml-cpp, file I/O).
  // No plugin code has been mapped yet.
  auto checked = manifest::check_file(hello.manifest_path);
  if (!checked.ok()) {
    refuse("manifest-invalid", "the worker could not check manifest " + hello.manifest_path, "");
  }

  hold_library(*checked.manifest);
  // Lock down before the plugin library is even opened: its static
  // constructors, create() and every render run inside the sandbox.
  std::string sandbox = "none";
  if ((hello.flags & ipc::kHelloSandbox) == 0) {
    // Even without the sandbox (debugging the worker), never a privileged plugin.
    std::string privileges;
    if (auto err = drop_privileges(requested_identity(), privileges); !err.empty()) {
      refuse("worker-privileges",
             "the worker could not drop its privileges: " + err + "; the plugin was not loaded",
             "");
    }
    sandbox += " " + privileges;
  } else {
    SandboxReport report = lock_down(sandbox_options(hello, *checked.manifest, ipc_fd));
    if (!report.ok) {
      refuse(
          "worker-sandbox",
          "the worker could not lock itself down: " + report.error + "; the plugin was not loaded",
          report.applied);
    }
    sandbox = report.applied;
  }
  // A worker never outlives its host, even while its plugin spins: a
  // watchdog thread exits the process once the parent is gone (reparented).
  // Not PR_SET_PDEATHSIG: that fires when the host *thread* that spawned
  // the worker exits, and the host spawns workers from render threads.
  // Started after the lockdown, so that it holds no privilege either.
  watch_host(host);
  serve(channel, *checked.manifest, hello_id, sandbox);
}

int run_zygote(int ctl_fd) {
  const pid_t host = ::getppid();
  ipc::FrameReader reader;
  std::vector<int> fds;
  ipc::FrameHeader header;
  std::string payload;
  auto reply = [&](uint32_t id, const ipc::Ready& ready) {
    std::string frame;
    ipc::encode(frame, id, ready);
    if (!send_all(ctl_fd, frame)) leave(kExitHostGone);
  };
  receive_with_fds(ctl_fd, reader, fds, header, payload, host);
  ipc::Hello setup;
  ipc::DecodeError error;
  if (header.type != ipc::MessageType::hello || !ipc::decode(payload, setup, error) ||
      !fds.empty()) {
    leave(kExitProtocol);
  }
  // Everything that does not depend on the space happens once, here: the
  // exec, the manifest check, the network namespace, rlimits, no_new_privs,
  // Landlock, the capability drop and user switch, and the bulk of the
  // seccomp filter. The plugin library is NOT loaded here (its constructors
  // would run in a process that may fork); it is only opened, as a file, for
  // the children to load after the user switch (hold_library).
  auto checked = manifest::check_file(setup.manifest_path);
  if (!checked.ok()) {
    reply(header.request_id,
          refused("manifest-invalid", "the zygote could not check manifest " + setup.manifest_path,
                  ""));
    leave(kExitHostGone);
  }
  const bool sandboxed = (setup.flags & ipc::kHelloSandbox) != 0;
  hold_library(*checked.manifest);
  std::string sandbox = "none";
  if (!sandboxed) {
    std::string privileges;
    if (auto err = drop_privileges(requested_identity(), privileges); !err.empty()) {
      reply(header.request_id,
            refused("worker-privileges", "the zygote could not drop its privileges: " + err, ""));
      leave(kExitHostGone);
    }
    sandbox += " " + privileges;
  } else {
    SandboxOptions options = sandbox_options(setup, *checked.manifest, ctl_fd);
    options.for_zygote = true;
    SandboxReport report = lock_down(options);
    if (!report.ok) {
      reply(header.request_id,
            refused("worker-sandbox", "the zygote could not lock itself down: " + report.error,
                    report.applied));
      leave(kExitHostGone);
    }
    sandbox = report.applied;
  }
  // Every page the zygote keeps dirty is copied into the first child that
  // writes it: hand the manifest check's freed heap back first.
  ::malloc_trim(0);
  reply(header.request_id, ipc::Ready{1, "", "", sandbox});

  // Each request: a hello naming the space, with the child's socket attached.
  for (;;) {
    receive_with_fds(ctl_fd, reader, fds, header, payload, host);
    ipc::Hello request;
    if (header.type != ipc::MessageType::hello || !ipc::decode(payload, request, error) ||
        fds.size() != 1) {
      leave(kExitProtocol);
    }
    const int child_fd = fds.front();
    fds.clear();
    // CLONE_PARENT: the child is the host's, so the host reaps it and sees
    // how it ended, and it outlives a crashed zygote. The zygote is
    // single-threaded here, so the child's copy of every lock is free.
    const long pid = ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (pid == 0)
      run_forked_child(child_fd, *checked.manifest, header.request_id, sandbox, sandboxed);
    ::close(child_fd);
    if (pid < 0) {
      reply(header.request_id,
            refused("worker-start", std::string("fork failed: ") + std::strerror(errno), ""));
      continue;
    }
    reply(header.request_id, ipc::Ready{1, "", std::to_string(pid), ""});
  }
}

}  // namespace vitrine::worker
