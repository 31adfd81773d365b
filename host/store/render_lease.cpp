#include "store/render_lease.h"

#include <thread>

#include "digest/sha256.h"
#include "store/holder.h"
#include "store/json_log.h"

namespace vitrine::store {

RenderLeases::RenderLeases(Context ctx, RenderLeaseOptions options, std::string holder)
    : ctx_(std::move(ctx)),
      opt_(options),
      holder_(holder.empty() ? process_holder_name() : std::move(holder)) {}

RenderLeases::Claim RenderLeases::claim(const std::string& space, const std::string& plugin_id,
                                        std::string_view key,
                                        std::chrono::steady_clock::time_point deadline,
                                        const std::function<bool()>& filled) {
  const std::string key_hash = digest::sha256_hex(key);
  for (;;) {
    const int64_t now = ctx_.now();
    auto taken =
        ctx_.db.take_render_lease(space, plugin_id, key_hash, holder_, now, now + opt_.lease_ms);
    if (!taken) {
      // RL-5: the store is the one thing that could coordinate; without it
      // the page still renders.
      if (ctx_.log) {
        ctx_.log->warn("render_lease_unavailable",
                       {{"space", space}, {"plugin", plugin_id}, {"error", taken.error().message}});
      }
      return Claim::render;
    }
    if (*taken) {
      // The entry may have been filled between the caller's cache miss and
      // this take (the previous holder finished and released): use it.
      if (filled()) {
        release(space, plugin_id, key);
        return Claim::filled;
      }
      return Claim::render;
    }
    if (filled()) return Claim::filled;
    if (std::chrono::steady_clock::now() >= deadline) return Claim::timed_out;
    const auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(opt_.poll_ms);
    std::this_thread::sleep_until(std::min(next, deadline));
    if (filled()) return Claim::filled;
  }
}

void RenderLeases::release(const std::string& space, const std::string& plugin_id,
                           std::string_view key) {
  auto st = ctx_.db.release_render_lease(space, plugin_id, digest::sha256_hex(key), holder_);
  if (!st && ctx_.log) {
    // The lease then expires by itself after lease_ms (RL-2).
    ctx_.log->warn("render_lease_release_failed",
                   {{"space", space}, {"plugin", plugin_id}, {"error", st.error().message}});
  }
}

}  // namespace vitrine::store
