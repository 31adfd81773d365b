#include <map>
#include <mutex>
#include <shared_mutex>

#include "plugins/loader.h"
#include "plugins/runner.h"

namespace vitrine::plugins {
namespace {

class InProcessRunner final : public PluginRunner {
 public:
  explicit InProcessRunner(const vitrine_host* host) : host_(host) {}

  using PluginRunner::add;
  bool add(const std::string& key, const manifest::Manifest& manifest, Refusal& refusal) override {
    {
      std::shared_lock lock(mu_);
      if (plugins_.count(key) != 0) return true;
    }
    LoadedPlugin loaded;
    if (!load_plugin(manifest, host_, loaded, refusal)) return false;
    std::unique_lock lock(mu_);
    plugins_.emplace(key, std::move(loaded));
    return true;
  }

  RenderOutput render(const std::string& plugin_id, const RenderInput& input) override {
    const LoadedPlugin* plugin = nullptr;
    {
      std::shared_lock lock(mu_);
      auto it = plugins_.find(plugin_id);
      if (it != plugins_.end()) plugin = &it->second;  // map nodes are stable
    }
    if (plugin == nullptr) {
      RenderOutput out;
      out.status = VITRINE_E_NOT_FOUND;
      out.rule = "plugin-not-loaded";
      out.error = "plugin '" + plugin_id + "' is not loaded";
      return out;
    }
    return render_macro(*plugin, input);
  }

  const char* mode() const override { return "in-process"; }

 private:
  const vitrine_host* host_;
  std::shared_mutex mu_;
  std::map<std::string, LoadedPlugin> plugins_;
};

}  // namespace

std::unique_ptr<PluginRunner> make_in_process_runner(const vitrine_host* host) {
  return std::make_unique<InProcessRunner>(host);
}

}  // namespace vitrine::plugins
