// Rate limits of share-link views (docs/embedding.md#share-links): a token
// bucket per link and one per client address. A view takes one token from
// both; when either is empty the answer is 429 with Retry-After.
//
// ShareLinkLimiter is the interface; the server uses the database one
// (share_links_limiter_db.h) so every host shares the buckets. The memory
// one keeps at most kMaxBuckets of each kind in the process, and when more
// are needed the full ones (idle long enough to have refilled) are dropped
// first.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace vitrine::server {

struct ShareLinkLimits {
  double per_link_per_minute = 120;
  double per_link_burst = 60;
  double per_client_per_minute = 60;
  double per_client_burst = 30;
};

class ShareLinkLimiter {
 public:
  virtual ~ShareLinkLimiter() = default;
  // 0 when the view may go ahead (a token was taken from both buckets);
  // otherwise the seconds until a token is back (>= 1). [thread-safe]
  virtual int take(const std::string& link_id, const std::string& client) = 0;
};

// The in-process limiter.
class MemoryShareLinkLimiter final : public ShareLinkLimiter {
 public:
  static constexpr std::size_t kMaxBuckets = 10000;

  explicit MemoryShareLinkLimiter(ShareLinkLimits limits, std::function<int64_t()> now_ms);

  int take(const std::string& link_id, const std::string& client) override;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at_ms = 0;
  };
  using Buckets = std::map<std::string, Bucket>;
  // Refills `b` to now; returns its tokens.
  static double refill(Bucket& b, double per_minute, double burst, int64_t now);
  static void prune(Buckets& buckets, double per_minute, double burst, int64_t now);

  ShareLinkLimits limits_;
  std::function<int64_t()> now_;
  std::mutex mu_;
  Buckets links_;
  Buckets clients_;
};

}  // namespace vitrine::server
