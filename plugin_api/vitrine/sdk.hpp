// Vitrine plugin SDK, C++ part (C++20, header-only): a thin layer over the
// C ABI (vitrine/plugin.h, vitrine/capabilities.h) and the SDK's C library
// (vitrine/sdk/sdk.h). Link Vitrine::sdk; docs/sdk.md is the reference.
//
//   vitrine::sdk::Caps      the capability tables, fetched once in create()
//   vitrine::sdk::Document  a parsed JSON document; Json is a view into it
//   escape_html / escape_attr / url_segment / url_query / Query
//   rfc3339 / display_time  time text
//   Request / Output        one render call and what it produced
//   VITRINE_SDK_PLUGIN      the exported entry, create() and the render
//                           boundary (exceptions become VITRINE_E_INTERNAL
//                           with a reason, ABI-7)
//
// Memory: everything returned is owned by the caller (std::string) or by a
// Document; strings handed over by the host (HttpResult fields are copies)
// never outlive render() (ABI-8). Thread rule: Caps is written once in
// create() and only read afterwards (ABI-16); the rest keeps no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vitrine/capabilities.h"
#include "vitrine/plugin.h"
#include "vitrine/sdk/sdk.h"

namespace vitrine::sdk {

inline vitrine_str to_vstr(std::string_view s) { return vitrine_str{s.data(), s.size()}; }
inline std::string_view view(vitrine_str s) {
  return s.ptr == nullptr ? std::string_view() : std::string_view(s.ptr, s.len);
}

// ------------------------------------------------------------ capabilities

// The outcome of one GET: the capability status and, when a response
// arrived, its HTTP status, type and body, copied out of host memory.
struct HttpResult {
  vitrine_status status = VITRINE_E_INTERNAL;
  int http_status = 0;
  std::string body;
  std::string content_type;
  std::string final_url;
  std::string rule;    // on VITRINE_E_DENIED: the egress rule id
  std::string reason;  // on any failure: why (never empty on failure, ABI-5)
  bool ok_2xx() const { return status == VITRINE_OK && http_status >= 200 && http_status < 300; }
};

struct CacheHit {
  std::string value;
  int64_t stored_at_ms = 0;
  bool stale = false;
};

// Each table may be missing (ABI-4): every wrapper reports a missing table as
// an ordinary failure with a reason, never a crash.
class Caps {
 public:
  Caps() = default;
  explicit Caps(const vitrine_host* host)
      : http_(table<vitrine_http_v1>(host, VITRINE_CAP_HTTP_V1)),
        cache_(table<vitrine_cache_v1>(host, VITRINE_CAP_CACHE_V1)),
        assets_(table<vitrine_assets_v1>(host, VITRINE_CAP_ASSETS_V1)),
        log_(table<vitrine_log_v1>(host, VITRINE_CAP_LOG_V1)),
        license_(table<vitrine_license_v1>(host, VITRINE_CAP_LICENSE_V1)) {}

  bool has_http() const { return http_ != nullptr; }
  bool has_cache() const { return cache_ != nullptr; }
  bool has_assets() const { return assets_ != nullptr; }
  bool has_license() const { return license_ != nullptr; }

  HttpResult get(vitrine_call* call, std::string_view url,
                 const std::vector<std::pair<std::string, std::string>>& headers = {},
                 uint32_t timeout_ms = 0) const {
    HttpResult out;
    if (http_ == nullptr || http_->get == nullptr) {
      out.status = VITRINE_E_UNAVAILABLE;
      out.reason = "this host does not offer the HTTP capability (vitrine.http/1)";
      return out;
    }
    std::vector<vitrine_http_header> hs;
    hs.reserve(headers.size());
    for (const auto& [n, v] : headers) hs.push_back({to_vstr(n), to_vstr(v)});
    vitrine_http_request req{};
    req.struct_size = sizeof(req);
    req.url = to_vstr(url);
    req.headers = hs.empty() ? nullptr : hs.data();
    req.header_count = hs.size();
    req.timeout_ms = timeout_ms;
    vitrine_http_response resp{};
    resp.struct_size = sizeof(resp);
    out.status = http_->get(call, &req, &resp);
    out.http_status = resp.http_status;
    out.body = view(resp.body);
    out.content_type = view(resp.content_type);
    out.final_url = view(resp.final_url);
    out.rule = view(resp.rule);
    out.reason = view(resp.reason);
    if (out.status != VITRINE_OK && out.reason.empty()) {
      out.reason = "the HTTP capability failed with status " + std::to_string(out.status);
    }
    return out;
  }

  std::optional<CacheHit> cache_get(vitrine_call* call, std::string_view key) const {
    if (cache_ == nullptr || cache_->get == nullptr) return std::nullopt;
    vitrine_cache_entry e{};
    e.struct_size = sizeof(e);
    if (cache_->get(call, to_vstr(key), &e) != VITRINE_OK) return std::nullopt;
    return CacheHit{std::string(view(e.value)), e.stored_at_ms, e.is_stale != 0};
  }

  bool cache_put(vitrine_call* call, std::string_view key, std::string_view value,
                 uint32_t ttl_s) const {
    if (cache_ == nullptr || cache_->put == nullptr) return false;
    return cache_->put(call, to_vstr(key), to_vstr(value), ttl_s) == VITRINE_OK;
  }

  // Stores bytes as an asset; returns its URL, or nullopt with `reason` set.
  std::optional<std::string> asset_put(vitrine_call* call, std::string_view content_type,
                                       std::string_view data, std::string& reason) const {
    if (assets_ == nullptr || assets_->put == nullptr) {
      reason = "this host does not offer asset storage (vitrine.assets/1)";
      return std::nullopt;
    }
    vitrine_asset_ref ref{};
    ref.struct_size = sizeof(ref);
    const vitrine_status st = assets_->put(call, to_vstr(content_type), to_vstr(data), &ref);
    if (st != VITRINE_OK) {
      reason = view(ref.reason);
      if (reason.empty()) reason = "asset storage failed with status " + std::to_string(st);
      return std::nullopt;
    }
    return std::string(view(ref.url));
  }

  void log(vitrine_call* call, vitrine_log_level level, std::string_view message) const {
    if (log_ != nullptr && log_->log != nullptr) log_->log(call, level, to_vstr(message));
  }

  // nullopt when the license capability is missing or failed: treat that as
  // "not licensed" (fail closed).
  std::optional<bool> licensed(vitrine_call* call, std::string_view feature) const {
    if (license_ == nullptr || license_->is_licensed == nullptr) return std::nullopt;
    int32_t yes = 0;
    if (license_->is_licensed(call, to_vstr(feature), &yes) != VITRINE_OK) return std::nullopt;
    return yes == 1;
  }

 private:
  template <typename T>
  static const T* table(const vitrine_host* host, const char* id) {
    if (host == nullptr || host->get_capability == nullptr) return nullptr;
    const auto* t = static_cast<const T*>(host->get_capability(host, id));
    // A table smaller than the v1 layout would make us read past its end.
    if (t != nullptr && t->struct_size < sizeof(T)) return nullptr;
    return t;
  }

  const vitrine_http_v1* http_ = nullptr;
  const vitrine_cache_v1* cache_ = nullptr;
  const vitrine_assets_v1* assets_ = nullptr;
  const vitrine_log_v1* log_ = nullptr;
  const vitrine_license_v1* license_ = nullptr;
};

// -------------------------------------------------------------------- JSON

// A view of one JSON value inside a Document; valid while the Document
// lives. A missing value (failed lookup, wrong type) is an empty view, and
// lookups on it give empty views again, so chains need one check.
class Json {
 public:
  Json() = default;
  explicit Json(const vsdk_json* node) : node_(node) {}

  explicit operator bool() const { return node_ != nullptr; }
  vsdk_json_type type() const { return vsdk_json_type_of(node_); }
  bool is_null() const { return type() == VSDK_JSON_NULL; }
  bool is_object() const { return type() == VSDK_JSON_OBJECT; }
  bool is_array() const { return type() == VSDK_JSON_ARRAY; }
  bool is_string() const { return type() == VSDK_JSON_STRING; }
  bool is_number() const { return type() == VSDK_JSON_NUMBER; }
  bool is_bool() const { return type() == VSDK_JSON_BOOL; }

  // Object member; empty unless this is an object with that key.
  Json operator[](std::string_view key) const {
    return Json(vsdk_json_get_n(node_, key.data(), key.size()));
  }
  // Array item, or object member value in document order.
  Json at(size_t index) const { return Json(vsdk_json_at(node_, index)); }
  size_t size() const { return vsdk_json_size(node_); }
  std::string_view key_at(size_t index) const { return view(vsdk_json_key_at(node_, index)); }

  std::optional<std::string_view> string() const {
    vitrine_str s{};
    if (vsdk_json_string(node_, &s) == 0) return std::nullopt;
    return view(s);
  }
  // The string, or `fallback` for anything that is not a JSON string.
  std::string str(std::string_view fallback = {}) const {
    return std::string(string().value_or(fallback));
  }
  std::optional<int64_t> int64() const {
    int64_t v = 0;
    if (vsdk_json_int64(node_, &v) == 0) return std::nullopt;
    return v;
  }
  std::optional<double> number() const {
    double v = 0;
    if (vsdk_json_double(node_, &v) == 0) return std::nullopt;
    return v;
  }
  std::optional<bool> boolean() const {
    int v = 0;
    if (vsdk_json_bool(node_, &v) == 0) return std::nullopt;
    return v != 0;
  }
  const vsdk_json* raw() const { return node_; }

  // for (Json item : array) / for (Json value : object)
  class iterator {
   public:
    iterator(const vsdk_json* c, size_t i) : c_(c), i_(i) {}
    Json operator*() const { return Json(vsdk_json_at(c_, i_)); }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const iterator& o) const { return c_ == o.c_ && i_ == o.i_; }

   private:
    const vsdk_json* c_;
    size_t i_;
  };
  iterator begin() const { return iterator(node_, 0); }
  iterator end() const { return iterator(node_, size()); }

 private:
  const vsdk_json* node_ = nullptr;
};

// An owned, parsed document (move-only). Check ok() before root().
class Document {
 public:
  Document() = default;
  static Document parse(std::string_view text, const vsdk_json_limits* limits = nullptr) {
    Document d;
    d.status_ = vsdk_json_parse(text.data(), text.size(), limits, &d.doc_, &d.error_);
    if (d.status_ == VITRINE_E_INTERNAL) throw std::bad_alloc();
    return d;
  }
  Document(Document&& o) noexcept
      : doc_(std::exchange(o.doc_, nullptr)), status_(o.status_), error_(o.error_) {}
  Document& operator=(Document&& o) noexcept {
    if (this != &o) {
      vsdk_json_free(doc_);
      doc_ = std::exchange(o.doc_, nullptr);
      status_ = o.status_;
      error_ = o.error_;
    }
    return *this;
  }
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  ~Document() { vsdk_json_free(doc_); }

  bool ok() const { return doc_ != nullptr; }
  // VITRINE_OK, VITRINE_E_INVALID or VITRINE_E_TOO_LARGE (see vsdk_json_parse).
  vitrine_status status() const { return status_; }
  // "offset 12: expected ':' after an object key"; "" when ok().
  std::string error() const {
    if (ok()) return {};
    return "offset " + std::to_string(error_.offset) + ": " + error_.message;
  }
  Json root() const { return Json(vsdk_json_root(doc_)); }

 private:
  vsdk_json_doc* doc_ = nullptr;
  vitrine_status status_ = VITRINE_E_INVALID;
  vsdk_json_error error_{};
};

// ------------------------------------------------------- escaping and URLs

namespace detail {
// Runs one C writer into a temporary buffer and returns its text; throws
// std::bad_alloc when memory ran out (the render boundary reports it).
template <typename F>
std::string with_buf(F&& write) {
  vsdk_buf b;
  vsdk_buf_init(&b, 0);
  const vitrine_status st = write(&b);
  std::string out = st == VITRINE_OK ? std::string(b.data == nullptr ? "" : b.data, b.len) : "";
  vsdk_buf_free(&b);
  if (st != VITRINE_OK) throw std::bad_alloc();
  return out;
}
}  // namespace detail

inline std::string escape_html(std::string_view s) {
  return detail::with_buf([&](vsdk_buf* b) { return vsdk_html_escape(b, s.data(), s.size()); });
}
inline std::string escape_attr(std::string_view s) {
  return detail::with_buf([&](vsdk_buf* b) { return vsdk_attr_escape(b, s.data(), s.size()); });
}
inline std::string url_segment(std::string_view s) {
  return detail::with_buf(
      [&](vsdk_buf* b) { return vsdk_url_path_segment(b, s.data(), s.size()); });
}
inline std::string url_query(std::string_view s) {
  return detail::with_buf(
      [&](vsdk_buf* b) { return vsdk_url_query_component(b, s.data(), s.size()); });
}

// "?a=1&b=x%20y": names and values percent-encoded (RFC 3986 unreserved kept).
class Query {
 public:
  Query& add(std::string_view name, std::string_view value) {
    q_ += q_.empty() ? '?' : '&';
    q_ += url_query(name);
    q_ += '=';
    q_ += url_query(value);
    return *this;
  }
  Query& add(std::string_view name, long long value) { return add(name, std::to_string(value)); }
  const std::string& str() const { return q_; }

 private:
  std::string q_;
};

// ------------------------------------------------------------------- time

inline std::string rfc3339(int64_t unix_ms) {
  char buf[VSDK_TIME_BUF];
  return std::string(buf, vsdk_time_rfc3339(unix_ms, buf));
}
// "2026-11-29 10:42 UTC" / "2026-11-29 12:42 +02:00".
inline std::string display_time(int64_t unix_ms, int32_t offset_s = 0) {
  char buf[VSDK_TIME_BUF];
  return std::string(buf, vsdk_time_display(unix_ms, offset_s, buf));
}
inline std::optional<int64_t> parse_rfc3339(std::string_view text) {
  int64_t ms = 0;
  if (vsdk_time_parse_rfc3339(text.data(), text.size(), &ms) == 0) return std::nullopt;
  return ms;
}
inline std::string duration(int64_t ms) {
  char buf[VSDK_TIME_BUF];
  return std::string(buf, vsdk_time_duration(ms, buf));
}

// ---------------------------------------------------------- render boundary

// What a macro produced. The HTML is built in memory and written to the
// host only on success, so a failure never leaves a partial fragment.
struct Output {
  vitrine_status status = VITRINE_OK;
  std::string html;
  std::string reason;
  uint32_t ttl_s = 0;

  static Output ok(std::string html, uint32_t ttl_s) {
    return Output{VITRINE_OK, std::move(html), {}, ttl_s};
  }
  // `reason` is what the page author reads: what happened, what to do.
  static Output fail(vitrine_status status, std::string reason) {
    return Output{status, {}, std::move(reason), 0};
  }
};

// One render call.
struct Request {
  const Caps& caps;
  vitrine_call* call;
  const vitrine_render_request* req;

  std::string_view macro() const { return view(req->macro_key); }
  std::string_view grafana_base_url() const { return view(req->grafana_base_url); }
  const vitrine_param* param(std::string_view name) const {
    for (size_t i = 0; i < req->param_count; ++i) {
      if (view(req->params[i].name) == name) return &req->params[i];
    }
    return nullptr;
  }
  // A string-like parameter's text, or `fallback` when it is absent.
  std::string text(std::string_view name, std::string_view fallback = {}) const {
    const vitrine_param* p = param(name);
    return std::string(p != nullptr ? view(p->text_value) : fallback);
  }
  std::optional<int64_t> integer(std::string_view name) const {
    const vitrine_param* p = param(name);
    if (p == nullptr) return std::nullopt;
    return p->int_value;
  }
};

// Writes `reason` into a host sink (a create() reason or result->error).
inline void write_reason(vitrine_sink* sink, std::string_view reason) {
  if (sink != nullptr && sink->write != nullptr) sink->write(sink, reason.data(), reason.size());
}

// Runs `fn` (returning Output) and reports its result through `result`.
// Exceptions never cross the C ABI (ABI-7): they become VITRINE_E_INTERNAL
// with a reason, as does a failure given without one (ABI-5).
template <typename F>
vitrine_status render_boundary(vitrine_render_result* result, F&& fn) noexcept {
  if (result == nullptr || result->struct_size < sizeof(vitrine_render_result) ||
      result->html == nullptr || result->error == nullptr) {
    return VITRINE_E_INVALID;
  }
  try {
    Output out = fn();
    if (out.status == VITRINE_OK) {
      if (result->html->write(result->html, out.html.data(), out.html.size()) != VITRINE_OK) {
        write_reason(result->error,
                     "the rendered HTML is larger than the host accepts; show fewer items");
        return VITRINE_E_TOO_LARGE;
      }
      result->cache_ttl_s = out.ttl_s;
      return VITRINE_OK;
    }
    if (out.reason.empty()) out.reason = "the plugin failed without giving a reason";
    write_reason(result->error, out.reason);
    return out.status;
  } catch (const std::bad_alloc&) {
    write_reason(result->error, "the plugin ran out of memory while rendering");
  } catch (const std::exception& e) {
    try {
      write_reason(result->error, std::string("the plugin failed unexpectedly: ") + e.what());
    } catch (...) {
      write_reason(result->error, "the plugin failed unexpectedly");
    }
  } catch (...) {
    write_reason(result->error, "the plugin failed unexpectedly");
  }
  return VITRINE_E_INTERNAL;
}

// One macro: its key (as in the manifest) and its renderer.
struct Macro {
  const char* key;
  Output (*render)(const Request&);
};

namespace detail {
template <size_t N>
struct Keys {
  const char* keys[N + 1];
};
template <size_t N>
constexpr Keys<N> keys_of(const Macro (&macros)[N]) {
  Keys<N> k{};
  for (size_t i = 0; i < N; ++i) k.keys[i] = macros[i].key;
  k.keys[N] = nullptr;
  return k;
}
template <size_t N>
vitrine_status dispatch(const Caps& caps, const Macro (&macros)[N], vitrine_call* call,
                        const vitrine_render_request* req, vitrine_render_result* result) {
  return render_boundary(result, [&]() -> Output {
    if (req == nullptr || req->struct_size < sizeof(vitrine_render_request)) {
      return Output::fail(VITRINE_E_INVALID, "the render request is missing or too small");
    }
    const Request r{caps, call, req};
    for (const Macro& m : macros) {
      if (r.macro() == m.key) return m.render(r);
    }
    return Output::fail(VITRINE_E_NOT_FOUND,
                        "this plugin has no macro '" + std::string(r.macro()) + "'");
  });
}
}  // namespace detail

}  // namespace vitrine::sdk

// Defines a plugin's create(), render dispatch and the exported entry.
// MACROS is a constexpr array of vitrine::sdk::Macro whose keys equal the
// manifest's macro keys; ID and VERSION equal the manifest's plugin id and
// version. Use once, at namespace scope, in one source file:
//   constexpr vitrine::sdk::Macro kMacros[] = {{"hello", render_hello}};
//   VITRINE_SDK_PLUGIN("hello", "1.0.0", kMacros)
#define VITRINE_SDK_PLUGIN(ID, VERSION, MACROS)                                              \
  namespace {                                                                                \
  constexpr auto vitrine_sdk_keys_ = ::vitrine::sdk::detail::keys_of(MACROS);                \
  ::vitrine::sdk::Caps vitrine_sdk_caps_; /* written once by create(), then read (ABI-16) */ \
  vitrine_status vitrine_sdk_render_(const vitrine_plugin*, vitrine_call* call,              \
                                     const vitrine_render_request* req,                      \
                                     vitrine_render_result* res) {                           \
    return ::vitrine::sdk::detail::dispatch(vitrine_sdk_caps_, MACROS, call, req, res);      \
  }                                                                                          \
  const vitrine_plugin vitrine_sdk_instance_ = {sizeof(vitrine_plugin), nullptr,             \
                                                vitrine_sdk_render_, nullptr};               \
  vitrine_status vitrine_sdk_create_(const vitrine_host* host, const vitrine_plugin** out,   \
                                     vitrine_sink* reason) {                                 \
    if (host == nullptr || out == nullptr) return VITRINE_E_INVALID;                         \
    if (host->abi.major != VITRINE_ABI_MAJOR) {                                              \
      ::vitrine::sdk::write_reason(reason,                                                   \
                                   "the host's ABI major version differs from the "          \
                                   "plugin's; rebuild the plugin against this host's "       \
                                   "SDK");                                                   \
      return VITRINE_E_INVALID;                                                              \
    }                                                                                        \
    vitrine_sdk_caps_ = ::vitrine::sdk::Caps(host);                                          \
    *out = &vitrine_sdk_instance_;                                                           \
    return VITRINE_OK;                                                                       \
  }                                                                                          \
  }                                                                                          \
  extern "C" VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry =                       \
      VITRINE_ENTRY_INIT(ID, VERSION, vitrine_sdk_keys_.keys, vitrine_sdk_create_);
