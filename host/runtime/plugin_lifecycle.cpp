// The runtime's half of the plugin lifecycle: import the admin's plugins
// directory into the plugin store, and apply the desired state (which
// version of each plugin runs) to the runner and the plugin set that page
// views read. The desired state itself is written only by the store's
// services (store/plugin_store.h, store/approvals.h); the decision is the
// pure plan (reconcile/plugin_plan.h).
#include <sys/stat.h>

#include "log/log.h"
#include "plugins/loader.h"
#include "reconcile/plugin_plan.h"
#include "runtime/runtime.h"
#include "store/audit.h"

namespace vitrine::runtime {
namespace {

std::string file_identity(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

std::shared_ptr<const PluginSet> Runtime::plugin_set() const {
  auto set = set_.load();
  if (set) return set;
  static const auto empty = std::make_shared<const PluginSet>();
  return empty;
}

std::vector<PluginStatus> Runtime::plugins() const { return plugin_set()->plugins; }

void Runtime::import_plugins_dir(const std::filesystem::path& dir) {
  import_refusals_.clear();
  auto found = plugins::discover_plugins(dir);
  for (const auto& r : found.refused) {
    PluginStatus ps;
    ps.manifest.id = r.plugin;
    ps.state = "refused";
    ps.rule = r.rule;
    ps.detail = plugins::format(r);
    import_refusals_.push_back(std::move(ps));
  }
  auto ps = store_->plugin_store();
  for (const auto& m : found.manifests) {
    auto request = store::PluginStore::read_directory_entry(m.path);
    if (!request) {
      PluginStatus st;
      st.manifest = m;
      st.state = "refused";
      st.rule = "plugin-import";
      st.detail = request.error().message;
      import_refusals_.push_back(std::move(st));
      continue;
    }
    request->source = "plugins_dir " + m.path.string();
    auto installed = ps.install("vitrine", *request);
    if (!installed) {
      warnings_.push_back("could not import " + m.path.string() + ": " + installed.error().message);
    } else if (installed->added) {
      log::info("plugin.imported", {{"plugin", m.id},
                                    {"version", m.version},
                                    {"library_sha256", installed->row.library_sha256}});
    }
  }
}

std::string Runtime::apply_plugins() {
  std::lock_guard<std::mutex> one_apply(apply_mu_);
  auto ps = store_->plugin_store();
  auto rows = ps.list();
  if (!rows) return "cannot read the installed plugins: " + rows.error().message;

  reconcile::PlanInput in;
  in.artifacts = *rows;
  std::vector<store::LoadedArtifact> loaded_ok;
  for (const auto& row : *rows) {
    const std::string key = reconcile::instance_key(row);
    const auto dir = store_->data_dir() / row.manifest_path;
    auto cached = verified_.find(key);
    const std::string id_now = file_identity(dir);
    if (cached != verified_.end() &&
        cached->second.identity ==
            id_now + "|" +
                file_identity(dir.parent_path() / cached->second.artifact.manifest.library)) {
      in.loaded.emplace_back(cached->second.artifact);
    } else {
      auto l = ps.load(row);
      if (l) {
        verified_[key] = VerifiedFiles{
            id_now + "|" + file_identity(dir.parent_path() / l->manifest.library), *l};
      } else {
        verified_.erase(key);
      }
      in.loaded.push_back(std::move(l));
    }
    if (in.loaded.back()) loaded_ok.push_back(*in.loaded.back());
  }
  auto approvals = store_->approvals();
  if (auto pinned = approvals.pin_legacy(loaded_ok); pinned && *pinned > 0) {
    log::info("plugin.approvals_pinned", {{"count", std::to_string(*pinned)}});
  }
  auto approval_rows = approvals.list(std::nullopt);
  if (!approval_rows) return "cannot read plugin approvals: " + approval_rows.error().message;
  in.approvals = *approval_rows;
  auto pins = ps.pins();
  if (!pins) return "cannot read plugin version pins: " + pins.error().message;
  in.pins = *pins;

  const reconcile::PluginPlan plan = reconcile::plan_plugins(in);
  auto next = std::make_shared<PluginSet>();
  next->plugins = import_refusals_;
  for (const auto& [id, list] : plan.plugins) {
    bool running = false;
    std::string running_version;
    for (const auto& a : list) {
      PluginStatus st;
      if (a.manifest) st.manifest = *a.manifest;
      st.manifest.id = a.row.plugin_id;
      st.manifest.version = a.row.version;
      st.artifact = a.row;
      st.instance = reconcile::instance_key(a.row);
      st.state = a.state;
      st.rule = a.rule;
      st.detail = a.detail;
      st.diff = a.diff;
      if (a.state == "candidate") {
        if (running) {
          st.state = "standby";
          st.detail = "approved; version " + running_version +
                      " runs now (a rollback returns to this one without re-approval)";
        } else {
          plugins::Refusal refusal;
          if (runner_->add(st.instance, st.manifest, refusal)) {
            st.state = "running";
            st.running = true;
            st.detail = a.pinned ? "pinned by a rollback" : "";
            running = true;
            running_version = a.row.version;
          } else {
            st.state = "refused";
            st.rule = refusal.rule;
            st.detail = plugins::format(refusal);
          }
        }
      }
      next->plugins.push_back(std::move(st));
    }
  }
  // Macro keys: the running version's first; a plugin without one blocks
  // its keys with the reason of its newest artifact.
  for (const auto& p : next->plugins) {
    if (!p.running) continue;
    for (const auto& macro : p.manifest.macros) {
      next->macros[macro.key] = MacroTarget{&p.manifest, &macro, p.instance, nullptr};
      next->macro_keys.insert(macro.key);
    }
  }
  for (const auto& p : next->plugins) {
    if (p.running) continue;
    for (const auto& macro : p.manifest.macros) {
      if (next->macros.count(macro.key) != 0 || next->blocked.count(macro.key) != 0) continue;
      const std::string rule = p.rule.empty() ? "plugin-not-running" : p.rule;
      next->blocked[macro.key] = {rule, "plugin '" + p.manifest.id + "' " + p.manifest.version +
                                            " cannot run: " + p.detail};
      next->macro_keys.insert(macro.key);
    }
  }
  auto previous = set_.load();
  const bool changed = !previous || [&] {
    if (previous->plugins.size() != next->plugins.size()) return true;
    for (std::size_t i = 0; i < next->plugins.size(); ++i) {
      const auto& x = previous->plugins[i];
      const auto& y = next->plugins[i];
      if (x.instance != y.instance || x.state != y.state || x.detail != y.detail) return true;
    }
    return false;
  }();
  if (!changed) return {};
  next->generation = ++generation_;
  for (const auto& p : next->plugins) {
    log::info("plugin.state", {{"plugin", p.manifest.id},
                               {"version", p.manifest.version},
                               {"state", p.state},
                               {"detail", p.detail}});
  }
  // A refusal is audited when this host first sees it (P9): an impostor or
  // tampered library, or one the loader refused.
  for (const auto& p : next->plugins) {
    if (p.state != "refused" || p.artifact.plugin_id.empty()) continue;
    bool known = false;
    if (previous) {
      for (const auto& q : previous->plugins) {
        known = known || (q.instance == p.instance && q.state == "refused");
      }
    }
    if (known) continue;
    (void)store_->audit().record(store::AuditEvent{
        "vitrine",
        "",
        "plugin.refused",
        p.artifact.plugin_id + "@" + p.artifact.version,
        "deny",
        {{"rule", p.rule, false},
         {"library_sha256", p.artifact.library_sha256, false},
         {"signed_by", p.artifact.signer.empty() ? "unsigned" : p.artifact.signer, false},
         {"reason", p.detail, false}}});
  }
  // Versions that ran before and do not now release their workers.
  std::vector<std::string> retired;
  if (previous) {
    for (const auto& p : previous->plugins) {
      if (!p.running) continue;
      bool still = false;
      for (const auto& q : next->plugins) still = still || (q.running && q.instance == p.instance);
      if (!still) retired.push_back(p.instance);
    }
  }
  set_.store(std::move(next));
  for (const auto& key : retired) runner_->retire(key);
  // Snapshots built from the old set (the page cache) are dropped.
  store_->note_external_change();
  return {};
}

}  // namespace vitrine::runtime
