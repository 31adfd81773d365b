#include "reconcile/plugin_ops.h"

#include <algorithm>

namespace vitrine::reconcile {

store::Result<PlannedArtifact> choose_artifact(const PluginPlan& plan, const ArtifactChoice& c) {
  auto it = plan.plugins.find(c.plugin_id);
  std::vector<PlannedArtifact> matches;
  if (it != plan.plugins.end()) {
    for (const auto& a : it->second) {
      if (!c.version.empty() && a.row.version != c.version) continue;
      if (!c.library_sha256.empty() && a.row.library_sha256 != c.library_sha256) continue;
      matches.push_back(a);
    }
  }
  if (matches.empty()) {
    return store::make_error(
        store::Errc::not_found,
        "no installed artifact of plugin '" + c.plugin_id.substr(0, 64) + "'" +
            (c.version.empty() ? std::string() : " version " + c.version.substr(0, 32)) +
            "; install it first (vitrine plugins install PATH) and see 'vitrine plugins status'");
  }
  std::stable_sort(matches.begin(), matches.end(), [](const auto& x, const auto& y) {
    if (x.row.version != y.row.version) return store::version_less(y.row.version, x.row.version);
    return x.row.installed_at_ms > y.row.installed_at_ms;
  });
  if (c.library_sha256.empty() && matches.size() > 1 &&
      matches[1].row.version == matches[0].row.version) {
    return store::make_error(store::Errc::conflict,
                             c.plugin_id + " " + matches[0].row.version +
                                 " is installed with different bytes; name the one to approve "
                                 "by its library sha256 (see 'vitrine plugins status')");
  }
  return matches.front();
}

store::Result<ApproveOutcome> approve_artifact(store::Store& store, const std::string& who,
                                               const ArtifactChoice& choice, bool dry_run) {
  auto input = read_plan_input(store);
  if (!input) return input.error();
  const auto plan = plan_plugins(*input);
  auto pick = choose_artifact(plan, choice);
  if (!pick) return pick.error();
  if (!pick->manifest) return store::make_error(store::Errc::denied, pick->detail);
  ApproveOutcome out;
  out.artifact = *pick;
  store::PermissionSet from;
  const auto& all = plan.plugins.at(choice.plugin_id);
  if (!all.empty() && all.front().state == "candidate" && all.front().manifest) {
    out.running_version = all.front().row.version;
    from = store::permissions_of(*all.front().manifest);
  }
  out.diff = store::permission_diff(from, store::permissions_of(*pick->manifest));
  out.already_approved = pick->state == "candidate";
  if (dry_run || out.already_approved) return out;
  auto row = store.approvals().approve(who, store::LoadedArtifact{pick->row, *pick->manifest});
  if (!row) return row.error();
  out.approval = *row;
  return out;
}

}  // namespace vitrine::reconcile
