// Where plugin code runs. The render engine talks only to a PluginRunner, so
// the same engine drives plugins loaded into this process (development,
// tests: no security boundary) or plugins in isolated worker processes
// (production). Both run the same loader, negotiation and capability code.
#pragma once

#include <memory>
#include <string>

#include "manifest/manifest.h"
#include "plugins/invoke.h"
#include "plugins/refusal.h"

namespace vitrine::plugins {

class PluginRunner {
 public:
  virtual ~PluginRunner() = default;

  // Makes a checked plugin ready to render under `key` (in-process: load
  // and create; worker: start its worker and negotiate). Returns false with
  // a refusal when the plugin cannot run. Several versions of one plugin run
  // side by side under different keys (the runtime uses "ID@VERSION+DIGEST");
  // adding a key twice answers true and changes nothing. [thread-safe]
  virtual bool add(const std::string& key, const manifest::Manifest& manifest,
                   Refusal& refusal) = 0;
  // The same under the plugin id (tests, tools).
  bool add(const manifest::Manifest& manifest, Refusal& refusal) {
    return add(manifest.id, manifest, refusal);
  }

  // Renders one macro of the plugin added under `key`. `input.services` is
  // where the plugin's capability calls go. Never throws; a crashed or hung
  // plugin is an error result, never the host's failure (P8). [thread-safe]
  virtual RenderOutput render(const std::string& key, const RenderInput& input) = 0;

  // The plugin under `key` no longer serves new page views (another version
  // replaced it): release what it holds while idle. Renders still running
  // on it finish; a late render is still answered. In-process libraries are
  // never unloaded (ABI-10), so the default does nothing. [thread-safe]
  virtual void retire(const std::string& key) { (void)key; }

  // "in-process" or "worker", for logs and /healthz.
  virtual const char* mode() const = 0;

  // Brings the runner's gauges up to date now: /metrics calls it on every
  // scrape, so they do not keep the value of the last render's sample while
  // nothing renders. The default has no gauges. [thread-safe]
  virtual void refresh_metrics() {}
};

// Loads plugins into this process through `host` (which must outlive the
// runner). No isolation: for development and tests.
std::unique_ptr<PluginRunner> make_in_process_runner(const vitrine_host* host);

}  // namespace vitrine::plugins
