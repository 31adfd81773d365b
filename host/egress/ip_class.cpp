#include "egress/ip_class.h"

#include <Poco/Net/IPAddress.h>

#include <cstring>
#include <string>

namespace vitrine::egress {
namespace {

struct ClassInfo {
  IpClass klass;
  std::string_view name;
  std::string_view rfc;
};

// Names are part of rule ids (egress-address-<name>): never rename one.
constexpr ClassInfo kClassInfo[] = {
    {IpClass::public_, "public", "-"},
    {IpClass::unspecified, "unspecified", "RFC 1122 / RFC 4291"},
    {IpClass::this_network, "this-network", "RFC 791"},
    {IpClass::loopback, "loopback", "RFC 1122 / RFC 4291"},
    {IpClass::private_rfc1918, "private-rfc1918", "RFC 1918"},
    {IpClass::cgnat, "cgnat", "RFC 6598"},
    {IpClass::link_local, "link-local", "RFC 3927 / RFC 4291"},
    {IpClass::cloud_metadata, "cloud-metadata", "RFC 3927 (instance metadata service)"},
    {IpClass::ietf_protocol, "ietf-protocol", "RFC 6890 / RFC 2928"},
    {IpClass::documentation, "documentation", "RFC 5737 / RFC 3849 / RFC 9637"},
    {IpClass::benchmarking, "benchmarking", "RFC 2544 / RFC 5180"},
    {IpClass::multicast, "multicast", "RFC 5771 / RFC 4291"},
    {IpClass::reserved, "reserved", "RFC 1112 / RFC 4291"},
    {IpClass::broadcast, "broadcast", "RFC 919"},
    {IpClass::relay_6to4, "6to4-relay", "RFC 7526"},
    {IpClass::ipv4_compatible, "ipv4-compatible", "RFC 4291"},
    {IpClass::ipv4_translated, "ipv4-translated", "RFC 2765"},
    {IpClass::discard_only, "discard-only", "RFC 6666"},
    {IpClass::teredo, "teredo", "RFC 4380"},
    {IpClass::orchid, "orchid", "RFC 4843 / RFC 7343"},
    {IpClass::nat64_local, "nat64-local", "RFC 8215"},
    {IpClass::ula, "ula", "RFC 4193"},
    {IpClass::site_local, "site-local", "RFC 3879"},
    {IpClass::srv6_sid, "srv6-sid", "RFC 9602"},
};

const ClassInfo& info(IpClass c) {
  for (const auto& i : kClassInfo) {
    if (i.klass == c) return i;
  }
  return kClassInfo[0];
}

// What to do on a match: decide the class, or unwrap an embedded IPv4
// address found at byte `v4_offset` of the IPv6 address and classify that.
enum class Action : uint8_t { classify, unwrap };

struct Range {
  std::array<uint8_t, 16> prefix;  // IPv4 ranges use the first 4 bytes
  uint8_t length;                  // prefix length in bits
  IpClass klass;
  Action action;
  uint8_t v4_offset;     // for unwrap
  std::string_view via;  // for unwrap
};

constexpr Range v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len, IpClass k) {
  return Range{{a, b, c, d}, len, k, Action::classify, 0, {}};
}

// IPv6 prefixes are written as eight 16-bit groups, like the registry.
constexpr Range v6(std::array<uint16_t, 8> g, uint8_t len, IpClass k) {
  Range r{{}, len, k, Action::classify, 0, {}};
  for (std::size_t i = 0; i < 8; ++i) {
    r.prefix[2 * i] = static_cast<uint8_t>(g[i] >> 8);
    r.prefix[2 * i + 1] = static_cast<uint8_t>(g[i] & 0xFF);
  }
  return r;
}

constexpr Range unwrap(std::array<uint16_t, 8> g, uint8_t len, uint8_t offset,
                       std::string_view via) {
  Range r = v6(g, len, IpClass::public_);
  r.action = Action::unwrap;
  r.v4_offset = offset;
  r.via = via;
  return r;
}

using C = IpClass;

// IANA IPv4 Special-Purpose Address Registry. Longest prefix wins; the /0
// default row makes everything else public.
constexpr Range kV4Table[] = {
    v4(0, 0, 0, 0, 0, C::public_),
    v4(0, 0, 0, 0, 8, C::this_network),
    v4(0, 0, 0, 0, 32, C::unspecified),
    v4(10, 0, 0, 0, 8, C::private_rfc1918),
    v4(100, 64, 0, 0, 10, C::cgnat),
    v4(127, 0, 0, 0, 8, C::loopback),
    v4(169, 254, 0, 0, 16, C::link_local),
    v4(169, 254, 169, 254, 32, C::cloud_metadata),
    v4(172, 16, 0, 0, 12, C::private_rfc1918),
    v4(192, 0, 0, 0, 24, C::ietf_protocol),
    v4(192, 0, 2, 0, 24, C::documentation),
    v4(192, 88, 99, 0, 24, C::relay_6to4),
    v4(192, 168, 0, 0, 16, C::private_rfc1918),
    v4(198, 18, 0, 0, 15, C::benchmarking),
    v4(198, 51, 100, 0, 24, C::documentation),
    v4(203, 0, 113, 0, 24, C::documentation),
    v4(224, 0, 0, 0, 4, C::multicast),
    v4(240, 0, 0, 0, 4, C::reserved),
    v4(255, 255, 255, 255, 32, C::broadcast),
};

// IANA IPv6 Special-Purpose Address Registry. Only 2000::/3 is global
// unicast; everything outside it not listed here is reserved.
constexpr Range kV6Table[] = {
    v6({0, 0, 0, 0, 0, 0, 0, 0}, 0, C::reserved),
    v6({0x2000, 0, 0, 0, 0, 0, 0, 0}, 3, C::public_),
    v6({0, 0, 0, 0, 0, 0, 0, 0}, 128, C::unspecified),
    v6({0, 0, 0, 0, 0, 0, 0, 1}, 128, C::loopback),
    // ::/96 minus the two rows above: deprecated IPv4-compatible addresses.
    // Some stacks still route ::127.0.0.1 to loopback, so never public.
    v6({0, 0, 0, 0, 0, 0, 0, 0}, 96, C::ipv4_compatible),
    unwrap({0, 0, 0, 0, 0, 0xFFFF, 0, 0}, 96, 12, "ipv4-mapped"),
    v6({0, 0, 0, 0, 0xFFFF, 0, 0, 0}, 96, C::ipv4_translated),
    unwrap({0x64, 0xFF9B, 0, 0, 0, 0, 0, 0}, 96, 12, "nat64"),
    v6({0x64, 0xFF9B, 1, 0, 0, 0, 0, 0}, 48, C::nat64_local),
    v6({0x100, 0, 0, 0, 0, 0, 0, 0}, 64, C::discard_only),
    v6({0x2001, 0, 0, 0, 0, 0, 0, 0}, 23, C::ietf_protocol),
    v6({0x2001, 0, 0, 0, 0, 0, 0, 0}, 32, C::teredo),
    v6({0x2001, 0x2, 0, 0, 0, 0, 0, 0}, 48, C::benchmarking),
    v6({0x2001, 0x10, 0, 0, 0, 0, 0, 0}, 28, C::orchid),
    v6({0x2001, 0x20, 0, 0, 0, 0, 0, 0}, 28, C::orchid),
    v6({0x2001, 0xDB8, 0, 0, 0, 0, 0, 0}, 32, C::documentation),
    unwrap({0x2002, 0, 0, 0, 0, 0, 0, 0}, 16, 2, "6to4"),
    v6({0x3FFF, 0, 0, 0, 0, 0, 0, 0}, 20, C::documentation),
    v6({0x5F00, 0, 0, 0, 0, 0, 0, 0}, 16, C::srv6_sid),
    v6({0xFC00, 0, 0, 0, 0, 0, 0, 0}, 7, C::ula),
    v6({0xFE80, 0, 0, 0, 0, 0, 0, 0}, 10, C::link_local),
    v6({0xFEC0, 0, 0, 0, 0, 0, 0, 0}, 10, C::site_local),
    v6({0xFF00, 0, 0, 0, 0, 0, 0, 0}, 8, C::multicast),
};

bool matches(const uint8_t* addr, const Range& r) {
  const unsigned full = r.length / 8;
  const unsigned bits = r.length % 8;
  if (std::memcmp(addr, r.prefix.data(), full) != 0) return false;
  if (bits == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - bits));
  return (addr[full] & mask) == (r.prefix[full] & mask);
}

template <std::size_t N>
const Range& longest_match(const uint8_t* addr, const Range (&table)[N]) {
  const Range* best = &table[0];  // the /0 row always matches
  for (const Range& r : table) {
    if (r.length >= best->length && matches(addr, r)) best = &r;
  }
  return *best;
}

}  // namespace

std::string_view class_name(IpClass c) { return info(c).name; }
std::string_view class_rfc(IpClass c) { return info(c).rfc; }

IpClassification classify_v4(const std::array<uint8_t, 4>& a) {
  IpClassification out;
  out.klass = longest_match(a.data(), kV4Table).klass;
  return out;
}

IpClassification classify_v6(const std::array<uint8_t, 16>& a) {
  const Range& r = longest_match(a.data(), kV6Table);
  if (r.action == Action::classify) {
    IpClassification out;
    out.klass = r.klass;
    return out;
  }
  std::array<uint8_t, 4> inner{};
  std::memcpy(inner.data(), a.data() + r.v4_offset, 4);
  IpClassification out = classify_v4(inner);
  out.via = r.via;
  out.embedded_v4 = inner;
  return out;
}

IpClassification classify(const in_addr& a) {
  std::array<uint8_t, 4> b{};
  std::memcpy(b.data(), &a.s_addr, 4);  // s_addr is in network byte order
  return classify_v4(b);
}

IpClassification classify(const in6_addr& a) {
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), a.s6_addr, 16);
  return classify_v6(b);
}

IpClassification classify(const Poco::Net::IPAddress& a) {
  if (a.family() == Poco::Net::IPAddress::IPv4) {
    std::array<uint8_t, 4> b{};
    std::memcpy(b.data(), a.addr(), 4);
    return classify_v4(b);
  }
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), a.addr(), 16);
  return classify_v6(b);
}

std::string describe(const IpClassification& c) {
  std::string s(class_name(c.klass));
  s += " (";
  s += class_rfc(c.klass);
  s += ")";
  if (!c.via.empty() && c.embedded_v4) {
    const auto& v = *c.embedded_v4;
    s += " via ";
    s += c.via;
    s += " ";
    s += std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]) + "." +
         std::to_string(v[3]);
  }
  return s;
}

}  // namespace vitrine::egress
