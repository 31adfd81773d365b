#include "render/engine.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <variant>

#include "blocking/blocking.h"
#include "log/log.h"
#include "render/hot_cache.h"
#include "render/page.h"
#include "render/render_scheduler.h"
#include "render/sanitizer.h"
#include "render/wrap.h"
#include "runtime/runtime.h"
#include "store/render_lease.h"

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

// How often a page view waiting for renders looks at its cancellation
// (the client hung up, the server is stopping). Waiting itself is on the
// renders' futures; this only bounds how late a cancellation is noticed.
constexpr auto kCancelPoll = std::chrono::milliseconds(50);

using SteadyClock = std::chrono::steady_clock;

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
  RenderScheduler scheduler;
  HotCache hot;
  // Single-flight across hosts sharing the database (store/render_lease.h).
  store::RenderLeases leases;
  // One render in flight per hot key (single-flight). Page views and the
  // render API join it as waiters; a background refresh joins as one that
  // never leaves. A queued render nobody waits for any more, or whose every
  // waiter's deadline has passed, is dropped when its turn comes instead of
  // running (the client went away, the page answered without it).
  struct Flight {
    std::promise<Rendered> promise;
    std::shared_future<Rendered> result;
    int waiters = 0;                   // under mu
    SteadyClock::time_point deadline;  // under mu: the latest of its waiters'
  };
  std::mutex mu;
  std::map<std::string, std::shared_ptr<Flight>> in_flight;
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
  // A license-gated macro on a cached page: the license is asked again
  // (and the decision audited) on every view the cache answers.
  struct Gate {
    std::string feature, plugin;
  };
  struct PageEntry {
    std::shared_ptr<const PageOutcome> page;
    std::shared_ptr<const std::vector<Gate>> gates;
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
  metrics::Histogram& queue_wait;

  Impl(runtime::Runtime& r, EngineOptions o)
      : rt(r),
        opt(std::move(o)),
        scheduler(SchedulerLimits{opt.threads, lane_limit(opt.per_space, opt.threads),
                                  lane_limit(opt.per_origin, opt.threads), opt.max_queued}),
        hot(opt.memory_cache_bytes),
        leases(rt.store().context(), store::RenderLeaseOptions{int64_t{opt.lease_s} * 1000, 50}),
        cache_hit(cache_counter("hit")),
        cache_stale(cache_counter("stale")),
        cache_miss(cache_counter("miss")),
        renders_cached(renders_counter(MacroState::cached)),
        renders_stale(renders_counter(MacroState::stale)),
        renders_fresh(renders_counter(MacroState::fresh)),
        renders_error(renders_counter(MacroState::error)),
        page_hit(page_counter("hit")),
        page_miss(page_counter("miss")),
        queue_wait(rt.metrics().histogram("vitrine_render_queue_seconds",
                                          "Time a macro render waited for a render thread")) {}

  static int lane_limit(int configured, int threads) {
    return configured > 0 ? configured : std::max(1, threads * 3 / 4);
  }

  // A render that did not run, and why (counted by reason).
  void count_dropped(const char* reason) {
    counter("vitrine_render_dropped_total",
            "Macro renders not run: deadline passed in the queue, nobody waiting, queue full, "
            "server stopping",
            {{"reason", reason}})
        .inc();
  }
  Rendered dropped(const char* reason, std::string message, std::string rule) {
    count_dropped(reason);
    Rendered r;
    r.error = std::move(message);
    r.rule = std::move(rule);
    return r;
  }

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
    // The license feature of a gated macro (empty: not gated): every view
    // re-checks (and audits) the license, from the page cache too.
    std::string feature;
  };

  // Plugin development mode (EngineOptions::development_plugins).
  bool in_development(const Resolved& res) const {
    return !opt.development_plugins.empty() &&
           std::find(opt.development_plugins.begin(), opt.development_plugins.end(),
                     res.target.plugin->id) != opt.development_plugins.end();
  }

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
      auto d =
          rt.license().check(call.space, *target->macro->license_feature, now_ms() / 1000, plugin);
      if (!d.licensed)
        return outcome_error(call, plugin, "not licensed: " + d.reason, "not-licensed");
    }
    if (!space->origins) {
      return outcome_error(call, plugin,
                           "this space is not connected to Grafana; a space admin can connect "
                           "it in the space settings",
                           "space-not-connected");
    }
    Resolved r{*target, space->origins->grafana_origin, {}, {}, {}};
    if (target->macro->license_feature) r.feature = *target->macro->license_feature;
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
  Rendered render_now(const MacroCall& call, const Resolved& res,
                      SteadyClock::time_point deadline) {
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
    // What is left of the view's deadline: time spent in the queue counts.
    in.timeout_ms = static_cast<int>(std::clamp<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
            .count(),
        1, opt.macro_deadline_ms));
    in.services = &rt;
    // "Refresh all", warming and development mode ask Grafana, not a
    // response another macro received a moment ago; a background refresh
    // takes nothing older than the content it replaces (single_flight.h
    // UF-9).
    if (in_development(res)) {
      in.upstream_from_ms = now_ms();
    } else if (call.bypass_cache) {
      in.upstream_from_ms = call.upstream_from_ms > 0 ? call.upstream_from_ms : now_ms();
    } else {
      in.upstream_from_ms = call.upstream_from_ms;
    }
    // Another host sharing the database may be rendering this entry right
    // now: wait for its result instead of asking Grafana again (RL-1..RL-5).
    std::optional<LeaseGuard> lease;
    if (!in_development(res)) {
      const std::string ns = cache_namespace(target.instance);
      // "Refresh all" wants content newer than its request, not any fresh row.
      const int64_t newer_than = call.bypass_cache ? now_ms() : 0;
      switch (leases.claim(call.space, ns, res.key, deadline,
                           [&] { return filled_elsewhere(call, res, newer_than, out); })) {
        case store::RenderLeases::Claim::filled:
          return out;
        case store::RenderLeases::Claim::timed_out:
          out.error =
              "another host is rendering this macro and did not finish within the page's "
              "deadline; reload in a moment";
          out.rule = "render-lease-wait";
          return out;
        case store::RenderLeases::Claim::render:
          lease.emplace(leases, call.space, ns, res.key);
          break;
      }
    }
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
    // Development mode: nothing is kept, so the next view renders again and
    // its page (fresh_until 0) is never reused from the page cache either.
    if (in_development(res)) out.ttl_s = 0;
    if (out.ttl_s > 0) {
      (void)rt.store().cache().put(call.space, cache_namespace(target.instance), res.key,
                                   encode_entry(out), out.ttl_s, opt.stale_for_s);
      const int64_t fresh_until = out.as_of_ms + int64_t{out.ttl_s} * 1000;
      remember(res.hot_key, out, fresh_until, fresh_until + int64_t{opt.stale_for_s} * 1000);
    }
    return out;
  }

  // RL-3: the lease goes when render_now returns, after the cache is filled
  // or the render failed.
  struct LeaseGuard {
    store::RenderLeases& leases;
    std::string space, ns, key;
    LeaseGuard(store::RenderLeases& l, std::string s, std::string n, std::string k)
        : leases(l), space(std::move(s)), ns(std::move(n)), key(std::move(k)) {}
    LeaseGuard(const LeaseGuard&) = delete;
    LeaseGuard& operator=(const LeaseGuard&) = delete;
    ~LeaseGuard() { leases.release(space, ns, key); }
  };

  // While another host holds the lease: true, with `out` set, once the
  // store's cache has fresh content for this macro (that host's render),
  // fetched at or after `newer_than_ms`.
  bool filled_elsewhere(const MacroCall& call, const Resolved& res, int64_t newer_than_ms,
                        Rendered& out) {
    auto hit = rt.store().cache().get(call.space, cache_namespace(res.target.instance), res.key);
    if (!hit || hit->stale || hit->fetched_at_ms < newer_than_ms) return false;
    Rendered cached;
    if (!decode_entry(hit->value.view(), cached)) return false;
    cached.ttl_s =
        static_cast<uint32_t>(std::max<int64_t>(1, (hit->fresh_until_ms - cached.as_of_ms) / 1000));
    remember(res.hot_key, cached, hit->fresh_until_ms, hit->stale_until_ms);
    out = std::move(cached);
    return true;
  }

  // Joins the render in flight for this macro, or starts one. The caller
  // becomes a waiter and must leave() when it stops waiting; a background
  // refresh never leaves, so its render runs whatever happens to readers.
  std::shared_ptr<Flight> join(const MacroCall& call, const Resolved& res,
                               SteadyClock::time_point deadline) {
    std::shared_ptr<Flight> f;
    {
      std::lock_guard lock(mu);
      if (auto it = in_flight.find(res.hot_key); it != in_flight.end()) {
        f = it->second;
        ++f->waiters;
        f->deadline = std::max(f->deadline, deadline);
        return f;
      }
      f = std::make_shared<Flight>();
      f->result = f->promise.get_future().share();
      f->waiters = 1;
      f->deadline = deadline;
      in_flight[res.hot_key] = f;
    }
    const auto queued_at = SteadyClock::now();
    RenderJob job{
        call.space, res.origin, [this, call, res, f, queued_at](JobStart start) {
          queue_wait.observe(std::chrono::duration<double>(SteadyClock::now() - queued_at).count());
          run_flight(call, res, f, start);
        }};
    if (!scheduler.submit(std::move(job))) {
      end_flight(res.hot_key, f,
                 dropped("busy",
                         "the server is busy: " + std::to_string(opt.max_queued) +
                             " renders are already waiting; reload in a moment",
                         "render-busy"),
                 false);
    }
    return f;
  }

  void leave(const std::shared_ptr<Flight>& f) {
    std::lock_guard lock(mu);
    --f->waiters;
  }

  // On a scheduler thread: run the render unless nobody wants it any more.
  void run_flight(const MacroCall& call, const Resolved& res, const std::shared_ptr<Flight>& f,
                  JobStart start) {
    SteadyClock::time_point deadline;
    std::optional<Rendered> drop;
    {
      std::lock_guard lock(mu);
      deadline = f->deadline;
      if (start == JobStart::stopping) {
        drop = dropped("stopping", "the server is stopping", "server-stopping");
      } else if (f->waiters == 0) {
        drop = dropped("abandoned", "nobody waits for this render any more", "render-abandoned");
      } else if (SteadyClock::now() >= deadline) {
        drop = dropped("deadline", "the render waited in the queue past the page's deadline",
                       "macro-deadline");
      }
    }
    if (drop) {
      end_flight(res.hot_key, f, std::move(*drop), false);
      return;
    }
    Rendered r;
    try {
      r = render_now(call, res, deadline);
    } catch (const std::exception& e) {
      r.error = std::string("host error while rendering: ") + e.what();
      r.rule = "render-internal";
    }
    end_flight(res.hot_key, f, std::move(r), true);
  }

  // Publishes the result to every waiter and ends the flight. A render that
  // ran and failed puts the macro into refresh backoff; one that never ran
  // (dropped) does not: its readers saw no answer from Grafana at all.
  void end_flight(const std::string& hot_key, const std::shared_ptr<Flight>& f, Rendered r,
                  bool ran) {
    const bool ok = r.ok;
    std::string reason;
    if (!ok && ran) {
      reason = r.error.empty() ? "the plugin gave no reason" : r.error;
      if (!r.rule.empty()) reason += " [" + r.rule + "]";
    }
    {
      std::lock_guard lock(mu);
      if (auto it = in_flight.find(hot_key); it != in_flight.end() && it->second == f) {
        in_flight.erase(it);
      }
      if (ok) {
        retry_after_ms.erase(hot_key);
      } else if (ran) {
        // Bounded: a burst of distinct failing macros cannot grow it forever.
        if (retry_after_ms.size() >= 65536) retry_after_ms.clear();
        retry_after_ms[hot_key] = RetryAfter{now_ms() + kRefreshBackoffMs, std::move(reason)};
      }
    }
    f->promise.set_value(std::move(r));
  }

  // Starts a refresh unless one is running or the last one failed less
  // than kRefreshBackoffMs ago. Returns the reader-facing reason.
  std::string refresh_in_background(const MacroCall& stale_call, const Resolved& res,
                                    int64_t stale_as_of_ms) {
    {
      std::lock_guard lock(mu);
      if (auto it = retry_after_ms.find(res.hot_key);
          it != retry_after_ms.end() && now_ms() < it->second.until_ms) {
        return "the last refresh failed: " + it->second.reason;
      }
      if (in_flight.count(res.hot_key) != 0) return "a refresh is under way";
    }
    MacroCall call = stale_call;
    call.upstream_from_ms = stale_as_of_ms;
    join(call, res, SteadyClock::now() + std::chrono::milliseconds(opt.macro_deadline_ms));
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
                               const std::string& why, int64_t fresh_until_ms = 0,
                               const std::string& license_feature = {}) {
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
    o.license_feature = license_feature;
    o.html = wrap_content(call.macro_key, html, as_of_ms, state == MacroState::stale, why);
    return o;
  }

  // The in-memory answer, if there is one: fresh as is, stale with a
  // background refresh. Never blocks on the store or a plugin.
  std::optional<MacroOutcome> from_memory(const MacroCall& call, const Resolved& res) {
    if (in_development(res) || call.bypass_cache) return std::nullopt;
    auto e = hot.get(res.hot_key, now_ms());
    if (!e) return std::nullopt;
    const std::string& plugin = res.target.plugin->id;
    if (now_ms() < e->fresh_until_ms) {
      cache_hit.inc();
      return outcome_content(call, plugin, e->html, e->as_of_ms, MacroState::cached, "",
                             e->fresh_until_ms, res.feature);
    }
    cache_stale.inc();
    const std::string why = refresh_in_background(call, res, e->as_of_ms);
    return outcome_content(call, plugin, e->html, e->as_of_ms, MacroState::stale, why);
  }

  // Content another process (or this one, before a restart) rendered: the
  // store's encrypted cache. Fresh as is, stale with a background refresh.
  std::optional<MacroOutcome> from_store(const MacroCall& call, const Resolved& res) {
    if (in_development(res) || call.bypass_cache) return std::nullopt;
    Rendered cached;
    auto hit = rt.store().cache().get(call.space, cache_namespace(res.target.instance), res.key);
    if (!hit || !decode_entry(hit->value.view(), cached)) return std::nullopt;
    const std::string& plugin = res.target.plugin->id;
    remember(res.hot_key, cached, hit->fresh_until_ms, hit->stale_until_ms);
    if (!hit->stale) {
      cache_hit.inc();
      return outcome_content(call, plugin, cached.html, cached.as_of_ms, MacroState::cached, "",
                             hit->fresh_until_ms, res.feature);
    }
    cache_stale.inc();
    const std::string why = refresh_in_background(call, res, cached.as_of_ms);
    return outcome_content(call, plugin, cached.html, cached.as_of_ms, MacroState::stale, why);
  }

  MacroOutcome outcome_of(const MacroCall& call, const Resolved& res, const Rendered& r) {
    const std::string& plugin = res.target.plugin->id;
    if (r.ok) {
      const int64_t fresh_until = r.ttl_s > 0 ? r.as_of_ms + int64_t{r.ttl_s} * 1000 : 0;
      return outcome_content(call, plugin, r.html, r.as_of_ms, MacroState::fresh, "", fresh_until,
                             res.feature);
    }
    return outcome_error(call, plugin, r.error, r.rule);
  }

  // "This thread is about to wait": asked of the front end once per view
  // (before the first store lookup or render wait); its answer holds for
  // the rest of the view.
  struct BlockHint {
    bool asked = false, allowed = true;
    bool ask() {
      if (!asked) {
        asked = true;
        allowed = blocking::about_to_block();
      }
      return allowed;
    }
  };

  // A macro of one view that needs a render, and the render it waits for.
  struct Pending {
    size_t index;
    MacroCall call;
    Resolved res;
    std::shared_ptr<Flight> flight;
  };

  // Starts (or joins) the renders of one view and waits for them until the
  // view's deadline or its cancellation; fills `out` at each index. The
  // caller's thread blocks here, so the front end is told first; when it
  // cannot spare the thread, nothing is started and the macros say so.
  // Returns false when the view was cancelled (its client is gone).
  bool render_all(std::vector<Pending>& pending, SteadyClock::time_point deadline,
                  std::vector<MacroOutcome>& out, BlockHint& hint) {
    if (pending.empty()) return true;
    if (!hint.ask()) {
      for (auto& p : pending) {
        count_dropped("busy");
        out[p.index] = outcome_error(p.call, p.res.target.plugin->id,
                                     "the server is busy with other page views; reload in a moment",
                                     "render-busy");
      }
      return true;
    }
    for (auto& p : pending) p.flight = join(p.call, p.res, deadline);
    const std::shared_ptr<blocking::Cancel> cancel = blocking::current();
    bool cancelled = false;
    for (auto& p : pending) {
      for (;;) {
        if (cancel && cancel->cancelled()) {
          cancelled = true;
          break;
        }
        const auto now = SteadyClock::now();
        if (now >= deadline) break;
        const auto until = cancel ? std::min(deadline, now + kCancelPoll) : deadline;
        if (p.flight->result.wait_until(until) == std::future_status::ready) break;
      }
      if (cancelled) break;
    }
    for (auto& p : pending) {
      if (p.flight->result.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        cache_miss.inc();
        out[p.index] = outcome_of(p.call, p.res, p.flight->result.get());
      } else if (cancelled) {
        out[p.index] = outcome_error(
            p.call, p.res.target.plugin->id,
            std::string("the page view was abandoned: ") + blocking::to_string(cancel->reason()),
            "render-abandoned");
      } else {
        counter("vitrine_render_deadline_total",
                "Macros a page view answered without, at its deadline", {})
            .inc();
        out[p.index] = outcome_error(p.call, p.res.target.plugin->id,
                                     "not rendered within the page's deadline of " +
                                         std::to_string(opt.macro_deadline_ms / 1000) +
                                         " s (Grafana or the plugin is slow, "
                                         "or the server is busy); reload in a moment",
                                     "macro-deadline");
      }
      leave(p.flight);
    }
    if (cancelled) {
      counter("vitrine_page_views_abandoned_total",
              "Page views whose client went away (or the server stopped) while they waited",
              {{"reason", blocking::to_string(cancel->reason())}})
          .inc();
    }
    return !cancelled;
  }

  MacroOutcome render_macro(const MacroCall& call) {
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(opt.macro_deadline_ms);
    auto resolved = resolve(call);
    if (auto* o = std::get_if<MacroOutcome>(&resolved)) return std::move(*o);
    auto& res = std::get<Resolved>(resolved);
    if (auto o = from_memory(call, res)) return std::move(*o);
    BlockHint hint;
    hint.ask();  // the store may wait (see render_page)
    if (auto o = from_store(call, res)) return std::move(*o);
    std::vector<Pending> pending;
    pending.push_back({0, call, std::move(res), nullptr});
    std::vector<MacroOutcome> out(1);
    render_all(pending, deadline, out, hint);
    return std::move(out[0]);
  }
};

EngineOptions EngineOptions::from(const config::Config& config) {
  EngineOptions o;
  o.threads = config.render_threads;
  o.macro_deadline_ms = config.macro_deadline_ms;
  o.stale_for_s = config.stale_for_s;
  o.max_cache_ttl_s = config.max_cache_ttl_s;
  o.memory_cache_bytes = static_cast<std::size_t>(config.memory_cache_mb) << 20;
  o.per_space = config.render_per_space;
  o.per_origin = config.render_per_origin;
  o.max_queued = static_cast<std::size_t>(config.render_max_queued);
  o.development_plugins = config.plugins_development;
  o.lease_s = config.render_lease_s;
  return o;
}

Engine::Engine(runtime::Runtime& runtime, EngineOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(options))) {
  // Once at start: a page view of these plugins never comes from a cache.
  if (!impl_->opt.development_plugins.empty()) {
    std::string ids;
    for (const auto& id : impl_->opt.development_plugins) ids += (ids.empty() ? "" : ",") + id;
    log::warn("render.development_mode",
              {{"plugins", ids},
               {"effect",
                "their macros bypass the render caches on every view; not for "
                "production"}});
  }
}

Engine::~Engine() { impl_->scheduler.stop(); }

void Engine::drain() { impl_->scheduler.wait_idle(); }

void Engine::stop() { impl_->scheduler.stop(); }

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
    std::shared_ptr<const PageOutcome> page;
    std::shared_ptr<const std::vector<Impl::Gate>> gates;
    {
      std::shared_lock lock(im.rendered_mu);
      auto it = im.rendered_pages.find(key);
      if (it != im.rendered_pages.end() && it->second.store_changes == changes &&
          started_ms < it->second.reusable_until_ms) {
        page = it->second.page;
        gates = it->second.gates;
      }
    }
    bool licensed = true;
    for (std::size_t i = 0; page && gates && i < gates->size() && licensed; ++i) {
      const auto& g = (*gates)[i];
      licensed = im.rt.license().check(space, g.feature, started_ms / 1000, g.plugin).licensed;
    }
    if (page && licensed) {
      im.page_hit.inc();
      return page;
    }
  }
  im.page_miss.inc();

  // The view's deadline covers everything from here: store lookups, the
  // render queue, the renders.
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(im.opt.macro_deadline_ms);
  auto parsed = im.parsed(markdown);
  auto out = std::make_shared<PageOutcome>();
  out->title = parsed->title.value_or(page_id);
  out->macros.resize(parsed->macros.size());
  // Macros whose content is in memory or in the store are answered on this
  // thread; the rest render in parallel on the scheduler, and the page
  // waits for them until its deadline.
  std::vector<Impl::Pending> pending;
  Impl::BlockHint hint;
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
    // The store can keep this thread (its lock may wait behind another
    // process's write for seconds): tell the front end before the first
    // lookup, so the thread stops counting as one that serves.
    hint.ask();
    if (auto o = im.from_store(call, res)) {
      out->macros[i] = std::move(*o);
      continue;
    }
    pending.push_back({i, std::move(call), std::move(res), nullptr});
  }
  // A view whose client went away is answered (to nobody) and not kept.
  const bool complete = im.render_all(pending, deadline, out->macros, hint);
  std::vector<std::string_view> html;
  html.reserve(out->macros.size());
  int64_t reusable_until = started_ms + kPageReuseMaxMs;
  for (const auto& m : out->macros) {
    html.push_back(m.html);
    reusable_until = std::min(reusable_until, m.reusable_until_ms);
  }
  out->body_html = assemble(*parsed, html);

  if (complete && reusable_until > started_ms) {
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
    auto gates = std::make_shared<std::vector<Impl::Gate>>();
    for (const auto& m : out->macros) {
      if (!m.license_feature.empty()) gates->push_back({m.license_feature, m.plugin_id});
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
    it->second =
        Impl::PageEntry{std::move(reused), std::move(gates), reusable_until, changes, cost};
    im.rendered_bytes += cost;
  }
  return out;
}

}  // namespace vitrine::render
