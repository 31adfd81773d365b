#include "server/share_links_limiter_db.h"

#include <algorithm>
#include <optional>

#include "log/log.h"

namespace vitrine::server {
namespace {

constexpr int64_t kPurgeEveryMs = 60'000;  // as rate_limit_db.cpp

// A row, no row (nullopt) or the store's error.
store::Result<std::optional<store::RateLimitRow>> read(store::Backend& db, const char* kind,
                                                       const std::string& key) {
  auto r = db.get_rate_limit(kind, key);
  if (r) return std::optional<store::RateLimitRow>(std::move(*r));
  if (r.error().code == store::Errc::not_found) return std::optional<store::RateLimitRow>();
  return r.error();
}

}  // namespace

DbShareLinkLimiter::DbShareLinkLimiter(store::Backend& db, store::Clock now_ms,
                                       ShareLinkLimits limits)
    : db_(db),
      now_(std::move(now_ms)),
      link_{"share-link", std::max(limits.per_link_per_minute, 0.001),
            std::max(limits.per_link_burst, 1.0)},
      client_{"share-client", std::max(limits.per_client_per_minute, 0.001),
              std::max(limits.per_client_burst, 1.0)} {
  if (!now_) now_ = store::system_now_ms;
}

int DbShareLinkLimiter::take(const std::string& link_id, const std::string& client) {
  const int64_t now = now_();
  int wait = 0;
  auto st = db_.transaction_on(
      {store::rate_limit_lock(link_.kind, link_id), store::rate_limit_lock(client_.kind, client)},
      [&]() -> store::Status {
        auto l = read(db_, link_.kind, link_id);
        if (!l) return l.error();
        auto c = read(db_, client_.kind, client);
        if (!c) return c.error();
        const double lt = link_.tokens(*l ? &**l : nullptr, now);
        const double ct = client_.tokens(*c ? &**c : nullptr, now);
        if (lt < 1.0 || ct < 1.0) {
          const auto s = std::max(lt < 1.0 ? link_.wait(lt) : std::chrono::seconds(0),
                                  ct < 1.0 ? client_.wait(ct) : std::chrono::seconds(0));
          wait = static_cast<int>(std::max<int64_t>(1, s.count()));
          return store::ok_status();
        }
        if (auto p = db_.put_rate_limit({link_.kind, link_id, lt - 1.0, now, 0, 0, now}); !p)
          return p;
        if (auto p = db_.put_rate_limit({client_.kind, client, ct - 1.0, now, 0, 0, now}); !p)
          return p;
        if (now < next_purge_ms_.load(std::memory_order_relaxed)) return store::ok_status();
        return purge();  // joins this transaction
      });
  if (!st) {
    // The view reads the link from the same store next and answers 503.
    log::warn("share_link.limit_store_unavailable", {{"error", st.error().message}});
    return 0;
  }
  return wait;
}

store::Status DbShareLinkLimiter::purge() {
  const int64_t now = now_();
  // Deletes only, as DbRateLimiter::purge.
  return db_.transaction_on({}, [&]() -> store::Status {
    next_purge_ms_.store(now + kPurgeEveryMs, std::memory_order_relaxed);
    for (const DbBucket* b : {&link_, &client_}) {
      if (auto n = db_.purge_rate_limits(b->kind, now - b->idle_ms()); !n) return n.error();
    }
    return store::ok_status();
  });
}

}  // namespace vitrine::server
