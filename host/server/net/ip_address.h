// Client addresses for the per-client limits: an IPv4 or IPv6 address as
// 16 bytes (IPv4 as ::ffff:a.b.c.d, so one key type serves both listener
// families), and address blocks (CIDR) for server.trusted_proxies.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::server::net {

struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};

  bool operator==(const IpAddress&) const = default;
  // "127.0.0.1" for mapped IPv4, "::1" style otherwise.
  std::string to_string() const;
};

struct IpAddressHash {
  std::size_t operator()(const IpAddress& a) const noexcept;
};

// A numeric IPv4 or IPv6 address; nullopt for anything else (names too).
std::optional<IpAddress> parse_ip(std::string_view text);
// The address of an accepted peer (AF_INET or AF_INET6; others: ::).
IpAddress ip_of(const sockaddr_storage& peer);

// An address block such as 10.0.0.0/8 or fd00::/8; a bare address is a
// block of one.
struct Cidr {
  IpAddress base;    // host bits cleared
  int prefix = 128;  // in bits of the 16-byte form (IPv4 /8 is 104)
  bool contains(const IpAddress& a) const;
};

// nullopt when `text` is not an address or block (or the prefix is out of
// range for its family).
std::optional<Cidr> parse_cidr(std::string_view text);

// The blocks of server.trusted_proxies. Throws std::invalid_argument naming
// the first entry that is not an address block.
class AddressSet {
 public:
  AddressSet() = default;
  explicit AddressSet(const std::vector<std::string>& blocks);
  bool contains(const IpAddress& a) const;
  bool empty() const { return blocks_.empty(); }

 private:
  std::vector<Cidr> blocks_;
};

}  // namespace vitrine::server::net
