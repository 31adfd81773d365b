#include "reconcile/space_ops.h"

namespace vitrine::reconcile {

store::Result<ConnectOutcome> connect_space(store::Store& s, const std::string& who,
                                            const std::string& key,
                                            const store::ConnectRequest& request) {
  auto before = s.spaces().token_status(key);
  auto r = s.spaces().connect(who, key, request);
  if (!r) return r.error();
  ConnectOutcome out{*r, {}};
  auto after = s.spaces().token_status(key);
  if (before && before->configured && after && !after->configured) {
    out.removed_token_origin = before->origin;
  }
  return out;
}

}  // namespace vitrine::reconcile
