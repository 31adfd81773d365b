#include "server/net/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace vitrine::server::net {
namespace {

IpAddress mapped_v4(const void* four_bytes) {
  IpAddress a;
  a.bytes[10] = 0xff;
  a.bytes[11] = 0xff;
  std::memcpy(a.bytes.data() + 12, four_bytes, 4);
  return a;
}

bool is_mapped_v4(const IpAddress& a) {
  for (int i = 0; i < 10; ++i) {
    if (a.bytes[static_cast<std::size_t>(i)] != 0) return false;
  }
  return a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}

}  // namespace

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_mapped_v4(*this)) {
    ::inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::size_t IpAddressHash::operator()(const IpAddress& a) const noexcept {
  // FNV-1a over the 16 bytes: cheap, and the table is bounded anyway.
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint8_t b : a.bytes) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  in_addr v4{};
  if (::inet_pton(AF_INET, buf, &v4) == 1) return mapped_v4(&v4);
  IpAddress a;
  if (::inet_pton(AF_INET6, buf, a.bytes.data()) == 1) return a;
  return std::nullopt;
}

IpAddress ip_of(const sockaddr_storage& peer) {
  if (peer.ss_family == AF_INET) {
    return mapped_v4(&reinterpret_cast<const sockaddr_in*>(&peer)->sin_addr);
  }
  IpAddress a;
  if (peer.ss_family == AF_INET6) {
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr, 16);
  }
  return a;
}

bool Cidr::contains(const IpAddress& a) const {
  const int whole = prefix / 8;
  for (int i = 0; i < whole; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (a.bytes[k] != base.bytes[k]) return false;
  }
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  const auto k = static_cast<std::size_t>(whole);
  return (a.bytes[k] & mask) == base.bytes[k];
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  const int width = v4 ? 32 : 128;
  int prefix = width;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > width) {
      return std::nullopt;
    }
  }
  Cidr block;
  block.prefix = v4 ? prefix + 96 : prefix;
  block.base = *address;
  for (int bit = block.prefix; bit < 128; ++bit) {
    block.base.bytes[static_cast<std::size_t>(bit / 8)] &=
        static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  return block;
}

AddressSet::AddressSet(const std::vector<std::string>& blocks) {
  for (const auto& text : blocks) {
    auto block = parse_cidr(text);
    if (!block) {
      throw std::invalid_argument("'" + text +
                                  "' is not an address or address block (e.g. 10.0.0.0/8) "
                                  "[config-trusted-proxies]");
    }
    blocks_.push_back(*block);
  }
}

bool AddressSet::contains(const IpAddress& a) const {
  for (const auto& block : blocks_) {
    if (block.contains(a)) return true;
  }
  return false;
}

}  // namespace vitrine::server::net
