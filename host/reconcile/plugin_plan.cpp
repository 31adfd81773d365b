#include "reconcile/plugin_plan.h"

#include <algorithm>

#include "digest/sha256.h"
#include "store/crypto/encoding.h"
#include "store/report.h"

namespace vitrine::reconcile {
namespace {

bool covers(const store::ApprovalRow& a, const store::ArtifactRow& row,
            const std::string& permissions_hash) {
  return a.plugin_id == row.plugin_id && a.version == row.version &&
         a.manifest_sha256 == row.manifest_sha256 && a.library_sha256 == row.library_sha256 &&
         a.permissions_hash == permissions_hash;
}

std::string short_digest(const std::string& d) { return d.substr(0, 12); }

}  // namespace

std::string instance_key(const store::ArtifactRow& row) {
  return row.plugin_id + "@" + row.version + "+" + row.library_sha256.substr(0, 12) + "." +
         row.manifest_sha256.substr(0, 8);
}

store::Result<PlanInput> read_plan_input(store::Store& store) {
  PlanInput in;
  auto ps = store.plugin_store();
  auto rows = ps.list();
  if (!rows) return rows.error();
  in.artifacts = *rows;
  for (const auto& r : in.artifacts) in.loaded.push_back(ps.load(r));
  auto approvals = store.approvals().list(std::nullopt);
  if (!approvals) return approvals.error();
  in.approvals = *approvals;
  auto pins = ps.pins();
  if (!pins) return pins.error();
  in.pins = *pins;
  return in;
}

PluginPlan plan_plugins(const PlanInput& in) {
  PluginPlan plan;
  std::map<std::string, std::string> pins;
  for (const auto& p : in.pins) pins[p.plugin_id] = p.version;

  for (std::size_t i = 0; i < in.artifacts.size(); ++i) {
    PlannedArtifact a;
    a.row = in.artifacts[i];
    const auto& loaded = in.loaded[i];
    if (!loaded) {  // LC-5
      a.state = "refused";
      a.rule = loaded.error().message.find("[plugin-artifact-tampered]") != std::string::npos
                   ? "plugin-artifact-tampered"
                   : "plugin-artifact-unreadable";
      a.detail = loaded.error().message;
      plan.plugins[a.row.plugin_id].push_back(std::move(a));
      continue;
    }
    a.manifest = loaded->manifest;
    const std::string hash =
        digest::sha256_hex(store::canonical_json(store::permissions_of(*a.manifest)));
    bool covered = false;
    const store::ApprovalRow* withdrawn = nullptr;  // the withdrawn approval that covered it
    bool same_version_other_bytes = false;
    for (const auto& ap : in.approvals) {
      if (ap.withdrawn_at_ms != 0) {  // LC-6
        if (covers(ap, a.row, hash)) withdrawn = &ap;
        continue;
      }
      if (covers(ap, a.row, hash)) covered = true;
      if (ap.plugin_id == a.row.plugin_id && ap.version == a.row.version &&
          (ap.manifest_sha256 != a.row.manifest_sha256 ||
           ap.library_sha256 != a.row.library_sha256)) {
        same_version_other_bytes = true;
      }
    }
    auto pin = pins.find(a.row.plugin_id);
    a.pinned = pin != pins.end() && pin->second == a.row.version;
    if (covered) {
      a.state = "candidate";
    } else if (withdrawn != nullptr) {  // LC-6
      a.state = "refused";
      a.rule = "plugin-approval-withdrawn";
      a.detail = "the approval of '" + a.row.plugin_id + "' " + a.row.version +
                 " was withdrawn by " + withdrawn->withdrawn_by + " at " +
                 store::format_time(withdrawn->withdrawn_at_ms) +
                 "; it runs nowhere until a platform admin approves it again (vitrine plugins "
                 "approve " +
                 a.row.plugin_id + " --version " + a.row.version + " --show-diff)";
    } else if (same_version_other_bytes) {  // LC-1
      a.state = "refused";
      a.rule = "plugin-artifact-unapproved";
      a.detail = "these bytes of '" + a.row.plugin_id + "' " + a.row.version + " (library sha256 " +
                 short_digest(a.row.library_sha256) + "..., manifest " +
                 short_digest(a.row.manifest_sha256) +
                 "...) differ from the approved artifact of the same version; it never runs. "
                 "Install the approved build, or a platform admin reviews and approves this "
                 "one (vitrine plugins approve " +
                 a.row.plugin_id + " --version " + a.row.version + " --library-sha256 " +
                 a.row.library_sha256 + " --show-diff)";
    } else {  // LC-3
      a.state = "awaiting-approval";
      a.rule = "plugin-awaiting-approval";
    }
    plan.plugins[a.row.plugin_id].push_back(std::move(a));
  }

  for (auto& [id, list] : plan.plugins) {
    // Candidates first: pinned, then newest version, then latest installed.
    std::stable_sort(list.begin(), list.end(),
                     [](const PlannedArtifact& x, const PlannedArtifact& y) {
                       const bool cx = x.state == "candidate", cy = y.state == "candidate";
                       if (cx != cy) return cx;
                       if (cx && x.pinned != y.pinned) return x.pinned;
                       if (x.row.version != y.row.version) {
                         return store::version_less(y.row.version, x.row.version);
                       }
                       return x.row.installed_at_ms > y.row.installed_at_ms;
                     });
    // The permissions a waiting version adds or drops, against the version
    // that would run now (or against nothing).
    store::PermissionSet running;
    const std::string* running_version = nullptr;
    if (!list.empty() && list.front().state == "candidate" && list.front().manifest) {
      running = store::permissions_of(*list.front().manifest);
      running_version = &list.front().row.version;
    }
    for (auto& a : list) {
      if (a.state != "awaiting-approval" || !a.manifest) continue;
      a.diff = store::permission_diff(running, store::permissions_of(*a.manifest));
      const std::string how = "a platform admin reviews and approves it (vitrine plugins approve " +
                              id + " --version " + a.row.version + " --show-diff)";
      a.detail = running_version == nullptr
                     ? "'" + id + "' " + a.row.version + " was never approved; " + how
                     : "'" + id + "' " + a.row.version + " awaits approval; " + *running_version +
                           " keeps running until " + how;
    }
  }
  return plan;
}

}  // namespace vitrine::reconcile
