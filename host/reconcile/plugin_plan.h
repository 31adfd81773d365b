// Which installed plugin artifact each plugin runs: a pure function of the
// desired state (installed artifacts, approvals, version pins), so every
// host on one database computes the same answer and the rules are
// table-tested (tests/reconcile/plugin_plan_test.cpp).
//
// Rules, in order (LC = lifecycle; docs/admin.md#plugin-lifecycle):
//   LC-1 An approval covers exactly one artifact: same plugin id, version,
//        manifest digest, library digest and permission set. A library or
//        manifest with other bytes is never covered, even under the same id
//        and version [plugin-artifact-unapproved].
//   LC-2 A plugin runs its pinned version (rollback) when an artifact of
//        that version is covered; otherwise the newest covered version.
//   LC-3 A newer artifact awaiting approval never stops the running one; it
//        waits with the permission diff against the running version
//        [plugin-awaiting-approval].
//   LC-4 Covered artifacts that do not run are standby: a rollback or a
//        refused newer version falls back to them without re-approval.
//   LC-5 An artifact whose stored bytes no longer match its digests is
//        refused [plugin-artifact-tampered] and never loaded.
//   LC-6 A withdrawn approval covers nothing: artifacts it covered are
//        refused [plugin-approval-withdrawn] on every host until a platform
//        admin approves again (a new approval row).
// The caller (runtime) loads candidates in order and runs the first that
// loads; refusals at load time (ABI, negotiation) fall back to the next.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/approvals.h"
#include "store/backend.h"
#include "store/plugin_store.h"
#include "store/store.h"

namespace vitrine::reconcile {

struct PlannedArtifact {
  store::ArtifactRow row;
  std::optional<manifest::Manifest> manifest;  // absent when the artifact failed to load
  std::string state;                           // candidate | awaiting-approval | refused
  std::string rule;                            // why not a candidate (empty for candidates)
  std::string detail;                          // what happened and who must act
  std::vector<std::string> diff;  // awaiting: permission changes against the running version
  bool pinned = false;            // the version a platform admin rolled back to
};

struct PluginPlan {
  // Per plugin id: candidates first, in the order to try them (LC-2), then
  // the others, newest first.
  std::map<std::string, std::vector<PlannedArtifact>> plugins;
};

struct PlanInput {
  std::vector<store::ArtifactRow> artifacts;
  // Load result per artifact (same order): the checked manifest or why not.
  std::vector<store::Result<store::LoadedArtifact>> loaded;
  std::vector<store::ApprovalRow> approvals;
  std::vector<store::PinRow> pins;
};

PluginPlan plan_plugins(const PlanInput& in);

// Reads the plan's input from the store (every artifact verified from its
// files). The runtime keeps its own copy with verified files remembered.
store::Result<PlanInput> read_plan_input(store::Store& store);

// "ID@VERSION+LIBRARY12.MANIFEST8": the key a version runs under, and the
// namespace its rendered output is cached under, so a swap never serves
// one artifact's output as another's.
std::string instance_key(const store::ArtifactRow& row);

}  // namespace vitrine::reconcile
