// The mock host's state, shared by the files that implement its C API: the
// host table the plugin sees, the test's canned answers and settings, and
// what the plugin did. Internal to the library; authors use
// vitrine/testing/mock_host.h.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vitrine/capabilities.h"
#include "vitrine/plugin.h"
#include "vitrine/testing/mock_host.h"

namespace vitrine::mock {

// The table handed to create(). Standard layout with the ABI struct first,
// so get_capability() can find its mock host from the pointer it receives.
struct HostTable {
  vitrine_host table;
  vitrine_mock_host* owner;
};

struct Answer {
  vitrine_mock_match match = VITRINE_MOCK_MATCH_EXACT;
  vitrine_status status = VITRINE_OK;
  int32_t http_status = 200;
  std::string content_type, body, final_url, rule, reason;
  uint32_t delay_ms = 0;
};

struct Request {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  uint32_t timeout_ms = 0;
};

struct Param {
  std::string name;
  vitrine_param_type type = VITRINE_PARAM_STRING;
  int32_t is_default = 0;
  std::string text;
  int64_t int_value = 0;
  std::vector<std::string> items;
};

struct CacheValue {
  std::string value;
  uint32_t ttl_s = 0;
  int64_t stored_at_ms = 0;
};

struct Asset {
  std::string content_type, data;
};

struct LogLine {
  vitrine_log_level level = VITRINE_LOG_INFO;
  std::string text;
};

// Strings handed to the plugin during one render (response bodies, cache
// values, reasons) must stay put until render() returns; a deque never
// moves its elements.
using Keep = std::deque<std::string>;

}  // namespace vitrine::mock

// The handle every capability receives. It lives inside the mock host until
// the host is destroyed, so a plugin that kept it past render() reads a
// valid object that says so.
struct vitrine_call {
  vitrine_mock_host* host = nullptr;
  std::atomic<bool> active{false};
  std::chrono::steady_clock::time_point deadline;
  int64_t now_ms = 0;
};

struct vitrine_mock_host {
  vitrine::mock::HostTable table{};
  std::string host_version;
  // Guards everything capabilities touch: a plugin may call them from
  // several threads during one render.
  mutable std::mutex mu;

  // The plugin.
  const vitrine_plugin_entry* entry = nullptr;
  const vitrine_plugin* plugin = nullptr;
  std::string plugin_id, plugin_version, load_error;
  std::vector<std::string> macro_keys;

  // What the test set.
  std::map<std::pair<std::string, vitrine_mock_match>, vitrine::mock::Answer> answers;
  std::map<std::string, bool> offered;
  std::map<std::string, bool> features;
  std::map<std::string, size_t> license_checks;
  std::vector<vitrine::mock::Param> params;
  std::string base_url = "https://mock.grafana.invalid";
  std::string space = "TEST", page = "1", locale = "en-GB", timezone = "UTC", theme = "light";
  std::string time_from = "now-6h", time_to = "now";
  int64_t time_from_ms = 0, time_to_ms = 0;
  int64_t fixed_now_ms = 0;
  uint32_t deadline_ms = 10000;

  // What the plugin did.
  std::deque<vitrine::mock::Request> requests;  // a deque: returned c_str()s stay valid
  std::map<std::string, vitrine::mock::CacheValue> cache;
  std::map<std::string, vitrine::mock::Asset> assets;
  std::deque<vitrine::mock::LogLine> log;
  std::vector<std::string> late_calls;  // capability calls after render() returned

  // One handle per render, kept for the host's lifetime: a plugin that keeps
  // a handle past its render() finds it inactive, and the mock reports it.
  std::deque<vitrine_call> calls;
  vitrine::mock::Keep keep;
  std::string html, error, violations;
};

namespace vitrine::mock {

inline vitrine_str view(const std::string& s) { return vitrine_str{s.data(), s.size()}; }
inline std::string text(vitrine_str s) {
  return s.ptr == nullptr ? std::string() : std::string(s.ptr, s.len);
}

// The host table's capability lookup (capabilities.cpp).
const void* get_capability(const vitrine_host* host, const char* id);
bool is_known_capability(std::string_view id);

// Parses "now" / "now-<n><unit>" into a unix ms relative to now_ms.
bool resolve_relative(std::string_view text, int64_t now_ms, int64_t& out);
// Parses "<n><unit>" (ms, s, m, h, d, w) into milliseconds.
bool parse_duration(std::string_view text, int64_t& out_ms);

}  // namespace vitrine::mock
