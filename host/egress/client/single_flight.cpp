#include "egress/client/single_flight.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "digest/sha256.h"

namespace vitrine::egress::client {
namespace {

// Length-prefixed fields ("<decimal length>:<bytes>"), so a body or reason
// can hold any byte, including the separator.
void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

bool take(std::string_view& in, std::string& field) {
  const auto colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 20) return false;
  std::size_t len = 0;
  const auto [end, ec] = std::from_chars(in.data(), in.data() + colon, len);
  if (ec != std::errc() || end != in.data() + colon || len > in.size() - colon - 1) return false;
  field.assign(in.substr(colon + 1, len));
  in.remove_prefix(colon + 1 + len);
  return true;
}

constexpr std::string_view kFormat = "vitrine.exchange/1";

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ExchangeResult timed_out(const char* whose) {
  return total_deadline_passed(std::string("the identical request ") + whose +
                               " did not finish before this fetch's deadline; the server is too "
                               "slow or stalled: check it, or raise the macro's timeout");
}

}  // namespace

std::string flight_key(std::string_view method, std::string_view canonical_url,
                       uint16_t connect_port, const std::vector<Header>& headers,
                       const std::string* bearer_token) {
  std::string key;
  put(key, method);
  put(key, canonical_url);
  put(key, std::to_string(connect_port));
  put(key, std::to_string(headers.size()));
  for (const auto& h : headers) {
    put(key, h.name);
    put(key, h.value);
  }
  // The token itself never enters the key (keys name store rows); its hash
  // tells two credentials apart.
  put(key, bearer_token == nullptr ? std::string("none")
                                   : "bearer " + digest::sha256_hex(*bearer_token));
  return key;
}

std::string encode_exchange(const ExchangeResult& r) {
  std::string out;
  put(out, kFormat);
  put(out, std::to_string(static_cast<int>(r.outcome)));
  put(out, r.rule);
  put(out, r.reason);
  put(out, std::to_string(r.response.status));
  const std::string* ct = r.response.header("content-type");
  const std::string* location = r.response.header("location");
  put(out, ct != nullptr ? *ct : std::string());
  put(out, location != nullptr ? *location : std::string());
  put(out, r.response.body);
  return out;
}

std::optional<ExchangeResult> decode_exchange(std::string_view in) {
  std::string format, outcome, status, ct, location;
  ExchangeResult r;
  if (!take(in, format) || format != kFormat || !take(in, outcome) || !take(in, r.rule) ||
      !take(in, r.reason) || !take(in, status) || !take(in, ct) || !take(in, location) ||
      !take(in, r.response.body) || !in.empty()) {
    return std::nullopt;
  }
  int o = 0;
  if (std::from_chars(outcome.data(), outcome.data() + outcome.size(), o).ec != std::errc() ||
      o < static_cast<int>(Outcome::ok) || o > static_cast<int>(Outcome::internal) ||
      std::from_chars(status.data(), status.data() + status.size(), r.response.status).ec !=
          std::errc()) {
    return std::nullopt;
  }
  r.outcome = static_cast<Outcome>(o);
  if (!ct.empty()) r.response.headers.emplace_back(ResponseHeader{"content-type", std::move(ct)});
  if (!location.empty()) {
    r.response.headers.emplace_back(ResponseHeader{"location", std::move(location)});
  }
  return r;
}

std::size_t SingleFlight::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

uint64_t SingleFlight::shared_in_process() const {
  std::lock_guard lock(mu_);
  return shared_in_process_;
}

uint64_t SingleFlight::shared_from_store() const {
  std::lock_guard lock(mu_);
  return shared_from_store_;
}

ExchangeResult SingleFlight::run(const std::string& space, const std::string& key,
                                 Clock::time_point deadline, int64_t from_ms,
                                 const Exchange& exchange) {
  // Length-prefixed, so no space key and request can run together.
  std::string map_key;
  put(map_key, space);
  map_key += key;
  // UF-9: the oldest response that may answer this request. One received
  // in the very millisecond from_ms names does not (a refresh begun then).
  const int64_t reusable_from =
      std::max(from_ms > 0 ? from_ms + 1 : 0, unix_now_ms() - reuse_window_.count());
  for (;;) {
    std::shared_ptr<Flight> flight;
    std::shared_ptr<const ExchangeResult> recent;
    bool leader = false;
    {
      std::lock_guard lock(mu_);
      // UF-9: a response received just before this request began answers
      // it, unless the request wants a newer one.
      if (reuse_window_.count() > 0) {
        if (auto it = recent_.find(map_key);
            it != recent_.end() && it->second.received_ms >= reusable_from) {
          recent = it->second.result;
          ++shared_in_process_;
        }
      }
      if (!recent) {
        auto& slot = flights_[map_key];
        if (!slot) {
          slot = std::make_shared<Flight>();
          slot->deadline = deadline;
          leader = true;
        } else {
          ++waiting_;
        }
        flight = slot;
      }
    }
    if (recent) {
      if (on_shared_) on_shared_(false);
      return *recent;
    }
    if (leader) {
      // Whatever happens in the exchange, the waiters are answered and the
      // key is free again: a stuck entry would make every later request of
      // the key wait for nothing.
      struct Finish {
        SingleFlight& self;
        const std::string& map_key;
        Flight& flight;
        ExchangeResult result;
        bool sent_here = false;  // kept for reuse only when this host asked
        ~Finish() {
          {
            std::lock_guard lock(flight.mu);
            try {
              flight.result = result;
            } catch (...) {
              flight.result = ExchangeResult{};  // internal: out of memory copying
            }
            flight.done = true;
          }
          flight.cv.notify_all();
          std::lock_guard lock(self.mu_);
          self.flights_.erase(map_key);
          if (sent_here) {
            try {
              self.keep_recent(map_key, result, unix_now_ms());
            } catch (...) {
              // out of memory copying: the next request asks again
            }
          }
        }
      } finish{*this, map_key, *flight, {}};
      finish.result.outcome = Outcome::internal;
      finish.result.rule = "egress-internal";
      finish.result.reason = "internal error in the egress fetcher";
      try {
        finish.result = lead(space, key, deadline, from_ms, exchange, finish.sent_here);
      } catch (...) {
        finish.sent_here = false;  // finish keeps the internal error
      }
      return finish.result;
    }
    ExchangeResult result;
    bool retry = false;
    bool answered = false;
    {
      std::unique_lock lock(flight->mu);
      answered = flight->cv.wait_until(lock, deadline, [&] { return flight->done; });
      if (answered) {
        // UF-4: the leader's own, shorter deadline is not this request's.
        retry = flight->result.outcome == Outcome::timeout && flight->deadline < deadline;
        if (!retry) result = flight->result;
      }
    }
    {
      std::lock_guard lock(mu_);
      --waiting_;
      if (answered && !retry) ++shared_in_process_;
    }
    if (!answered) return timed_out("in flight");
    if (retry) continue;
    if (on_shared_) on_shared_(false);
    return result;
  }
}

void SingleFlight::keep_recent(const std::string& map_key, const ExchangeResult& result,
                               int64_t now_ms) {
  if (reuse_window_.count() <= 0) return;
  // A timeout is this request's deadline, not the resource's answer.
  if (result.outcome == Outcome::timeout || result.outcome == Outcome::internal) return;
  for (auto it = recent_.begin(); it != recent_.end();) {
    if (it->second.received_ms < now_ms - reuse_window_.count() || it->first == map_key) {
      recent_bytes_ -= it->second.result->response.body.size();
      it = recent_.erase(it);
    } else {
      ++it;
    }
  }
  const std::size_t bytes = result.response.body.size();
  if (bytes > kMaxRecentBytes) return;
  while (recent_bytes_ + bytes > kMaxRecentBytes && !recent_.empty()) {
    auto oldest = recent_.begin();
    for (auto it = recent_.begin(); it != recent_.end(); ++it) {
      if (it->second.received_ms < oldest->second.received_ms) oldest = it;
    }
    recent_bytes_ -= oldest->second.result->response.body.size();
    recent_.erase(oldest);
  }
  recent_.emplace(map_key, Recent{now_ms, std::make_shared<const ExchangeResult>(result)});
  recent_bytes_ += bytes;
}

ExchangeResult SingleFlight::lead(const std::string& space, const std::string& key,
                                  Clock::time_point deadline, int64_t from_ms,
                                  const Exchange& exchange, bool& sent_here) {
  sent_here = false;
  if (cluster_ == nullptr) {
    sent_here = true;
    return exchange();
  }
  const std::string key_hash = digest::sha256_hex(key);
  SharedFlights::Claim claim = cluster_->claim(space, key_hash, deadline, from_ms);
  if (claim.kind == SharedFlights::Kind::timed_out) return timed_out("of another host");
  if (claim.kind == SharedFlights::Kind::shared) {
    if (auto shared = decode_exchange(claim.payload)) {
      {
        std::lock_guard lock(mu_);
        ++shared_from_store_;
      }
      if (on_shared_) on_shared_(true);
      // Not kept in this process: the row holds it, with its own age.
      return std::move(*shared);
    }
    // Unreadable (another version's format): send the request here, and
    // leave the other host's response in place for those that read it.
    sent_here = true;
    return exchange();
  }
  sent_here = true;
  ExchangeResult r = exchange();
  if (r.outcome == Outcome::timeout) {
    // This host's deadline, not the resource's answer: the others send it.
    cluster_->abandon(space, key_hash);
  } else {
    cluster_->publish(space, key_hash, encode_exchange(r));
  }
  return r;
}

}  // namespace vitrine::egress::client
