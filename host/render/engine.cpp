#include "render/engine.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>

#include "log/log.h"
#include "render/page.h"
#include "render/sanitizer.h"
#include "render/thread_pool.h"
#include "render/wrap.h"
#include "runtime/runtime.h"

namespace vitrine::render {
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The render cache lives in the store's per-(space, plugin) cache under a
// namespace no plugin id can take ('@' is not allowed in plugin ids), so a
// plugin's own cache/1 keys can never read or overwrite rendered pages.
std::string cache_namespace(const std::string& plugin_id) { return "@render/" + plugin_id; }

// Everything that changes the output, in a fixed order.
std::string cache_key(const MacroCall& c) {
  std::string k =
      c.macro_key + '\n' + c.theme + '\n' + c.timezone + '\n' + c.time_from + '\n' + c.time_to;
  for (const auto& [name, value] : c.params) k += '\n' + name + '=' + value;
  return k;
}

struct Rendered {
  bool ok = false;
  std::string html;  // sanitized fragment (unwrapped)
  int64_t as_of_ms = 0;
  uint32_t ttl_s = 0;
  std::string error, rule;
};

std::string encode_entry(const Rendered& r) { return std::to_string(r.as_of_ms) + '\n' + r.html; }

bool decode_entry(std::string_view v, Rendered& r) {
  auto nl = v.find('\n');
  if (nl == std::string_view::npos) return false;
  try {
    r.as_of_ms = std::stoll(std::string(v.substr(0, nl)));
  } catch (const std::exception&) {
    return false;
  }
  r.html = std::string(v.substr(nl + 1));
  r.ok = true;
  return true;
}

}  // namespace

const char* to_string(MacroState s) {
  switch (s) {
    case MacroState::fresh:
      return "fresh";
    case MacroState::cached:
      return "cached";
    case MacroState::stale:
      return "stale";
    case MacroState::error:
      return "error";
  }
  return "error";
}

struct Engine::Impl {
  runtime::Runtime& rt;
  EngineOptions opt;
  ThreadPool pool;
  std::mutex mu;
  std::map<std::string, std::shared_future<Rendered>> in_flight;  // single-flight
  std::set<std::string> refreshing;

  Impl(runtime::Runtime& r, EngineOptions o) : rt(r), opt(std::move(o)), pool(opt.threads) {}

  metrics::Counter& counter(const std::string& name, const std::string& help,
                            const metrics::Labels& labels) {
    return rt.metrics().counter(name, help, labels);
  }

  // Calls the plugin and sanitizes what it wrote. Runs once per key at a
  // time: concurrent requests for the same macro wait for this one.
  Rendered render_now(const MacroCall& call, const runtime::MacroTarget& target,
                      const std::string& origin) {
    Rendered out;
    plugins::RenderInput in;
    in.macro_key = call.macro_key;
    in.params = call.params;
    in.space_key = call.space;
    in.page_id = call.page_id;
    in.theme = call.theme;
    in.timezone = call.timezone;
    in.time_from = call.time_from;
    in.time_to = call.time_to;
    in.grafana_base_url = origin;
    in.timeout_ms = opt.macro_deadline_ms;
    in.services = &rt;
    auto started = std::chrono::steady_clock::now();
    auto res = rt.runner().render(target.plugin->id, in);
    rt.metrics()
        .histogram("vitrine_plugin_render_seconds", "Plugin render latency",
                   {{"plugin", target.plugin->id}})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (res.status != VITRINE_OK || res.html_truncated) {
      counter("vitrine_plugin_errors_total", "Plugin renders that failed",
              {{"plugin", target.plugin->id}, {"status", plugins::status_name(res.status)}})
          .inc();
      out.error =
          res.html_truncated ? "the plugin wrote more HTML than the host accepts" : res.error;
      out.rule = res.rule;
      return out;
    }
    SanitizeContext ctx;
    ctx.grafana_origin = origin;
    ctx.asset_prefix = opt.asset_url_prefix + call.space + "/";
    auto clean = sanitize(res.html, ctx);
    if (clean.removed_total > 0) {
      counter("vitrine_sanitizer_removals_total", "Elements or attributes removed from plugin HTML",
              {{"plugin", target.plugin->id}})
          .inc(static_cast<double>(clean.removed_total));
    }
    out.ok = true;
    out.html = std::move(clean.html);
    out.as_of_ms = now_ms();
    out.ttl_s = std::min(res.cache_ttl_s, opt.max_cache_ttl_s);
    if (out.ttl_s > 0) {
      (void)rt.store().cache().put(call.space, cache_namespace(target.plugin->id), cache_key(call),
                                   encode_entry(out), out.ttl_s, opt.stale_for_s);
    }
    return out;
  }

  std::shared_future<Rendered> render_shared(const MacroCall& call,
                                             const runtime::MacroTarget& target,
                                             const std::string& origin, bool& leader) {
    const std::string key = call.space + '\0' + cache_key(call);
    std::promise<Rendered> promise;
    std::shared_future<Rendered> fut;
    {
      std::lock_guard lock(mu);
      auto it = in_flight.find(key);
      if (it != in_flight.end()) {
        leader = false;
        return it->second;
      }
      leader = true;
      fut = promise.get_future().share();
      in_flight[key] = fut;
    }
    Rendered r;
    try {
      r = render_now(call, target, origin);
    } catch (const std::exception& e) {
      r.error = std::string("host error while rendering: ") + e.what();
      r.rule = "render-internal";
    }
    promise.set_value(std::move(r));
    std::lock_guard lock(mu);
    in_flight.erase(key);
    return fut;
  }

  void refresh_in_background(MacroCall call, runtime::MacroTarget target, std::string origin) {
    const std::string key = call.space + '\0' + cache_key(call);
    {
      std::lock_guard lock(mu);
      if (!refreshing.insert(key).second) return;
    }
    pool.submit([this, call = std::move(call), target, origin, key] {
      bool leader = false;
      render_shared(call, target, origin, leader).wait();
      std::lock_guard lock(mu);
      refreshing.erase(key);
    });
  }

  MacroOutcome outcome_error(const MacroCall& call, const std::string& plugin,
                             const std::string& message, const std::string& rule) {
    counter("vitrine_macro_renders_total", "Macro renders by outcome", {{"state", "error"}}).inc();
    MacroOutcome o;
    o.state = MacroState::error;
    o.plugin_id = plugin;
    o.error = message;
    o.rule = rule;
    o.html = wrap_error(call.macro_key, message, rule);
    return o;
  }

  MacroOutcome outcome_content(const MacroCall& call, const std::string& plugin, const Rendered& r,
                               MacroState state, const std::string& why) {
    counter("vitrine_macro_renders_total", "Macro renders by outcome",
            {{"state", to_string(state)}})
        .inc();
    MacroOutcome o;
    o.state = state;
    o.plugin_id = plugin;
    o.as_of_ms = r.as_of_ms;
    o.html = wrap_content(call.macro_key, r.html, r.as_of_ms, state == MacroState::stale, why);
    return o;
  }

  MacroOutcome render_macro(const MacroCall& call) {
    if (!call.preset_error.empty()) return outcome_error(call, "", call.preset_error, "page-macro");
    auto target = rt.find_macro(call.macro_key);
    if (!target) {
      return outcome_error(call, "",
                           "no running plugin provides macro '" + call.macro_key +
                               "'; check the macro name or ask a platform admin",
                           "macro-unknown");
    }
    const std::string& plugin = target->plugin->id;
    if (!rt.enabled_in(call.space, plugin)) {
      return outcome_error(call, plugin,
                           "plugin '" + plugin +
                               "' is not enabled in this space; a space admin "
                               "can enable it in the space settings",
                           "plugin-not-enabled");
    }
    if (target->macro->license_feature) {
      auto d = rt.license().check(call.space, *target->macro->license_feature, now_ms() / 1000);
      if (!d.licensed)
        return outcome_error(call, plugin, "not licensed: " + d.reason, "not-licensed");
    }
    auto origins = rt.store().spaces().origins(call.space);
    if (!origins || origins->grafana_origin.empty()) {
      return outcome_error(call, plugin,
                           "this space is not connected to Grafana; a space admin can connect "
                           "it in the space settings",
                           "space-not-connected");
    }
    const std::string origin = origins->grafana_origin;

    // Cache: fresh is served as is; stale is served at once and refreshed
    // in the background; a miss renders now.
    Rendered cached;
    bool have_cached = false, cached_stale = false;
    auto hit = rt.store().cache().get(call.space, cache_namespace(plugin), cache_key(call));
    if (hit && decode_entry(hit->value.view(), cached)) {
      have_cached = true;
      cached_stale = hit->stale;
    }
    if (have_cached && !cached_stale) {
      counter("vitrine_render_cache_total", "Render cache lookups", {{"result", "hit"}}).inc();
      return outcome_content(call, plugin, cached, MacroState::cached, "");
    }
    if (have_cached) {
      counter("vitrine_render_cache_total", "Render cache lookups", {{"result", "stale"}}).inc();
      refresh_in_background(call, *target, origin);
      return outcome_content(call, plugin, cached, MacroState::stale, "a refresh is under way");
    }
    counter("vitrine_render_cache_total", "Render cache lookups", {{"result", "miss"}}).inc();
    bool leader = false;
    Rendered r = render_shared(call, *target, origin, leader).get();
    if (r.ok) return outcome_content(call, plugin, r, MacroState::fresh, "");
    return outcome_error(call, plugin, r.error, r.rule);
  }
};

EngineOptions EngineOptions::from(const config::Config& config) {
  EngineOptions o;
  o.threads = config.render_threads;
  o.macro_deadline_ms = config.macro_deadline_ms;
  o.stale_for_s = config.stale_for_s;
  o.max_cache_ttl_s = config.max_cache_ttl_s;
  return o;
}

Engine::Engine(runtime::Runtime& runtime, EngineOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(options))) {}

Engine::~Engine() { impl_->pool.wait_idle(); }

void Engine::drain() { impl_->pool.wait_idle(); }

MacroOutcome Engine::render_macro(const MacroCall& call) { return impl_->render_macro(call); }

PageOutcome Engine::render_page(const std::string& space, const std::string& page_id,
                                std::string_view markdown, const MacroCall& defaults) {
  std::set<std::string> keys;
  for (const auto& p : impl_->rt.plugins()) {
    if (!p.running) continue;
    for (const auto& m : p.manifest.macros) keys.insert(m.key);
  }
  ParsedPage page = parse_page(markdown, keys);
  PageOutcome out;
  out.title = page.title.value_or(page_id);
  out.macros.resize(page.macros.size());
  // Macros render in parallel; the page waits for all of them (each bounded
  // by the macro deadline, so the page is too).
  std::vector<std::future<void>> done;
  for (size_t i = 0; i < page.macros.size(); ++i) {
    MacroCall call = defaults;
    call.space = space;
    call.page_id = page_id;
    call.macro_key = page.macros[i].key;
    call.params = page.macros[i].params;
    if (page.macros[i].error) call.preset_error = page.macros[i].error->text();
    auto task = std::make_shared<std::packaged_task<void()>>(
        [this, call = std::move(call), i, &out] { out.macros[i] = impl_->render_macro(call); });
    done.push_back(task->get_future());
    impl_->pool.submit([task] { (*task)(); });
  }
  for (auto& f : done) f.wait();
  std::vector<std::string> html;
  for (const auto& m : out.macros) html.push_back(m.html);
  out.body_html = assemble(page, html);
  return out;
}

}  // namespace vitrine::render
