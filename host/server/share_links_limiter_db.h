// Share-link view limits kept in the database (table rate_limits, kinds
// 'share-link' keyed by link id and 'share-client' keyed by client address),
// so every host that shares the store counts one bucket per link and per
// client: a load balancer spreading views over N hosts does not multiply
// the limits by N. The rules are those of share_links_limiter.h.
//
// A take reads and writes both rows in one Backend::transaction (the
// store's write lock), so hosts never both spend the last token. About once
// a minute a take also deletes the rows idle long enough to be full again.
//
// When the store cannot answer, take() allows: the view reads the link
// from the same store next and answers 503 [store-unavailable] itself, so
// nothing is served unlimited.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "server/rate_limit_db.h"
#include "server/share_links_limiter.h"
#include "store/backend.h"
#include "store/context.h"

namespace vitrine::server {

// [thread-safe]: every method.
class DbShareLinkLimiter final : public ShareLinkLimiter {
 public:
  // `db` must outlive the limiter; `now_ms` is the store's clock.
  DbShareLinkLimiter(store::Backend& db, store::Clock now_ms, ShareLinkLimits limits = {});

  int take(const std::string& link_id, const std::string& client) override;

  // Deletes the rows that carry no state at `now` (also done by takes,
  // about once a minute). [thread-safe]
  store::Status purge();

 private:
  store::Backend& db_;
  store::Clock now_;
  DbBucket link_;
  DbBucket client_;
  std::atomic<int64_t> next_purge_ms_{0};
};

}  // namespace vitrine::server
