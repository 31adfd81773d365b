#include "log/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <mutex>
#include <thread>

namespace vitrine::log {
namespace {

std::mutex g_mu;
std::atomic<Level> g_min{Level::info};  // read on every log call, without the lock
std::function<void(const std::string&)> g_sink;
std::atomic<bool> g_has_sink{false};

const char* name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == '=' || c == '+' || c == '/';
}

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

void write_all(std::string_view rest) {
  while (!rest.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a failing log; drop the rest
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

// Buffered mode. Appending takes only g_buf_mu; writing out takes
// g_out_mu first (held across the write, so batches leave in order) and
// g_buf_mu just long enough to take the batch.
constexpr std::size_t kBufferLimit = 64 * 1024;
std::atomic<bool> g_buffered{false};
std::mutex g_buf_mu;
std::string g_buf;
std::mutex g_out_mu;
std::mutex g_flusher_mu;  // set_buffered() callers
std::condition_variable g_flusher_cv;
bool g_flusher_stop = false;  // guarded by g_buf_mu
std::thread g_flusher;

void flush_buffer() {
  std::lock_guard out(g_out_mu);
  std::string batch;
  {
    std::lock_guard lock(g_buf_mu);
    batch.swap(g_buf);
  }
  write_all(batch);
}

}  // namespace

void set_buffered(bool on) {
  std::lock_guard lock(g_flusher_mu);
  if (on == g_buffered.load()) return;
  if (on) {
    {
      std::lock_guard b(g_buf_mu);
      g_flusher_stop = false;
    }
    g_buffered.store(true);
    g_flusher = std::thread([] {
      std::unique_lock b(g_buf_mu);
      while (!g_flusher_stop) {
        g_flusher_cv.wait_for(b, std::chrono::milliseconds(200));
        b.unlock();
        flush_buffer();
        b.lock();
      }
    });
    return;
  }
  g_buffered.store(false);
  {
    std::lock_guard b(g_buf_mu);
    g_flusher_stop = true;
  }
  g_flusher_cv.notify_all();
  g_flusher.join();
  flush_buffer();
}

std::string redact(std::string_view text) {
  // Prefixes that start a credential; the credential runs to the next
  // character that cannot be part of a token.
  static constexpr std::string_view kPrefixes[] = {"glsa_",   "eyJrIjoi", "vtr_",  "Bearer ",
                                                   "bearer ", "Basic ",   "basic "};
  // Most values hold none of them: seven optimized searches instead of a
  // comparison at every position (this runs for every field of every line).
  if (std::none_of(std::begin(kPrefixes), std::end(kPrefixes),
                   [&](std::string_view p) { return text.find(p) != std::string_view::npos; })) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool hit = false;
    for (auto p : kPrefixes) {
      if (text.substr(i, p.size()) == p) {
        size_t j = i + p.size();
        while (j < text.size() && token_char(text[j])) ++j;
        if (j > i + p.size()) {
          out += p.back() == ' ' ? std::string(p) : std::string();
          out += "[REDACTED]";
          i = j;
          hit = true;
          break;
        }
      }
    }
    if (!hit) out.push_back(text[i++]);
  }
  return out;
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

void set_min_level(Level level) { g_min.store(level, std::memory_order_relaxed); }

void set_sink(std::function<void(const std::string&)> sink) {
  std::lock_guard lock(g_mu);
  g_sink = std::move(sink);
  g_has_sink.store(static_cast<bool>(g_sink), std::memory_order_release);
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (level < g_min.load(std::memory_order_relaxed)) return;
  std::string line = "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + name(level) +
                     "\",\"event\":\"" + json_escape(redact(event)) + "\"";
  for (const auto& [k, v] : fields) {
    line += ",\"" + json_escape(k) + "\":\"" + json_escape(redact(v)) + "\"";
  }
  line += "}";
  if (g_has_sink.load(std::memory_order_acquire)) {
    std::lock_guard lock(g_mu);
    if (g_sink) {
      g_sink(line);
      return;
    }
  }
  line += '\n';
  if (g_buffered.load(std::memory_order_relaxed)) {
    bool now = level >= Level::warn;
    {
      std::lock_guard lock(g_buf_mu);
      g_buf += line;
      now = now || g_buf.size() >= kBufferLimit;
    }
    if (now) flush_buffer();
    return;
  }
  // One write(2) per line, with no lock of ours or stdio's held across the
  // system call: the kernel keeps concurrent lines whole, and request
  // threads do not queue behind each other's log writes.
  write_all(line);
}

}  // namespace vitrine::log
