// Vitrine mock host, C++ layer: RAII and std::string over the C API in
// vitrine/testing/mock_host.h, for GoogleTest (or any C++17 test framework).
// Header-only; link Vitrine::plugin_test.
//
//   vitrine::testing::MockHost host("alert_list.so");   // throws on refusal
//   host.respond(host.base_url() + "/api/prometheus/grafana/api/v1/rules", 200, rules_json);
//   auto r = host.render("alert-list", {{"states", vitrine::testing::Param::list({"firing"})}});
//   EXPECT_EQ(r.status, VITRINE_OK) << r;
//
// Thread rule: as the C API, one test thread per MockHost.
#ifndef VITRINE_TESTING_MOCK_HOST_HPP
#define VITRINE_TESTING_MOCK_HOST_HPP

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "vitrine/testing/mock_host.h"

namespace vitrine::testing {

// One typed parameter (plugin.h, ABI-12). Text converts to a string, a bool
// to a boolean, any other integer to an integer; the rest are named.
class Param {
 public:
  Param(const char* text) : type_(VITRINE_PARAM_STRING), text_(text) {}  // NOLINT: implicit
  Param(std::string text) : type_(VITRINE_PARAM_STRING), text_(std::move(text)) {}  // NOLINT
  Param(bool value) : type_(VITRINE_PARAM_BOOLEAN), int_(value ? 1 : 0) {}          // NOLINT
  template <typename I,
            typename = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
  Param(I value) : type_(VITRINE_PARAM_INTEGER), int_(static_cast<int64_t>(value)) {}  // NOLINT

  static Param enumeration(std::string value) {
    return Param(VITRINE_PARAM_ENUM, std::move(value));
  }
  static Param list(std::vector<std::string> items) {
    Param p(VITRINE_PARAM_ENUM_LIST, {});
    p.items_ = std::move(items);
    return p;
  }
  static Param duration(std::string text) { return Param(VITRINE_PARAM_DURATION, std::move(text)); }
  static Param time(std::string text, int64_t unix_ms) {
    Param p(VITRINE_PARAM_TIME, std::move(text));
    p.int_ = unix_ms;
    return p;
  }
  static Param uid(std::string value) { return Param(VITRINE_PARAM_UID, std::move(value)); }
  // The same value, marked as the manifest default (is_default = 1).
  Param as_default() const {
    Param p = *this;
    p.is_default_ = true;
    return p;
  }

  // Binds this parameter on `host`; VITRINE_OK or the C API's status.
  vitrine_status bind(vitrine_mock_host* host, const std::string& name) const {
    const char* n = name.c_str();
    vitrine_status st = VITRINE_E_INVALID;
    switch (type_) {
      case VITRINE_PARAM_STRING:
        st = vitrine_mock_host_param_string(host, n, text_.c_str());
        break;
      case VITRINE_PARAM_INTEGER:
        st = vitrine_mock_host_param_integer(host, n, int_);
        break;
      case VITRINE_PARAM_BOOLEAN:
        st = vitrine_mock_host_param_boolean(host, n, int_ != 0 ? 1 : 0);
        break;
      case VITRINE_PARAM_ENUM:
        st = vitrine_mock_host_param_enum(host, n, text_.c_str());
        break;
      case VITRINE_PARAM_ENUM_LIST: {
        std::vector<const char*> ptrs;
        for (const auto& i : items_) ptrs.push_back(i.c_str());
        st = vitrine_mock_host_param_enum_list(host, n, ptrs.data(), ptrs.size());
        break;
      }
      case VITRINE_PARAM_DURATION:
        st = vitrine_mock_host_param_duration(host, n, text_.c_str());
        break;
      case VITRINE_PARAM_TIME:
        st = vitrine_mock_host_param_time(host, n, text_.c_str(), int_);
        break;
      case VITRINE_PARAM_UID:
        st = vitrine_mock_host_param_uid(host, n, text_.c_str());
        break;
      default:
        break;
    }
    if (st == VITRINE_OK && is_default_) st = vitrine_mock_host_param_mark_default(host, n);
    return st;
  }

 private:
  Param(vitrine_param_type type, std::string text) : type_(type), text_(std::move(text)) {}
  vitrine_param_type type_;
  std::string text_;
  int64_t int_ = 0;
  std::vector<std::string> items_;
  bool is_default_ = false;
};

using Params = std::vector<std::pair<std::string, Param>>;

struct Result {
  vitrine_status status = VITRINE_E_INTERNAL;
  std::string html;
  std::string error;
  uint32_t cache_ttl_s = 0;
  int64_t elapsed_ms = 0;
  bool deadline_exceeded = false;
  std::string violations;  // ABI breaks the mock saw; "" when none
  bool ok() const { return status == VITRINE_OK; }
  bool contains(const std::string& s) const { return html.find(s) != std::string::npos; }
};

// Prints a result in GoogleTest failure messages: EXPECT_TRUE(r.ok()) << r;
inline std::ostream& operator<<(std::ostream& os, const Result& r) {
  os << vitrine_mock_status_name(r.status);
  if (!r.error.empty()) os << " error=\"" << r.error << "\"";
  if (!r.violations.empty()) os << " violations=\"" << r.violations << "\"";
  return os << " html=\"" << r.html.substr(0, 2000) << (r.html.size() > 2000 ? "...\"" : "\"");
}

struct Request {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  uint32_t timeout_ms = 0;
  // The value of a header (case-insensitive name), or nullopt.
  std::optional<std::string> header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < n.size() && same; ++i) {
        same = (n[i] | 0x20) == (name[i] | 0x20);
      }
      if (same) return v;
    }
    return std::nullopt;
  }
};

struct LogLine {
  vitrine_log_level level = VITRINE_LOG_INFO;
  std::string text;
};

struct Asset {
  std::string content_type;
  std::string data;
};

class MockHost {
 public:
  // A host with no plugin; load() one.
  MockHost() : host_(vitrine_mock_host_create()) {
    if (host_ == nullptr) throw std::bad_alloc();
  }
  // A host with `library_path` loaded; throws std::runtime_error with the
  // refusal (what happened, what to do, [rule]) when it cannot be loaded.
  explicit MockHost(const std::string& library_path) : MockHost() {
    if (!load(library_path)) throw std::runtime_error(last_error_);
  }
  ~MockHost() { vitrine_mock_host_destroy(host_); }
  MockHost(const MockHost&) = delete;
  MockHost& operator=(const MockHost&) = delete;

  // Loads a plugin; false with last_error() on refusal.
  bool load(const std::string& library_path) {
    const char* error = nullptr;
    if (vitrine_mock_host_load(host_, library_path.c_str(), &error) == VITRINE_OK) return true;
    last_error_ = error != nullptr ? error : "";
    return false;
  }
  const std::string& last_error() const { return last_error_; }
  std::string plugin_id() const { return vitrine_mock_host_plugin_id(host_); }
  std::string plugin_version() const { return vitrine_mock_host_plugin_version(host_); }

  // ---- HTTP answers
  void respond(const std::string& url, int32_t http_status, const std::string& body,
               const std::string& content_type = "application/json") {
    answer(url, VITRINE_MOCK_MATCH_EXACT, VITRINE_OK, http_status, body, content_type);
  }
  void respond_any_query(const std::string& url, int32_t http_status, const std::string& body,
                         const std::string& content_type = "application/json") {
    answer(url, VITRINE_MOCK_MATCH_ANY_QUERY, VITRINE_OK, http_status, body, content_type);
  }
  void respond_prefix(const std::string& prefix, int32_t http_status, const std::string& body,
                      const std::string& content_type = "application/json") {
    answer(prefix, VITRINE_MOCK_MATCH_PREFIX, VITRINE_OK, http_status, body, content_type);
  }
  // http->get() of `url` fails with `status`; `rule` matters for DENIED.
  void fail(const std::string& url, vitrine_status status, const std::string& reason = {},
            const std::string& rule = {}, vitrine_mock_match match = VITRINE_MOCK_MATCH_EXACT) {
    if (status == VITRINE_OK) {
      throw std::invalid_argument("fail(" + url + ") needs a failure status; use respond()");
    }
    answer(url, match, status, 0, {}, {}, reason, rule);
  }
  // Everything at once (final_url simulates a redirect, delay_ms a slow answer).
  void answer(const std::string& pattern, vitrine_mock_match match, vitrine_status status,
              int32_t http_status, const std::string& body, const std::string& content_type,
              const std::string& reason = {}, const std::string& rule = {},
              const std::string& final_url = {}, uint32_t delay_ms = 0) {
    vitrine_mock_answer a{};
    a.struct_size = sizeof a;
    a.match = match;
    a.status = status;
    a.http_status = http_status;
    a.content_type = {content_type.data(), content_type.size()};
    a.body = {body.data(), body.size()};
    a.final_url = {final_url.data(), final_url.size()};
    a.rule = {rule.data(), rule.size()};
    a.reason = {reason.data(), reason.size()};
    a.delay_ms = delay_ms;
    check(vitrine_mock_host_answer(host_, pattern.c_str(), &a), "answer " + pattern);
  }
  void clear_answers() { vitrine_mock_host_clear_answers(host_); }

  // ---- captured requests
  std::vector<Request> requests() const {
    std::vector<Request> out;
    for (size_t i = 0, n = vitrine_mock_host_request_count(host_); i < n; ++i) {
      Request r;
      r.url = vitrine_mock_host_request_url(host_, i);
      r.timeout_ms = vitrine_mock_host_request_timeout_ms(host_, i);
      for (size_t h = 0, m = vitrine_mock_host_request_header_count(host_, i); h < m; ++h) {
        const char* name = nullptr;
        const char* value = nullptr;
        if (vitrine_mock_host_request_header_at(host_, i, h, &name, &value) == VITRINE_OK) {
          r.headers.emplace_back(name, value);
        }
      }
      out.push_back(std::move(r));
    }
    return out;
  }
  std::vector<std::string> request_urls() const {
    std::vector<std::string> out;
    for (size_t i = 0, n = vitrine_mock_host_request_count(host_); i < n; ++i) {
      out.emplace_back(vitrine_mock_host_request_url(host_, i));
    }
    return out;
  }
  size_t requests_to(const std::string& url) const {
    return vitrine_mock_host_requests_to(host_, url.c_str());
  }
  void clear_requests() { vitrine_mock_host_clear_requests(host_); }

  // ---- the render request
  void set_grafana_base_url(const std::string& v) {
    base_url_ = v;
    check(vitrine_mock_host_set_grafana_base_url(host_, v.c_str()), "grafana_base_url");
  }
  const std::string& base_url() const { return base_url_; }
  void set_space(const std::string& v) {
    check(vitrine_mock_host_set_space(host_, v.c_str()), "space");
  }
  void set_page(const std::string& v) {
    check(vitrine_mock_host_set_page(host_, v.c_str()), "page");
  }
  void set_locale(const std::string& v) {
    check(vitrine_mock_host_set_locale(host_, v.c_str()), "locale");
  }
  void set_timezone(const std::string& v) {
    check(vitrine_mock_host_set_timezone(host_, v.c_str()), "timezone");
  }
  void set_theme(const std::string& v) {
    check(vitrine_mock_host_set_theme(host_, v.c_str()), "theme");
  }
  void set_time_range(const std::string& from, const std::string& to, int64_t from_ms = 0,
                      int64_t to_ms = 0) {
    check(vitrine_mock_host_set_time_range(host_, from.c_str(), from_ms, to.c_str(), to_ms),
          "time range " + from + " to " + to);
  }
  void set_now(int64_t unix_ms) { vitrine_mock_host_set_now(host_, unix_ms); }
  void set_deadline_ms(uint32_t ms) { vitrine_mock_host_set_deadline_ms(host_, ms); }

  // ---- capabilities
  void offer(const std::string& capability_id, bool offered) {
    check(vitrine_mock_host_offer(host_, capability_id.c_str(), offered ? 1 : 0), capability_id);
  }
  void license(const std::string& feature, bool on = true) {
    check(vitrine_mock_host_license(host_, feature.c_str(), on ? 1 : 0), "license " + feature);
  }
  size_t license_checks(const std::string& feature) const {
    return vitrine_mock_host_license_checks(host_, feature.c_str());
  }
  void cache_put(const std::string& key, const std::string& value, uint32_t ttl_s,
                 int64_t stored_at_ms = 0) {
    check(vitrine_mock_host_cache_put(host_, key.c_str(), value.data(), value.size(), ttl_s,
                                      stored_at_ms),
          "cache_put " + key);
  }
  std::optional<std::string> cache_value(const std::string& key) const {
    vitrine_str v{};
    if (vitrine_mock_host_cache_get(host_, key.c_str(), &v, nullptr) != VITRINE_OK)
      return std::nullopt;
    return v.len == 0 ? std::string() : std::string(v.ptr, v.len);
  }
  size_t cache_size() const { return vitrine_mock_host_cache_size(host_); }
  void cache_clear() { vitrine_mock_host_cache_clear(host_); }
  size_t asset_count() const { return vitrine_mock_host_asset_count(host_); }
  std::optional<Asset> asset(const std::string& url) const {
    vitrine_str type{};
    vitrine_str data{};
    if (vitrine_mock_host_asset(host_, url.c_str(), &type, &data) != VITRINE_OK)
      return std::nullopt;
    return Asset{std::string(type.ptr, type.len), std::string(data.ptr, data.len)};
  }
  std::vector<LogLine> logs() const {
    std::vector<LogLine> out;
    for (size_t i = 0, n = vitrine_mock_host_log_count(host_); i < n; ++i) {
      LogLine l;
      l.text = vitrine_mock_host_log_line(host_, i, &l.level);
      out.push_back(std::move(l));
    }
    return out;
  }
  void clear_log() { vitrine_mock_host_clear_log(host_); }

  // ---- render
  // Renders with exactly `params` (earlier parameters are cleared).
  Result render(const std::string& macro_key, const Params& params = {}) {
    vitrine_mock_host_clear_params(host_);
    for (const auto& [name, value] : params) check(value.bind(host_, name), "parameter " + name);
    vitrine_mock_result r{};
    r.struct_size = sizeof r;
    vitrine_mock_host_render(host_, macro_key.c_str(), &r);
    Result out;
    out.status = r.status;
    out.html.assign(r.html.ptr == nullptr ? "" : r.html.ptr, r.html.len);
    out.error.assign(r.error.ptr == nullptr ? "" : r.error.ptr, r.error.len);
    out.violations.assign(r.violations.ptr == nullptr ? "" : r.violations.ptr, r.violations.len);
    out.cache_ttl_s = r.cache_ttl_s;
    out.elapsed_ms = r.elapsed_ms;
    out.deadline_exceeded = r.deadline_exceeded != 0;
    return out;
  }

  // The C handle, for anything the C++ layer does not wrap.
  vitrine_mock_host* get() { return host_; }

 private:
  // A setter refused its argument: a mistake in the test, reported loudly.
  static void check(vitrine_status st, const std::string& what) {
    if (st != VITRINE_OK) {
      throw std::invalid_argument("mock host refused " + what + ": " +
                                  vitrine_mock_status_name(st));
    }
  }

  vitrine_mock_host* host_;
  std::string last_error_;
  std::string base_url_ = "https://mock.grafana.invalid";
};

}  // namespace vitrine::testing

#endif  // VITRINE_TESTING_MOCK_HOST_HPP
