// Space operations whose answer needs more than the store call, shared by
// `vitrine spaces connect`, POST /api/v1/spaces/{space}/connect and the
// console's Spaces page. (create and delete are one store call each,
// store/spaces.h, which the three front ends call directly.)
#pragma once

#include <string>

#include "store/spaces.h"
#include "store/store.h"

namespace vitrine::reconcile {

struct ConnectOutcome {
  store::SpaceRow space;
  // Non-empty when the space had a token bound to another origin: it was
  // removed, and a space admin must set the token for the new origin.
  std::string removed_token_origin;
};

// Connects the space to its Grafana origin; with customer_managed, a
// platform admin's approval of an origin outside the plugin's patterns for
// one plugin entry (self-hosted Grafana). Audited by the store.
store::Result<ConnectOutcome> connect_space(store::Store& store, const std::string& who,
                                            const std::string& key,
                                            const store::ConnectRequest& request);

}  // namespace vitrine::reconcile
