// The render engine: turns a page (Markdown with macro blocks) or a single
// macro into sanitized HTML, fast and fail-safe.
//   request -> policy (plugin enabled in the space? license?) -> cache
//   (fresh: use; stale: use, refresh in the background; miss: render) ->
//   plugin render through the runner (capabilities enforce egress) ->
//   sanitize -> wrap (as-of notice, stale marker, or error box).
// Macros of one page render in parallel on a bounded scheduler, fair across
// spaces and Grafana origins (render_scheduler.h); identical macro renders in
// flight are coalesced (single-flight); a failing macro never fails the
// page; when Grafana fails the last good content stays (P8).
//
// Deadlines and cancellation: a page view (or render API call) has one
// deadline, macro_deadline_ms from its start, covering its time in the
// render queue too; what has not rendered by then shows an error box
// (macro-deadline) while the render may finish later and fill the cache.
// When the view's client goes away (blocking::current() is cancelled), the
// view stops waiting; a queued render nobody waits for any more is dropped
// when its turn comes, a running one finishes and fills the cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace vitrine::runtime {
class Runtime;
}

namespace vitrine::render {

struct MacroCall {
  std::string space;
  std::string page_id;
  std::string macro_key;
  std::map<std::string, std::string> params;
  std::string theme = "light";
  std::string timezone = "UTC";
  std::string time_from = "now-6h";
  std::string time_to = "now";
  std::string preset_error;  // set when the page parser already found a problem
  // "Refresh all" (render/warm_batch.h): skip the memory and store caches
  // for this call; the new content fills them as any render does.
  bool bypass_cache = false;
  // Only upstream responses received after this time (unix ms) answer
  // this call's requests (egress/client/single_flight.h UF-9). A
  // background refresh sets the as-of time of the stale content it
  // replaces; "Refresh all" sets when it began (with bypass_cache; 0 there
  // means when this macro's render begins). 0: any response the reuse
  // window allows.
  int64_t upstream_from_ms = 0;
};

enum class MacroState { fresh, cached, stale, error };
const char* to_string(MacroState s);

struct MacroOutcome {
  MacroState state = MacroState::error;
  std::string html;  // final fragment: sanitized and wrapped; always safe to insert
  std::string plugin_id;
  std::string error;     // when state == error (also shown inside html)
  std::string rule;      // rule id of the error, when any
  int64_t as_of_ms = 0;  // when the content was rendered
  // Until when this exact outcome may be shown again without asking the
  // cache: the content's fresh_until for fresh and cached content, 0 for
  // stale content and errors.
  int64_t reusable_until_ms = 0;
  // Non-empty: the macro is license-gated by this feature; a view answered
  // from the page cache asks the license again (and the decision is
  // audited) before showing it.
  std::string license_feature;
};

struct PageOutcome {
  std::string title;
  std::string body_html;  // the page body with every macro inserted
  std::vector<MacroOutcome> macros;
};

struct EngineOptions {
  int threads = 8;
  int macro_deadline_ms = 10'000;
  int stale_for_s = 86'400;
  // Upper bound on how long a plugin's output counts as fresh, whatever
  // cache_ttl_s the plugin asks for.
  uint32_t max_cache_ttl_s = 3600;
  std::string asset_url_prefix = "/assets/";  // + SPACE + "/" + ID
  // In-memory layer in front of the store's render cache (hot_cache.h);
  // 0 turns it off.
  std::size_t memory_cache_bytes = 64u << 20;
  // Render lanes: concurrent renders per space and per Grafana origin (0:
  // three quarters of threads) and the bound on queued renders.
  int per_space = 0;
  int per_origin = 0;
  std::size_t max_queued = 4096;
  // Plugin development mode (plugins.development): these plugins' macros
  // skip every cache (memory, store, page) and are rendered on every view.
  std::vector<std::string> development_plugins;
  // Hosts sharing one database render a cold macro once: the first takes a
  // lease of this length, the others wait for its cache fill
  // (store/render_lease.h; render.lease_s).
  int lease_s = 5;

  // The options vitrine.yml sets (render.*, plugins.development).
  static EngineOptions from(const config::Config& config);
};

class Engine {
 public:
  Engine(runtime::Runtime& runtime, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // [thread-safe]
  MacroOutcome render_macro(const MacroCall& call);
  // The page, from the page cache when every macro on it was fresh or
  // cached content the last time and still is (see engine.cpp). Never null.
  std::shared_ptr<const PageOutcome> render_page(const std::string& space,
                                                 const std::string& page_id,
                                                 std::string_view markdown,
                                                 const MacroCall& defaults);

  // Waits until queued and running renders have finished (tests, export).
  void drain();
  // Shutdown: queued renders are dropped (their readers get an error box
  // saying the server is stopping), running ones finish (each bounded by
  // its deadline). Renders after it answer "busy". Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine::render
