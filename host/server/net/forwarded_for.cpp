#include "server/net/forwarded_for.h"

namespace vitrine::server::net {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Some proxies write "[v6]:port" or "v4:port"; the port is not the client.
std::optional<IpAddress> entry_address(std::string_view entry) {
  entry = trim(entry);
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return parse_ip(entry.substr(1, close - 1));
  }
  const auto colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
    entry = entry.substr(0, colon);  // one colon: IPv4 with a port
  }
  return parse_ip(entry);
}

}  // namespace

IpAddress forwarded_client(const IpAddress& peer, std::string_view forwarded_for,
                           const AddressSet& trusted) {
  if (!trusted.contains(peer)) return peer;
  IpAddress client = peer;
  while (!trim(forwarded_for).empty()) {
    const auto comma = forwarded_for.rfind(',');
    const std::string_view entry =
        comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
    forwarded_for =
        comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    const auto address = entry_address(entry);
    if (!address) break;
    client = *address;
    if (!trusted.contains(client)) break;
  }
  return client;
}

}  // namespace vitrine::server::net
