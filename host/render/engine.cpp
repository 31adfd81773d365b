#include "render/engine.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>
#include <variant>

#include "blocking/blocking.h"
#include "log/log.h"
#include "render/hot_cache.h"
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
// plugin's own cache/1 keys can never read or overwrite rendered pages. The
// namespace is the plugin version's instance key (id, version, library and
// manifest digests): an upgrade or rollback never serves another artifact's
// output as its own.
std::string cache_namespace(const std::string& instance) { return "@render/" + instance; }

// Everything that changes the output, in a fixed order. The Grafana origin
// is part of it: links in a fragment point at the origin it was rendered
// for, so reconnecting a space to another Grafana starts afresh. So is the
// space's immutable id: a space deleted and created again under the same
// key starts afresh too (P6).
std::string cache_key(const MacroCall& c, const std::string& origin, const std::string& space_id) {
  std::string k = c.macro_key + '\n' + c.theme + '\n' + c.timezone + '\n' + c.time_from + '\n' +
                  c.time_to + '\n' + origin + '\n' + space_id;
  for (const auto& [name, value] : c.params) k += '\n' + name + '=' + value;
  return k;
}

// The in-memory key: space first (P6), then the namespace, then the same
// key the store uses. '\0' cannot occur in any part.
std::string hot_key(const MacroCall& c, const std::string& plugin, const std::string& key) {
  return c.space + '\0' + plugin + '\0' + key;
}

// After a background refresh fails, the next one for the same macro waits
// this long: a Grafana that is down is not asked again on every page view,
// and readers keep getting the last good content at once (P8).
constexpr int64_t kRefreshBackoffMs = 10'000;

// Parsed pages kept in memory, keyed by their Markdown: a page view parses
// its page once, not on every request. Bounded by total Markdown size.
constexpr std::size_t kParsedPagesMaxBytes = 32u << 20;

// Whole rendered pages are reused for at most this long even when all
// their content is still fresh, so that a change another process makes
// (the CLI disabling a plugin) shows as fast as on the per-macro path
// (runtime/space_states.h). Changes made by this process apply at once.
constexpr int64_t kPageReuseMaxMs = 1000;
constexpr std::size_t kPageCacheMaxBytes = 64u << 20;

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
  HotCache hot;
  std::mutex mu;
  std::map<std::string, std::shared_future<Rendered>> in_flight;  // single-flight
  std::set<std::string> refreshing;
  // Refresh backoff per hot key, with why the last attempt failed: readers
  // of stale content (and a static export, which has no later refresh) are
  // told the reason, not only that a refresh happened.
  struct RetryAfter {
    int64_t until_ms = 0;
    std::string reason;
  };
  std::map<std::string, RetryAfter> retry_after_ms;
  std::shared_mutex pages_mu;
  std::unordered_map<std::string, std::shared_ptr<const ParsedPage>> parsed_pages;
  std::size_t parsed_pages_bytes = 0;

  // Rendered pages whose every macro was fresh or cached content.
  struct PageEntry {
    std::shared_ptr<const PageOutcome> page;
    int64_t reusable_until_ms = 0;
    uint64_t store_changes = 0;  // Store::changes() when it was rendered
    std::size_t cost = 0;
  };
  std::shared_mutex rendered_mu;
  std::unordered_map<std::string, PageEntry> rendered_pages;
  std::size_t rendered_bytes = 0;

  // Series touched on every macro, looked up once.
  metrics::Counter& cache_hit;
  metrics::Counter& cache_stale;
  metrics::Counter& cache_miss;
  metrics::Counter& renders_cached;
  metrics::Counter& renders_stale;
  metrics::Counter& renders_fresh;
  metrics::Counter& renders_error;
  metrics::Counter& page_hit;
  metrics::Counter& page_miss;

  Impl(runtime::Runtime& r, EngineOptions o)
      : rt(r),
        opt(std::move(o)),
        pool(opt.threads),
        hot(opt.memory_cache_bytes),
        cache_hit(cache_counter("hit")),
        cache_stale(cache_counter("stale")),
        cache_miss(cache_counter("miss")),
        renders_cached(renders_counter(MacroState::cached)),
        renders_stale(renders_counter(MacroState::stale)),
        renders_fresh(renders_counter(MacroState::fresh)),
        renders_error(renders_counter(MacroState::error)),
        page_hit(page_counter("hit")),
        page_miss(page_counter("miss")) {}

  metrics::Counter& cache_counter(const char* result) {
    return rt.metrics().counter("vitrine_render_cache_total", "Render cache lookups",
                                {{"result", result}});
  }
  metrics::Counter& page_counter(const char* result) {
    return rt.metrics().counter("vitrine_page_cache_total",
                                "Page views answered whole from the page cache (hit) or not",
                                {{"result", result}});
  }
  metrics::Counter& renders_counter(MacroState state) {
    return rt.metrics().counter("vitrine_macro_renders_total", "Macro renders by outcome",
                                {{"state", to_string(state)}});
  }
  metrics::Counter& counter(const std::string& name, const std::string& help,
                            const metrics::Labels& labels) {
    return rt.metrics().counter(name, help, labels);
  }

  // Pages are parsed against the macro keys of the current plugin set (an
  // approved upgrade can add keys), so the set's generation is in the key.
  std::shared_ptr<const ParsedPage> parsed(std::string_view markdown) {
    auto set = rt.plugin_set();
    const std::string key = std::to_string(set->generation) + '\n' + std::string(markdown);
    {
      std::shared_lock lock(pages_mu);
      if (auto it = parsed_pages.find(key); it != parsed_pages.end()) return it->second;
    }
    auto page = std::make_shared<const ParsedPage>(parse_page(markdown, set->macro_keys));
    std::unique_lock lock(pages_mu);
    if (parsed_pages_bytes + key.size() > kParsedPagesMaxBytes) {
      parsed_pages.clear();
      parsed_pages_bytes = 0;
    }
    if (parsed_pages.emplace(key, page).second) parsed_pages_bytes += key.size();
    return page;
  }

  // What the checks before any lookup establish about one macro call.
  struct Resolved {
    runtime::MacroTarget target;
    std::string origin;
    std::string key;      // store cache key
    std::string hot_key;  // in-memory key (space first)
    bool gated = false;   // license-gated: every view re-checks (and audits) the license
  };

  // Plugin known, enabled in the space, licensed, space connected; or the
  // error box that says which of these failed.
  std::variant<Resolved, MacroOutcome> resolve(const MacroCall& call) {
    if (!call.preset_error.empty()) return outcome_error(call, "", call.preset_error, "page-macro");
    auto target = rt.find_macro(call.macro_key);
    if (!target) {
      // A plugin that is installed but cannot run (awaiting approval,
      // refused) says so and who must act; never a code block.
      auto set = rt.plugin_set();
      if (auto b = set->blocked.find(call.macro_key); b != set->blocked.end()) {
        return outcome_error(call, "", b->second.second, b->second.first);
      }
      return outcome_error(call, "",
                           "no running plugin provides macro '" + call.macro_key +
                               "'; check the macro name or ask a platform admin",
                           "macro-unknown");
    }
    const std::string& plugin = target->plugin->id;
    auto space = rt.space_state(call.space);
    if (space->enabled_plugins.count(plugin) == 0) {
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
    if (!space->origins) {
      return outcome_error(call, plugin,
                           "this space is not connected to Grafana; a space admin can connect "
                           "it in the space settings",
                           "space-not-connected");
    }
    Resolved r{*target, space->origins->grafana_origin, {}, {}, false};
    r.gated = target->macro->license_feature.has_value();
    r.key = cache_key(call, r.origin, space->space_id);
    r.hot_key = hot_key(call, target->instance, r.key);
    return r;
  }

  void remember(const std::string& key, const Rendered& r, int64_t fresh_until_ms,
                int64_t stale_until_ms) {
    auto e = std::make_shared<HotEntry>();
    e->html = r.html;
    e->as_of_ms = r.as_of_ms;
    e->fresh_until_ms = fresh_until_ms;
    e->stale_until_ms = stale_until_ms;
    hot.put(key, std::move(e));
  }

  // Calls the plugin and sanitizes what it wrote. Runs once per key at a
  // time: concurrent requests for the same macro wait for this one.
  Rendered render_now(const MacroCall& call, const Resolved& res) {
    const runtime::MacroTarget& target = res.target;
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
    in.grafana_base_url = res.origin;
    in.timeout_ms = opt.macro_deadline_ms;
    in.services = &rt;
    auto started = std::chrono::steady_clock::now();
    auto rendered = rt.runner().render(target.instance, in);
    rt.metrics()
        .histogram("vitrine_plugin_render_seconds", "Plugin render latency",
                   {{"plugin", target.plugin->id}})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (rendered.status != VITRINE_OK || rendered.html_truncated) {
      counter("vitrine_plugin_errors_total", "Plugin renders that failed",
              {{"plugin", target.plugin->id}, {"status", plugins::status_name(rendered.status)}})
          .inc();
      out.error = rendered.html_truncated ? "the plugin wrote more HTML than the host accepts"
                                          : rendered.error;
      out.rule = rendered.rule;
      return out;
    }
    SanitizeContext ctx;
    ctx.grafana_origin = res.origin;
    ctx.asset_prefix = opt.asset_url_prefix + call.space + "/";
    auto clean = sanitize(rendered.html, ctx);
    if (clean.removed_total > 0) {
      counter("vitrine_sanitizer_removals_total", "Elements or attributes removed from plugin HTML",
              {{"plugin", target.plugin->id}})
          .inc(static_cast<double>(clean.removed_total));
    }
    out.ok = true;
    out.html = std::move(clean.html);
    out.as_of_ms = now_ms();
    out.ttl_s = std::min(rendered.cache_ttl_s, opt.max_cache_ttl_s);
    if (out.ttl_s > 0) {
      (void)rt.store().cache().put(call.space, cache_namespace(target.instance), res.key,
                                   encode_entry(out), out.ttl_s, opt.stale_for_s);
      const int64_t fresh_until = out.as_of_ms + int64_t{out.ttl_s} * 1000;
      remember(res.hot_key, out, fresh_until, fresh_until + int64_t{opt.stale_for_s} * 1000);
    }
    return out;
  }

  std::shared_future<Rendered> render_shared(const MacroCall& call, const Resolved& res) {
    std::promise<Rendered> promise;
    std::shared_future<Rendered> fut;
    {
      std::lock_guard lock(mu);
      auto it = in_flight.find(res.hot_key);
      if (it != in_flight.end()) return it->second;
      fut = promise.get_future().share();
      in_flight[res.hot_key] = fut;
    }
    Rendered r;
    try {
      r = render_now(call, res);
    } catch (const std::exception& e) {
      r.error = std::string("host error while rendering: ") + e.what();
      r.rule = "render-internal";
    }
    const bool ok = r.ok;
    const Rendered failed = ok ? Rendered{} : r;
    promise.set_value(std::move(r));
    std::lock_guard lock(mu);
    in_flight.erase(res.hot_key);
    if (ok) {
      retry_after_ms.erase(res.hot_key);
    } else {
      // Bounded: a burst of distinct failing macros cannot grow it forever.
      if (retry_after_ms.size() >= 65536) retry_after_ms.clear();
      std::string reason = failed.error.empty() ? "the plugin gave no reason" : failed.error;
      if (!failed.rule.empty()) reason += " [" + failed.rule + "]";
      retry_after_ms[res.hot_key] = RetryAfter{now_ms() + kRefreshBackoffMs, std::move(reason)};
    }
    return fut;
  }

  // Starts a refresh unless one is running or the last one failed less
  // than kRefreshBackoffMs ago. Returns the reader-facing reason.
  std::string refresh_in_background(const MacroCall& call, const Resolved& res) {
    {
      std::lock_guard lock(mu);
      if (auto it = retry_after_ms.find(res.hot_key);
          it != retry_after_ms.end() && now_ms() < it->second.until_ms) {
        return "the last refresh failed: " + it->second.reason;
      }
      if (!refreshing.insert(res.hot_key).second) return "a refresh is under way";
    }
    pool.submit([this, call, res] {
      render_shared(call, res).wait();
      std::lock_guard lock(mu);
      refreshing.erase(res.hot_key);
    });
    return "a refresh is under way";
  }

  MacroOutcome outcome_error(const MacroCall& call, const std::string& plugin,
                             const std::string& message, const std::string& rule) {
    renders_error.inc();
    MacroOutcome o;
    o.state = MacroState::error;
    o.plugin_id = plugin;
    o.error = message;
    o.rule = rule;
    o.html = wrap_error(call.macro_key, message, rule);
    return o;
  }

  MacroOutcome outcome_content(const MacroCall& call, const std::string& plugin,
                               const std::string& html, int64_t as_of_ms, MacroState state,
                               const std::string& why, int64_t fresh_until_ms = 0) {
    switch (state) {
      case MacroState::cached:
        renders_cached.inc();
        break;
      case MacroState::stale:
        renders_stale.inc();
        break;
      default:
        renders_fresh.inc();
    }
    MacroOutcome o;
    o.state = state;
    o.plugin_id = plugin;
    o.as_of_ms = as_of_ms;
    o.reusable_until_ms = state == MacroState::stale ? 0 : fresh_until_ms;
    o.html = wrap_content(call.macro_key, html, as_of_ms, state == MacroState::stale, why);
    return o;
  }

  // The in-memory answer, if there is one: fresh as is, stale with a
  // background refresh. Never blocks on the store or a plugin.
  std::optional<MacroOutcome> from_memory(const MacroCall& call, const Resolved& res) {
    auto e = hot.get(res.hot_key, now_ms());
    if (!e) return std::nullopt;
    const std::string& plugin = res.target.plugin->id;
    if (now_ms() < e->fresh_until_ms) {
      cache_hit.inc();
      return outcome_content(call, plugin, e->html, e->as_of_ms, MacroState::cached, "",
                             res.gated ? 0 : e->fresh_until_ms);
    }
    cache_stale.inc();
    const std::string why = refresh_in_background(call, res);
    return outcome_content(call, plugin, e->html, e->as_of_ms, MacroState::stale, why);
  }

  // The full path: memory, then the store, then the plugin.
  MacroOutcome render_resolved(const MacroCall& call, const Resolved& res) {
    if (auto o = from_memory(call, res)) return std::move(*o);
    const std::string& plugin = res.target.plugin->id;
    // The store: content rendered before a restart, or by another process.
    Rendered cached;
    auto hit = rt.store().cache().get(call.space, cache_namespace(res.target.instance), res.key);
    if (hit && decode_entry(hit->value.view(), cached)) {
      remember(res.hot_key, cached, hit->fresh_until_ms, hit->stale_until_ms);
      if (!hit->stale) {
        cache_hit.inc();
        return outcome_content(call, plugin, cached.html, cached.as_of_ms, MacroState::cached, "",
                               res.gated ? 0 : hit->fresh_until_ms);
      }
      cache_stale.inc();
      const std::string why = refresh_in_background(call, res);
      return outcome_content(call, plugin, cached.html, cached.as_of_ms, MacroState::stale, why);
    }
    cache_miss.inc();
    blocking::about_to_block();
    return outcome_of(call, res, render_shared(call, res).get());
  }

  MacroOutcome outcome_of(const MacroCall& call, const Resolved& res, const Rendered& r) {
    const std::string& plugin = res.target.plugin->id;
    if (r.ok) {
      const int64_t fresh_until = r.ttl_s > 0 ? r.as_of_ms + int64_t{r.ttl_s} * 1000 : 0;
      return outcome_content(call, plugin, r.html, r.as_of_ms, MacroState::fresh, "",
                             res.gated ? 0 : fresh_until);
    }
    return outcome_error(call, plugin, r.error, r.rule);
  }

  // The render another request is already running for this macro, if any.
  std::optional<std::shared_future<Rendered>> in_flight_for(const Resolved& res) {
    std::lock_guard lock(mu);
    auto it = in_flight.find(res.hot_key);
    if (it == in_flight.end()) return std::nullopt;
    return it->second;
  }

  MacroOutcome render_macro(const MacroCall& call) {
    auto resolved = resolve(call);
    if (auto* o = std::get_if<MacroOutcome>(&resolved)) return std::move(*o);
    return render_resolved(call, std::get<Resolved>(resolved));
  }
};

EngineOptions EngineOptions::from(const config::Config& config) {
  EngineOptions o;
  o.threads = config.render_threads;
  o.macro_deadline_ms = config.macro_deadline_ms;
  o.stale_for_s = config.stale_for_s;
  o.max_cache_ttl_s = config.max_cache_ttl_s;
  o.memory_cache_bytes = static_cast<std::size_t>(config.memory_cache_mb) << 20;
  return o;
}

Engine::Engine(runtime::Runtime& runtime, EngineOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(options))) {}

Engine::~Engine() { impl_->pool.wait_idle(); }

void Engine::drain() { impl_->pool.wait_idle(); }

MacroOutcome Engine::render_macro(const MacroCall& call) { return impl_->render_macro(call); }

std::shared_ptr<const PageOutcome> Engine::render_page(const std::string& space,
                                                       const std::string& page_id,
                                                       std::string_view markdown,
                                                       const MacroCall& defaults) {
  Impl& im = *impl_;
  // The page cache: everything the output depends on is in the key, and an
  // entry is reused only while every macro's content is still fresh, the
  // store has not changed (plugin disabled, space reconnected...) and it
  // is younger than kPageReuseMaxMs.
  std::string key = space + '\0' + page_id + '\0' + defaults.theme + '\0' + defaults.timezone +
                    '\0' + defaults.time_from + '\0' + defaults.time_to + '\0';
  key.append(markdown);
  const uint64_t changes = im.rt.store().changes();
  const int64_t started_ms = now_ms();
  {
    std::shared_lock lock(im.rendered_mu);
    auto it = im.rendered_pages.find(key);
    if (it != im.rendered_pages.end() && it->second.store_changes == changes &&
        started_ms < it->second.reusable_until_ms) {
      im.page_hit.inc();
      return it->second.page;
    }
  }
  im.page_miss.inc();

  auto parsed = im.parsed(markdown);
  auto out = std::make_shared<PageOutcome>();
  out->title = parsed->title.value_or(page_id);
  out->macros.resize(parsed->macros.size());
  // Macros whose content is in memory are answered on this thread; the
  // rest render in parallel on the pool, and the page waits for all of
  // them (each bounded by the macro deadline, so the page is too).
  std::vector<std::future<void>> done;
  struct Joined {
    size_t index;
    MacroCall call;
    Impl::Resolved res;
    std::shared_future<Rendered> running;
  };
  std::vector<Joined> joined;
  for (size_t i = 0; i < parsed->macros.size(); ++i) {
    const MacroInvocation& m = parsed->macros[i];
    MacroCall call = defaults;
    call.space = space;
    call.page_id = page_id;
    call.macro_key = m.key;
    call.params = m.params;
    if (m.error) call.preset_error = m.error->text();
    auto resolved = im.resolve(call);
    if (auto* o = std::get_if<MacroOutcome>(&resolved)) {
      out->macros[i] = std::move(*o);
      continue;
    }
    auto& res = std::get<Impl::Resolved>(resolved);
    if (auto o = im.from_memory(call, res)) {
      out->macros[i] = std::move(*o);
      continue;
    }
    // Already rendering for another view: wait for it on this thread. A
    // pool thread that only waits would keep the pool from starting the
    // renders that do the work (and from overlapping identical upstream
    // GETs of different macros, which the runtime coalesces only while
    // both are in flight).
    if (auto running = im.in_flight_for(res)) {
      joined.push_back({i, std::move(call), std::move(res), std::move(*running)});
      continue;
    }
    PageOutcome* target = out.get();
    auto task = std::make_shared<std::packaged_task<void()>>(
        [&im, call = std::move(call), res = std::move(res), i, target] {
          target->macros[i] = im.render_resolved(call, res);
        });
    done.push_back(task->get_future());
    im.pool.submit([task] { (*task)(); });
  }
  // The rest waits for plugins: let the HTTP front end move this thread's
  // other ready connections elsewhere first (blocking.h).
  if (!joined.empty() || !done.empty()) blocking::about_to_block();
  for (auto& j : joined) {
    im.cache_miss.inc();
    out->macros[j.index] = im.outcome_of(j.call, j.res, j.running.get());
  }
  for (auto& f : done) f.wait();
  std::vector<std::string_view> html;
  html.reserve(out->macros.size());
  int64_t reusable_until = started_ms + kPageReuseMaxMs;
  for (const auto& m : out->macros) {
    html.push_back(m.html);
    reusable_until = std::min(reusable_until, m.reusable_until_ms);
  }
  out->body_html = assemble(*parsed, html);

  if (reusable_until > started_ms) {
    // Later views get this content from the cache, so they say so.
    std::shared_ptr<const PageOutcome> reused = out;
    if (std::any_of(out->macros.begin(), out->macros.end(),
                    [](const MacroOutcome& m) { return m.state == MacroState::fresh; })) {
      auto copy = std::make_shared<PageOutcome>(*out);
      for (auto& m : copy->macros) {
        if (m.state == MacroState::fresh) m.state = MacroState::cached;
      }
      reused = std::move(copy);
    }
    std::size_t cost = key.size() + out->body_html.size();
    for (const auto& m : out->macros) cost += m.html.size();
    std::unique_lock lock(im.rendered_mu);
    if (im.rendered_bytes + cost > kPageCacheMaxBytes) {
      im.rendered_pages.clear();
      im.rendered_bytes = 0;
    }
    auto [it, inserted] = im.rendered_pages.try_emplace(std::move(key));
    if (!inserted) im.rendered_bytes -= it->second.cost;
    it->second = Impl::PageEntry{std::move(reused), reusable_until, changes, cost};
    im.rendered_bytes += cost;
  }
  return out;
}

}  // namespace vitrine::render
