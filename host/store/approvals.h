// Plugin approvals and per-space enablement.
//
// A platform admin approves a plugin id + version together with its
// permission set (scopes + egress entries), stored as canonical JSON and its
// SHA-256. A version whose permission hash equals the latest approval's may
// run; a version whose scopes or egress changed may not run until a platform
// admin approves the diff, and the host keeps running the previously approved
// version meanwhile. A space admin enables or disables approved plugins in a
// space.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "store/backend.h"
#include "store/context.h"
#include "store/plugin_store.h"

namespace vitrine::store {

struct PermissionSet {
  std::vector<std::string> scopes;            // sorted, unique
  std::vector<manifest::EgressEntry> egress;  // sorted by text (pos unused)
};

PermissionSet permissions_of(const manifest::Manifest& m);
// {"egress":[{"customer_managed":B,"host":S,"port":N,"text":S,"wildcard":B},...],"scopes":[...]}
// with keys in this order, no whitespace: equal sets give equal bytes.
std::string canonical_json(const PermissionSet& p);
Result<PermissionSet> parse_permissions_json(const std::string& json);
// "+ scope X", "- scope X", "+ egress TEXT[ (customer-managed)]", ... sorted;
// empty when equal.
std::vector<std::string> permission_diff(const PermissionSet& from, const PermissionSet& to);

struct RunDecision {
  bool may_run = false;
  std::optional<ApprovalRow> approval;  // the latest approval, when any
  std::vector<std::string> diff;        // pending changes when !may_run
  std::string reason;
};

class Approvals {
 public:
  explicit Approvals(Context ctx) : ctx_(std::move(ctx)) {}

  Result<ApprovalRow> approve(const std::string& who, const manifest::Manifest& m);
  // Approves one installed artifact: the row pins its manifest and library
  // digests, so other bytes under the same id and version are never covered
  // (reconcile/plugin_plan.h, LC-1). Audited with the digests and signer.
  Result<ApprovalRow> approve(const std::string& who, const LoadedArtifact& artifact);
  // Approvals recorded before artifacts were pinned (no digests) cover the
  // first installed artifact with the same id, version and permission set:
  // they are pinned to it now (audited "plugin.approval-pinned"). Returns
  // how many were pinned.
  Result<int> pin_legacy(const std::vector<LoadedArtifact>& artifacts);
  // The diff from the latest approval to `m` (everything '+' when never approved).
  // Withdraws every approval of the plugin in force (LC-6): no version of
  // it runs anywhere until a platform admin approves again (a new row).
  // Audited "plugin.withdraw" with the reason; a rollback pin ends. Returns
  // how many approvals were withdrawn; not_found when none was in force.
  Result<int> withdraw(const std::string& who, const std::string& plugin_id,
                       const std::string& reason);
  Result<std::vector<std::string>> diff(const manifest::Manifest& m);
  Result<RunDecision> decide(const manifest::Manifest& m);
  Result<std::vector<ApprovalRow>> list(const std::optional<std::string>& plugin_id);
  // Latest approved permission set of every plugin.
  Result<std::map<std::string, PermissionSet>> latest_permissions();

  Status enable(const std::string& who, const std::string& space, const std::string& plugin_id);
  Status disable(const std::string& who, const std::string& space, const std::string& plugin_id);
  Result<std::vector<EnablementRow>> enabled(const std::string& space);

 private:
  Result<std::optional<ApprovalRow>> latest(const std::string& plugin_id);
  Context ctx_;
};

}  // namespace vitrine::store
