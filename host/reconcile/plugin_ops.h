// Desired-state operations on plugins that the CLI, the API and the console
// share, so each front end only parses its input and prints the answer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reconcile/plugin_plan.h"
#include "store/store.h"

namespace vitrine::reconcile {

struct ArtifactChoice {
  std::string plugin_id;
  std::string version;         // empty: the newest installed
  std::string library_sha256;  // empty: the only artifact of that version
};

struct ApproveOutcome {
  PlannedArtifact artifact;  // what was (or already is) approved
  bool already_approved = false;
  std::string running_version;                 // what ran before; empty when nothing did
  std::vector<std::string> diff;               // permissions against the running version
  std::optional<store::ApprovalRow> approval;  // the new row
};

// The artifact a choice names; not_found / conflict (one version with
// several byte sets and no digest given) with what to do.
store::Result<PlannedArtifact> choose_artifact(const PluginPlan& plan, const ArtifactChoice& c);

// Approves the chosen artifact (or, with dry_run, only computes the diff).
store::Result<ApproveOutcome> approve_artifact(store::Store& store, const std::string& who,
                                               const ArtifactChoice& choice, bool dry_run);

}  // namespace vitrine::reconcile
