#include "worker/syscall_report.h"

#include <signal.h>
#include <ucontext.h>

#include <atomic>
#include <cerrno>
#include <charconv>

namespace vitrine::worker {
namespace {

// One counter per syscall number; the last slot counts numbers beyond the
// table (reported as -1). Plain atomics: the handler runs in signal context.
constexpr int kMaxNr = 1024;
// si_code of a SIGSYS raised by a seccomp trap (linux/signal.h SYS_SECCOMP).
constexpr int kSiCodeSeccomp = 1;
std::atomic<uint32_t> g_counts[kMaxNr + 1];
std::atomic<bool> g_any{false};

#if defined(__x86_64__) || defined(__aarch64__)
constexpr bool kSupported = true;
#else
constexpr bool kSupported = false;
#endif

// The seccomp trap: count the call and make it return -EPERM, exactly what
// the plugin would have seen from an ERRNO rule. The kernel skipped the
// call; on return from the handler the thread resumes after it with the
// return register we set here.
void on_sigsys(int, siginfo_t* info, void* context) {
  if (info->si_code != kSiCodeSeccomp) return;  // a plain kill(SIGSYS): nothing was skipped
  const int nr = info->si_syscall;
  g_counts[nr >= 0 && nr < kMaxNr ? nr : kMaxNr].fetch_add(1, std::memory_order_relaxed);
  g_any.store(true, std::memory_order_release);
  auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
  uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
  uc->uc_mcontext.regs[0] = static_cast<unsigned long long>(-EPERM);
#else
  (void)uc;
#endif
}

}  // namespace

bool denied_syscall_reporting_supported() { return kSupported; }

bool install_denied_syscall_reporter() {
  if (!kSupported) return false;
  struct sigaction sa {};
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  return ::sigaction(SIGSYS, &sa, nullptr) == 0;
}

std::vector<DeniedSyscall> take_denied_syscalls() {
  std::vector<DeniedSyscall> out;
  if (!g_any.exchange(false, std::memory_order_acquire)) return out;
  for (int i = 0; i <= kMaxNr; ++i) {
    const uint32_t n = g_counts[i].exchange(0, std::memory_order_relaxed);
    if (n != 0) out.push_back({i == kMaxNr ? -1 : i, n});
  }
  return out;
}

bool parse_denied_report(const std::string& message, DeniedSyscall& out) {
  const char* p = message.data();
  const char* end = p + message.size();
  auto r = std::from_chars(p, end, out.nr);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != ' ') return false;
  r = std::from_chars(r.ptr + 1, end, out.count);
  return r.ec == std::errc() && r.ptr == end && out.nr >= -1 && out.nr < kMaxNr && out.count > 0;
}

}  // namespace vitrine::worker
