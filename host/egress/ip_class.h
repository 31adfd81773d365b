// Classifies resolved IPv4 and IPv6 addresses into named special-purpose
// classes (IANA IPv4/IPv6 Special-Purpose Address Registries, RFC 6890 and
// successors). The egress policy refuses to connect when any resolved
// address is not public (P7), and names the class in the denial:
// egress-address-<class name>.
//
// The classification is one constexpr table of {prefix, length, class}
// searched for the longest matching prefix, so a reviewer can check every
// range against the registry line by line. Translation forms that carry an
// IPv4 address inside an IPv6 one (IPv4-mapped, NAT64 well-known prefix,
// 6to4) are unwrapped and the embedded IPv4 address decides, because that is
// where the packets end up.
#pragma once

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace Poco::Net {
class IPAddress;
}

namespace vitrine::egress {

enum class IpClass : uint8_t {
  public_,          // globally reachable unicast
  unspecified,      // 0.0.0.0/32, ::/128
  this_network,     // 0.0.0.0/8
  loopback,         // 127.0.0.0/8, ::1/128
  private_rfc1918,  // 10/8, 172.16/12, 192.168/16
  cgnat,            // 100.64.0.0/10 shared address space
  link_local,       // 169.254/16, fe80::/10
  cloud_metadata,   // 169.254.169.254/32 (cloud instance metadata services)
  ietf_protocol,    // 192.0.0.0/24, 2001::/23 (protocol assignments)
  documentation,    // TEST-NET-1/2/3, 2001:db8::/32, 3fff::/20
  benchmarking,     // 198.18.0.0/15, 2001:2::/48
  multicast,        // 224.0.0.0/4, ff00::/8
  reserved,         // 240.0.0.0/4; IPv6 outside 2000::/3 not listed otherwise
  broadcast,        // 255.255.255.255/32
  relay_6to4,       // 192.88.99.0/24 (deprecated 6to4 relay anycast)
  ipv4_compatible,  // ::/96 (deprecated IPv4-compatible IPv6)
  ipv4_translated,  // ::ffff:0:0:0/96 (SIIT)
  discard_only,     // 100::/64
  teredo,           // 2001::/32
  orchid,           // 2001:10::/28, 2001:20::/28
  nat64_local,      // 64:ff9b:1::/48 (local-use NAT64, RFC 8215)
  ula,              // fc00::/7 unique local
  site_local,       // fec0::/10 (deprecated)
  srv6_sid,         // 5f00::/16 segment routing SIDs
};

// The stable name used in rule ids and messages, e.g. "private-rfc1918".
std::string_view class_name(IpClass c);
// The RFC that defines the range, e.g. "RFC 1918".
std::string_view class_rfc(IpClass c);

struct IpClassification {
  IpClass klass = IpClass::public_;
  bool is_public() const { return klass == IpClass::public_; }
  // For unwrapped forms: "ipv4-mapped", "nat64" or "6to4"; empty otherwise.
  std::string_view via;
  // For unwrapped forms: the embedded IPv4 address that was classified.
  std::optional<std::array<uint8_t, 4>> embedded_v4;
};

IpClassification classify_v4(const std::array<uint8_t, 4>& a);
IpClassification classify_v6(const std::array<uint8_t, 16>& a);
IpClassification classify(const in_addr& a);
IpClassification classify(const in6_addr& a);
IpClassification classify(const Poco::Net::IPAddress& a);

// "loopback (RFC 1122)", or "loopback (RFC 1122) via ipv4-mapped 127.0.0.1".
std::string describe(const IpClassification& c);

}  // namespace vitrine::egress
