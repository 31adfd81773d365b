#include "store/upstream_flights.h"

#include <algorithm>
#include <thread>

#include "store/crypto/encoding.h"
#include "store/crypto/secret_box.h"
#include "store/holder.h"
#include "store/json_log.h"

namespace vitrine::store {
namespace {

// UF-7: a record opens only as the response of this table, space and key.
crypto::Binding binding(std::string_view space, std::string_view key_hash) {
  return crypto::Binding{"upstream_flights", space, "", key_hash};
}

}  // namespace

UpstreamFlights::UpstreamFlights(Context ctx, UpstreamFlightOptions options, std::string holder)
    : ctx_(std::move(ctx)),
      opt_(options),
      holder_(holder.empty() ? process_holder_name() : std::move(holder)) {}

void UpstreamFlights::warn(const char* event, std::string_view space, const std::string& error) {
  if (ctx_.log) ctx_.log->warn(event, {{"space", std::string(space)}, {"error", error}});
}

egress::SharedFlights::Claim UpstreamFlights::claim(std::string_view space_view,
                                                    std::string_view key_hash_view,
                                                    std::chrono::steady_clock::time_point deadline,
                                                    int64_t from_ms) {
  const std::string space(space_view);
  const std::string key_hash(key_hash_view);
  auto backoff = std::chrono::milliseconds(opt_.first_poll_ms);
  try {
    // UF-5, UF-9: a response received after this request began answers
    // it, and so does one received within reuse_ms before, unless the
    // request wants one newer than that.
    // One received in the very millisecond from_ms names does not.
    const int64_t started =
        std::max(from_ms > 0 ? from_ms + 1 : 0,
                 ctx_.now() - std::clamp<int64_t>(opt_.reuse_ms, 0, opt_.lease_ms));
    for (;;) {
      const int64_t now = ctx_.now();
      auto taken =
          ctx_.db.take_upstream_flight(space, key_hash, holder_, now, now + opt_.lease_ms, started);
      if (!taken) {
        warn("upstream_flight_unavailable", space, taken.error().message);  // UF-8
        return {};
      }
      if (*taken) return {};  // lead
      auto record = ctx_.db.get_upstream_response(space, key_hash, now, started);
      if (!record) {
        warn("upstream_flight_unavailable", space, record.error().message);  // UF-8
        return {};
      }
      if (!record->empty()) {
        auto ring = ctx_.keyring_for(*record);
        if (!ring) {
          warn("upstream_flight_unreadable", space, ring.error().message);
          return {};
        }
        auto plain = crypto::open(**ring, binding(space, key_hash), *record);
        if (!plain) {
          warn("upstream_flight_unreadable", space, plain.error().message);
          return {};
        }
        return {Kind::shared, std::string(plain->view())};
      }
      // The holder is still sending (UF-5), or died and its lease has not
      // expired yet (UF-6): ask again, more slowly each time.
      const auto at = std::chrono::steady_clock::now();
      if (at >= deadline) return {Kind::timed_out, {}};
      std::this_thread::sleep_until(std::min(at + backoff, deadline));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(opt_.max_poll_ms));
    }
  } catch (const std::exception& e) {
    warn("upstream_flight_unavailable", space, e.what());
    return {};
  }
}

void UpstreamFlights::publish(std::string_view space_view, std::string_view key_hash_view,
                              std::string_view payload) {
  const std::string space(space_view);
  const std::string key_hash(key_hash_view);
  try {
    auto ring = ctx_.keyring();
    if (!ring) {
      // UF-8: nothing can be handed over unsealed; the others take over.
      warn("upstream_flight_unsealed", space, ring.error().message);
      abandon(space, key_hash);
      return;
    }
    auto record = crypto::seal(**ring, binding(space, key_hash), payload);
    if (!record) {
      warn("upstream_flight_unsealed", space, record.error().message);
      abandon(space, key_hash);
      return;
    }
    const int64_t now = ctx_.now();
    if (auto st = ctx_.db.put_upstream_response(space, key_hash, holder_, *record, now,
                                                now + opt_.lease_ms);
        !st) {
      warn("upstream_flight_unavailable", space, st.error().message);
      return;
    }
    // Responses live seconds: a writer clears the ended ones, at most once
    // per lease length per host (one statement fewer on most requests).
    int64_t last = last_purge_ms_.load();
    if (now - last >= opt_.lease_ms && last_purge_ms_.compare_exchange_strong(last, now)) {
      (void)ctx_.db.purge_upstream_flights(now);
    }
  } catch (const std::exception& e) {
    warn("upstream_flight_unavailable", space, e.what());
  }
}

void UpstreamFlights::abandon(std::string_view space, std::string_view key_hash) {
  try {
    if (auto st =
            ctx_.db.release_upstream_flight(std::string(space), std::string(key_hash), holder_);
        !st) {
      // The lease then expires by itself after lease_ms (UF-6).
      warn("upstream_flight_release_failed", space, st.error().message);
    }
  } catch (const std::exception& e) {
    warn("upstream_flight_release_failed", space, e.what());
  }
}

}  // namespace vitrine::store
