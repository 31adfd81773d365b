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

  // Makes a checked plugin ready to render (in-process: load and create;
  // worker: start its worker and negotiate). Returns false with a refusal
  // when the plugin cannot run. [main-thread]
  virtual bool add(const manifest::Manifest& manifest, Refusal& refusal) = 0;

  // Renders one macro of an added plugin. `input.services` is where the
  // plugin's capability calls go. Never throws; a crashed or hung plugin is
  // an error result, never the host's failure (P8). [thread-safe]
  virtual RenderOutput render(const std::string& plugin_id, const RenderInput& input) = 0;

  // "in-process" or "worker", for logs and /healthz.
  virtual const char* mode() const = 0;
};

// Loads plugins into this process through `host` (which must outlive the
// runner). No isolation: for development and tests.
std::unique_ptr<PluginRunner> make_in_process_runner(const vitrine_host* host);

}  // namespace vitrine::plugins
