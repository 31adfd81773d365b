#include "fake_host.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include "manifest/manifest.h"
#include "plugins/call.h"
#include "plugins/host_table.h"
#include "plugins/loader.h"
#include "plugins/params.h"
#include "vitrine/capabilities.h"

#ifdef VITRINE_FAKE_HOST_SEARCH
#include "api_handlers.h"
#include "fixtures.h"
#endif

namespace vitrine::test {
namespace {

FakeState g_state;

// The Grafana API path prefixes each scope opens (manifests/scopes.yml).
const std::map<std::string, std::vector<std::string>>& scope_paths() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"grafana:read:dashboards", {"/api/search", "/api/dashboards/uid", "/api/folders"}},
      {"grafana:read:alerts",
       {"/api/prometheus/grafana/api/v1/rules", "/api/prometheus/grafana/api/v1/alerts",
        "/api/alertmanager/grafana/api/v2/alerts"}},
      {"grafana:read:annotations", {"/api/annotations"}},
      {"grafana:render", {"/render/d-solo", "/render/d"}},
      {"grafana:read:health", {"/api/health"}},
  };
  return m;
}

bool path_allowed(const manifest::Manifest& m, const std::string& path) {
  for (const auto& scope : m.scopes) {
    const auto it = scope_paths().find(scope);
    if (it == scope_paths().end()) continue;
    for (const auto& prefix : it->second) {
      if (path == prefix) return true;
      if (path.rfind(prefix, 0) == 0 &&
          (path[prefix.size()] == '/' || path[prefix.size()] == '?')) {
        return true;
      }
    }
  }
  return false;
}

std::string query_param(const std::string& query, const std::string& name) {
  std::istringstream in(query);
  std::string kv;
  while (std::getline(in, kv, '&')) {
    const auto eq = kv.find('=');
    if (kv.substr(0, eq) == name) return eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  return {};
}

struct Answer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

#ifdef VITRINE_FAKE_HOST_SEARCH
// /api/search is answered by the simulator's own handler over the same
// fixtures, so the search results (filters, folder fields, order) are the
// simulator's and not a second copy of its logic.
std::string pct_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

Answer simulator_search(const std::string& query) {
  static const sim::Fixtures fixtures = sim::load_fixtures(FIXTURES_DIR, 11);
  sim::ApiRequest req;
  req.method = "GET";
  req.path = "/api/search";
  std::istringstream in(query);
  std::string kv;
  while (std::getline(in, kv, '&')) {
    const auto eq = kv.find('=');
    req.query.emplace_back(pct_decode(kv.substr(0, eq)),
                           eq == std::string::npos ? "" : pct_decode(kv.substr(eq + 1)));
  }
  const sim::Reply r = sim::handle_search(req, fixtures);
  return Answer{r.status, r.content_type, r.body};
}
#endif

Answer route(const std::string& path, const std::string& query) {
  if (auto it = g_state.bodies.find(path); it != g_state.bodies.end()) {
    return Answer{200, path.rfind("/render/", 0) == 0 ? "image/png" : "application/json",
                  it->second};
  }
  const std::string fx = FIXTURES_DIR;
  const std::string dash_prefix = "/api/dashboards/uid/";
  if (path.rfind(dash_prefix, 0) == 0) {
    const std::string uid = path.substr(dash_prefix.size());
    std::ifstream f(fx + "/dashboards/" + uid + ".json");
    if (!f || uid.find('/') != std::string::npos || uid.find('.') != std::string::npos) {
      return Answer{404, "application/json", "{\"message\":\"Dashboard not found\"}"};
    }
    return Answer{200, "application/json", read_file(fx + "/dashboards/" + uid + ".json")};
  }
  if (path == "/api/prometheus/grafana/api/v1/rules") {
    return Answer{200, "application/json", read_file(fx + "/rules.json")};
  }
  if (path == "/api/annotations") {
    return Answer{200, "application/json", read_file(fx + "/annotations.json")};
  }
#ifdef VITRINE_FAKE_HOST_SEARCH
  if (path == "/api/search") return simulator_search(query);
#endif
  if (path.rfind("/render/d-solo/", 0) == 0) {
    const auto w = std::strtoul(query_param(query, "width").c_str(), nullptr, 10);
    const auto h = std::strtoul(query_param(query, "height").c_str(), nullptr, 10);
    return Answer{200, "image/png", make_png(static_cast<uint32_t>(w), static_cast<uint32_t>(h))};
  }
  return Answer{404, "application/json", "{\"message\":\"Not found\"}"};
}

const char* kLoginPage =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Grafana</title>"
    "</head><body class=\"theme-dark app-grafana\"><div id=\"reactRoot\"></div></body></html>\n";
const char* kErrorPage =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<title>Grafana - Error</title></head>\n"
    "<body class=\"theme-dark\"><h1>Server side error :(</h1><h4>Internal Server Error</h4>"
    "</body></html>\n";

vitrine_status fake_get(vitrine_call* call, const vitrine_http_request* req,
                        vitrine_http_response* resp) {
  if (req == nullptr || resp == nullptr || req->struct_size < sizeof(vitrine_http_request)) {
    return VITRINE_E_INVALID;
  }
  const std::string url(req->url.ptr, req->url.len);
  g_state.urls.push_back(url);
  const std::string base = kBaseUrl;
  if (url.rfind(base + "/", 0) != 0 &&
      url.rfind(std::string(call->grafana_base_url) + "/", 0) != 0) {
    resp->rule = call->keep("egress-origin-not-approved");
    resp->reason = call->keep("the URL is not the space's Grafana origin");
    g_state.scope_violations.push_back(url);
    return VITRINE_E_DENIED;
  }
  const std::string rest = url.substr(call->grafana_base_url.size());
  const auto q = rest.find('?');
  const std::string path = rest.substr(0, q);
  const std::string query = q == std::string::npos ? "" : rest.substr(q + 1);
  if (!path_allowed(call->plugin->manifest, path)) {
    g_state.scope_violations.push_back(url);
    resp->rule = call->keep("scope-path-not-allowed");
    resp->reason = call->keep("the path is not covered by the plugin's scopes");
    return VITRINE_E_DENIED;
  }
  auto reply = [&](int status, const std::string& type, const std::string& body) {
    resp->http_status = status;
    resp->content_type = call->keep(type);
    resp->body = call->keep(body);
    resp->final_url = call->keep(url);
    return VITRINE_OK;
  };
  switch (g_state.fault) {
    case Fault::kNone:
      break;
    case Fault::kDenied:
      resp->rule = call->keep("egress-host-not-declared");
      resp->reason = call->keep("acme.grafana.net is not approved for this space");
      return VITRINE_E_DENIED;
    case Fault::kTimeout:
      resp->reason = call->keep("no answer within 10000 ms");
      return VITRINE_E_TIMEOUT;
    case Fault::kUnavailable:
      resp->reason = call->keep("connection refused");
      return VITRINE_E_UNAVAILABLE;
    case Fault::kTooLarge:
      resp->reason = call->keep("body over 8 MiB");
      return VITRINE_E_TOO_LARGE;
    case Fault::kProtocol:
      resp->reason = call->keep("malformed chunked encoding");
      return VITRINE_E_UPSTREAM;
    case Fault::kHttp401:
      return reply(401, "application/json", "{\"message\":\"Unauthorized\"}");
    case Fault::kHttp403:
      return reply(403, "application/json",
                   "{\"accessErrorId\":\"ACE0123\",\"message\":\"You'll need additional "
                   "permissions to perform this action.\"}");
    case Fault::kHttp404:
      return reply(404, "application/json", "{\"message\":\"Not found\"}");
    case Fault::kHtml500:
      return reply(500, "text/html; charset=UTF-8", kErrorPage);
    case Fault::kTruncated: {
      Answer a = route(path, query);
      return reply(a.status, a.content_type, a.body.substr(0, a.body.size() / 2));
    }
    case Fault::kHttp429:
      return reply(429, "text/html; charset=UTF-8",
                   "<html><body><h4>Too many rendering requests</h4></body></html>");
    case Fault::kPlaceholder:
      return reply(200, "image/png", make_png(500, 250));
    case Fault::kLogin302:
      return reply(302, "text/html; charset=utf-8", "<a href=\"/login\">Found</a>.\n\n");
    case Fault::kLoginPage200:
      return reply(200, "text/html; charset=UTF-8", kLoginPage);
    case Fault::kEmptyBody:
      return reply(200, "application/json", "");
  }
  Answer a = route(path, query);
  return reply(a.status, a.content_type, a.body);
}

std::string key_of(vitrine_str s) { return std::string(s.ptr == nullptr ? "" : s.ptr, s.len); }

// No bundled plugin asks for storage:cache: the host owns rendered-content
// caching and staleness (P8). The table is still offered, as the real host
// does, so a test can prove it goes unused; like the host, it refuses a
// plugin without the scope.
bool has_scope(const vitrine_call* call, const std::string& scope) {
  const auto& scopes = call->plugin->manifest.scopes;
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

vitrine_status fake_cache_get(vitrine_call* call, vitrine_str key, vitrine_cache_entry* out) {
  g_state.cache_calls.push_back("get " + key_of(key));
  if (!has_scope(call, "storage:cache")) {
    out->reason = call->keep("plugin lacks scope storage:cache [scope-storage-cache]");
    return VITRINE_E_DENIED;
  }
  out->reason = call->keep("no such entry");
  return VITRINE_E_NOT_FOUND;
}

vitrine_status fake_cache_put(vitrine_call* call, vitrine_str key, vitrine_str, uint32_t) {
  g_state.cache_calls.push_back("put " + key_of(key));
  return has_scope(call, "storage:cache") ? VITRINE_OK : VITRINE_E_DENIED;
}

vitrine_status fake_asset_put(vitrine_call* call, vitrine_str type, vitrine_str data,
                              vitrine_asset_ref* out) {
  if (key_of(type) != "image/png") {
    out->reason = call->keep("unsupported content type");
    return VITRINE_E_INVALID;
  }
  g_state.assets.push_back(key_of(data));
  out->url = call->keep("/assets/acme/" + std::to_string(g_state.assets.size()) + ".png");
  return VITRINE_OK;
}

void fake_log(vitrine_call*, vitrine_log_level, vitrine_str message) {
  g_state.log.push_back(key_of(message));
}

vitrine_status fake_licensed(vitrine_call*, vitrine_str, int32_t* licensed) {
  if (!g_state.licensed) return VITRINE_E_INVALID;
  *licensed = *g_state.licensed ? 1 : 0;
  return VITRINE_OK;
}

const vitrine_http_v1 kHttp = {sizeof(vitrine_http_v1), fake_get};
const vitrine_cache_v1 kCache = {sizeof(vitrine_cache_v1), fake_cache_get, fake_cache_put};
const vitrine_assets_v1 kAssets = {sizeof(vitrine_assets_v1), fake_asset_put};
const vitrine_log_v1 kLog = {sizeof(vitrine_log_v1), fake_log};
const vitrine_license_v1 kLicense = {sizeof(vitrine_license_v1), fake_licensed};

struct Loaded {
  plugins::HostTable host;
  plugins::LoadReport report;
};

// Plugins are never unloaded (ABI-10) and keep the tables create() gave
// them, so the host table and the load live for the whole test binary.
Loaded& loaded() {
  static Loaded* l = [] {
    auto* x = new Loaded;
    x->host.offer(VITRINE_CAP_HTTP_V1, &kHttp);
    x->host.offer(VITRINE_CAP_CACHE_V1, &kCache);
    x->host.offer(VITRINE_CAP_ASSETS_V1, &kAssets);
    x->host.offer(VITRINE_CAP_LOG_V1, &kLog);
    x->host.offer(VITRINE_CAP_LICENSE_V1, &kLicense);
    x->report = plugins::load_plugins_dir(PLUGINS_DIR, x->host.abi());
    return x;
  }();
  return *l;
}

struct Sink {
  vitrine_sink sink{};
  std::string text;
  size_t limit;
  explicit Sink(size_t max) : limit(max) {
    sink.struct_size = sizeof(vitrine_sink);
    sink.host_data = this;
    sink.write = [](vitrine_sink* s, const char* data, size_t len) -> vitrine_status {
      auto* self = static_cast<Sink*>(s->host_data);
      const size_t room = self->limit - self->text.size();
      self->text.append(data, std::min(room, len));
      return len > room ? VITRINE_E_TOO_LARGE : VITRINE_OK;
    };
  }
};

}  // namespace

FakeState& fake() { return g_state; }
void reset_fake() { g_state = FakeState{}; }

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kDenied:
      return "denied";
    case Fault::kTimeout:
      return "timeout";
    case Fault::kUnavailable:
      return "unavailable";
    case Fault::kTooLarge:
      return "too_large";
    case Fault::kProtocol:
      return "protocol";
    case Fault::kHttp401:
      return "http401";
    case Fault::kHttp403:
      return "http403";
    case Fault::kHttp404:
      return "http404";
    case Fault::kHtml500:
      return "html500";
    case Fault::kTruncated:
      return "truncated";
    case Fault::kHttp429:
      return "http429";
    case Fault::kPlaceholder:
      return "placeholder_png";
    case Fault::kLogin302:
      return "login302";
    case Fault::kLoginPage200:
      return "login_page";
    case Fault::kEmptyBody:
      return "empty_body";
  }
  return "?";
}

std::vector<Fault> all_faults() {
  return {Fault::kDenied,   Fault::kTimeout,      Fault::kUnavailable, Fault::kTooLarge,
          Fault::kProtocol, Fault::kHttp401,      Fault::kHttp403,     Fault::kHttp404,
          Fault::kHtml500,  Fault::kTruncated,    Fault::kHttp429,     Fault::kPlaceholder,
          Fault::kLogin302, Fault::kLoginPage200, Fault::kEmptyBody};
}

Rendered render(const std::string& plugin_id, const std::string& macro_key,
                const std::map<std::string, std::string>& params, const std::string& tz,
                const std::string& base_url) {
  Rendered out;
  const plugins::LoadedPlugin* plugin = nullptr;
  for (const auto& p : loaded().report.loaded) {
    if (p.manifest.id == plugin_id) plugin = &p;
  }
  if (plugin == nullptr) {
    std::string why;
    for (const auto& r : loaded().report.refused) why += r.message + "; ";
    ADD_FAILURE() << "plugin " << plugin_id << " not loaded from " << PLUGINS_DIR << ": " << why;
    return out;
  }
  const manifest::Macro* macro = nullptr;
  for (const auto& m : plugin->manifest.macros) {
    if (m.key == macro_key) macro = &m;
  }
  if (macro == nullptr) {
    ADD_FAILURE() << "no macro " << macro_key;
    return out;
  }
  plugins::BoundParams bound;
  if (auto err = plugins::bind_params(*macro, params, kNowMs, bound)) {
    out.status = VITRINE_E_INVALID;
    out.error = "[host] " + err->rule + ": " + err->message;
    return out;
  }
  vitrine_call call;
  call.plugin = plugin;
  call.space_key = "acme";
  call.page_id = "page-1";
  call.grafana_base_url = base_url;
  call.deadline_ms = kNowMs + 10'000;

  auto view = [](const std::string& s) { return vitrine_str{s.data(), s.size()}; };
  const std::string space = "acme", page = "page-1", locale = "en-GB", theme = "light",
                    from = "now-6h", to = "now";
  vitrine_render_request req{};
  req.struct_size = sizeof(req);
  req.macro_key = view(macro_key);
  req.params = bound.params().data();
  req.param_count = bound.params().size();
  req.space_key = view(space);
  req.page_id = view(page);
  req.locale = view(locale);
  req.timezone = view(tz);
  req.theme = view(theme);
  req.time_from = view(from);
  req.time_to = view(to);
  req.time_from_ms = kNowMs - 6 * 3600'000;
  req.time_to_ms = kNowMs;
  req.grafana_base_url = view(base_url);
  req.now_ms = kNowMs;
  req.deadline_ms = call.deadline_ms;

  Sink html(4u << 20);
  Sink error(4096);
  vitrine_render_result result{};
  result.struct_size = sizeof(result);
  result.html = &html.sink;
  result.error = &error.sink;
  out.status = plugin->instance->render(plugin->instance, &call, &req, &result);
  out.html = html.text;
  out.error = error.text;
  out.ttl_s = result.cache_ttl_s;
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void expect_golden(const std::string& name, const std::string& html) {
  const std::string path = std::string(GOLDEN_DIR) + "/" + name + ".html";
  // One element per line keeps golden diffs readable in review.
  std::string pretty;
  for (size_t i = 0; i < html.size(); ++i) {
    pretty += html[i];
    if (html[i] == '>' && i + 1 < html.size() && html[i + 1] == '<') pretty += '\n';
  }
  pretty += '\n';
  const char* update = std::getenv("VITRINE_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << pretty;
    return;
  }
  const std::string want = read_file(path);
  EXPECT_FALSE(want.empty()) << "golden file missing: " << path
                             << " (run with VITRINE_UPDATE_GOLDEN=1 to create it)";
  EXPECT_EQ(want, pretty) << "golden mismatch: " << path;
}

namespace {
uint32_t crc32(const std::string& data) {
  static uint32_t table[256];
  static std::once_flag once;
  std::call_once(once, [] {
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      table[n] = c;
    }
  });
  uint32_t c = 0xFFFFFFFFU;
  for (unsigned char b : data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

void be32(std::string& out, uint32_t v) {
  out += static_cast<char>(v >> 24);
  out += static_cast<char>(v >> 16);
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}

void chunk(std::string& png, const char* type, const std::string& data) {
  be32(png, static_cast<uint32_t>(data.size()));
  const std::string typed = std::string(type, 4) + data;
  png += typed;
  be32(png, crc32(typed));
}
}  // namespace

std::string make_png(uint32_t width, uint32_t height) {
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  be32(ihdr, width);
  be32(ihdr, height);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit greyscale
  chunk(png, "IHDR", ihdr);
  std::string raw;
  for (uint32_t y = 0; y < height; ++y) {
    raw += '\0';
    raw += std::string(width, static_cast<char>(y & 0xFF));
  }
  std::string z = "\x78\x01";
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(65535, raw.size() - pos);
    const bool last = pos + n == raw.size();
    z += static_cast<char>(last ? 1 : 0);
    z += static_cast<char>(n & 0xFF);
    z += static_cast<char>(n >> 8);
    z += static_cast<char>(~n & 0xFF);
    z += static_cast<char>((~n >> 8) & 0xFF);
    z += raw.substr(pos, n);
    pos += n;
  } while (pos < raw.size());
  uint32_t a = 1, b = 0;
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  be32(z, (b << 16) | a);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  return png;
}

}  // namespace vitrine::test
