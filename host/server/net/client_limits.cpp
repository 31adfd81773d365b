#include "server/net/client_limits.h"

#include <algorithm>
#include <cmath>

namespace vitrine::server::net {
namespace {

ClientLimitOptions normalized(ClientLimitOptions o) {
  if (o.requests_per_second > 0 && o.burst < 1) o.burst = std::max(1.0, o.requests_per_second);
  return o;
}

}  // namespace

ClientTable::ClientTable(ClientLimitOptions options) : options_(normalized(options)) {}

ClientTable::Entry* ClientTable::find_or_add(const IpAddress& client, Clock::time_point now) {
  auto it = clients_.find(client);
  if (it != clients_.end()) return &it->second;
  if (clients_.size() >= options_.max_entries) {
    std::erase_if(clients_, [&](const auto& kv) { return idle(kv.second, now); });
    if (clients_.size() >= options_.max_entries) return nullptr;
  }
  Entry& e = clients_[client];
  e.tokens = options_.burst;
  e.refilled = now;
  return &e;
}

void ClientTable::refill(Entry& e, Clock::time_point now) const {
  if (options_.requests_per_second <= 0) return;
  const double elapsed = std::chrono::duration<double>(now - e.refilled).count();
  if (elapsed > 0) {
    e.tokens = std::min(options_.burst, e.tokens + elapsed * options_.requests_per_second);
    e.refilled = now;
  }
}

bool ClientTable::idle(const Entry& e, Clock::time_point now) const {
  if (e.connections > 0) return false;
  if (options_.requests_per_second <= 0) return true;
  const double elapsed = std::chrono::duration<double>(now - e.refilled).count();
  return e.tokens + std::max(0.0, elapsed) * options_.requests_per_second >= options_.burst;
}

ClientTable::Admission ClientTable::open(const IpAddress& client, Clock::time_point now) {
  std::lock_guard lock(mu_);
  Entry* e = find_or_add(client, now);
  if (e == nullptr) return Admission::untracked;
  if (options_.max_connections_per_client > 0 &&
      e->connections >= options_.max_connections_per_client) {
    return Admission::refused;
  }
  ++e->connections;
  return Admission::counted;
}

void ClientTable::close(const IpAddress& client) {
  std::lock_guard lock(mu_);
  auto it = clients_.find(client);
  if (it != clients_.end() && it->second.connections > 0) --it->second.connections;
}

int ClientTable::take(const IpAddress& client, Clock::time_point now) {
  if (options_.requests_per_second <= 0) return 0;
  std::lock_guard lock(mu_);
  Entry* e = find_or_add(client, now);
  if (e == nullptr) return 0;
  refill(*e, now);
  if (e->tokens >= 1) {
    e->tokens -= 1;
    return 0;
  }
  const double wait = (1 - e->tokens) / options_.requests_per_second;
  return std::max(1, static_cast<int>(std::ceil(wait)));
}

void ClientTable::sweep(Clock::time_point now) {
  std::lock_guard lock(mu_);
  std::erase_if(clients_, [&](const auto& kv) { return idle(kv.second, now); });
}

std::size_t ClientTable::size() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

}  // namespace vitrine::server::net
