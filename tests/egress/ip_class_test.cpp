// The IP classifier table (egress-address-<class>, P7): every special-purpose
// range, both boundaries where a neighbour is public, and the IPv6 forms that
// carry an IPv4 address (IPv4-mapped, NAT64, 6to4), which are unwrapped.
#include "egress/ip_class.h"

#include <Poco/Net/IPAddress.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace vitrine::egress {
namespace {

struct Case {
  std::string address;
  std::string klass;  // class_name()
  std::string via;    // "", "ipv4-mapped", "nat64", "6to4"
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      // ---- IPv4
      {"0.0.0.0", "unspecified", ""},
      {"0.0.0.1", "this-network", ""},
      {"0.255.255.255", "this-network", ""},
      {"1.0.0.0", "public", ""},
      {"1.1.1.1", "public", ""},
      {"8.8.8.8", "public", ""},
      {"9.255.255.255", "public", ""},
      {"10.0.0.0", "private-rfc1918", ""},
      {"10.255.255.255", "private-rfc1918", ""},
      {"11.0.0.0", "public", ""},
      {"100.63.255.255", "public", ""},
      {"100.64.0.0", "cgnat", ""},
      {"100.100.100.200", "cgnat", ""},
      {"100.127.255.255", "cgnat", ""},
      {"100.128.0.0", "public", ""},
      {"126.255.255.255", "public", ""},
      {"127.0.0.0", "loopback", ""},
      {"127.0.0.1", "loopback", ""},
      {"127.255.255.255", "loopback", ""},
      {"128.0.0.0", "public", ""},
      {"169.253.255.255", "public", ""},
      {"169.254.0.0", "link-local", ""},
      {"169.254.169.253", "link-local", ""},
      {"169.254.169.254", "cloud-metadata", ""},
      {"169.254.169.255", "link-local", ""},
      {"169.254.255.255", "link-local", ""},
      {"169.255.0.0", "public", ""},
      {"172.15.255.255", "public", ""},
      {"172.16.0.0", "private-rfc1918", ""},
      {"172.31.255.255", "private-rfc1918", ""},
      {"172.32.0.0", "public", ""},
      {"191.255.255.255", "public", ""},
      {"192.0.0.0", "ietf-protocol", ""},
      {"192.0.0.170", "ietf-protocol", ""},
      {"192.0.0.255", "ietf-protocol", ""},
      {"192.0.1.0", "public", ""},
      {"192.0.2.0", "documentation", ""},
      {"192.0.2.255", "documentation", ""},
      {"192.0.3.0", "public", ""},
      {"192.88.98.255", "public", ""},
      {"192.88.99.0", "6to4-relay", ""},
      {"192.88.99.255", "6to4-relay", ""},
      {"192.88.100.0", "public", ""},
      {"192.167.255.255", "public", ""},
      {"192.168.0.0", "private-rfc1918", ""},
      {"192.168.1.1", "private-rfc1918", ""},
      {"192.168.255.255", "private-rfc1918", ""},
      {"192.169.0.0", "public", ""},
      {"198.17.255.255", "public", ""},
      {"198.18.0.0", "benchmarking", ""},
      {"198.19.255.255", "benchmarking", ""},
      {"198.20.0.0", "public", ""},
      {"198.51.99.255", "public", ""},
      {"198.51.100.0", "documentation", ""},
      {"198.51.100.255", "documentation", ""},
      {"198.51.101.0", "public", ""},
      {"203.0.112.255", "public", ""},
      {"203.0.113.0", "documentation", ""},
      {"203.0.113.255", "documentation", ""},
      {"203.0.114.0", "public", ""},
      {"223.255.255.255", "public", ""},
      {"224.0.0.0", "multicast", ""},
      {"233.252.0.1", "multicast", ""},
      {"239.255.255.255", "multicast", ""},
      {"240.0.0.0", "reserved", ""},
      {"255.255.255.254", "reserved", ""},
      {"255.255.255.255", "broadcast", ""},

      // ---- IPv6
      {"::", "unspecified", ""},
      {"::1", "loopback", ""},
      {"::2", "ipv4-compatible", ""},
      {"::7f00:1", "ipv4-compatible", ""},
      {"::808:808", "ipv4-compatible", ""},
      {"::1:0:0:0", "reserved", ""},
      {"::ffff:127.0.0.1", "loopback", "ipv4-mapped"},
      {"::ffff:10.0.0.1", "private-rfc1918", "ipv4-mapped"},
      {"::ffff:169.254.169.254", "cloud-metadata", "ipv4-mapped"},
      {"::ffff:100.64.0.1", "cgnat", "ipv4-mapped"},
      {"::ffff:0.0.0.0", "unspecified", "ipv4-mapped"},
      {"::ffff:8.8.8.8", "public", "ipv4-mapped"},
      {"::ffff:0:7f00:1", "ipv4-translated", ""},
      {"64:ff9b::7f00:1", "loopback", "nat64"},
      {"64:ff9b::a00:1", "private-rfc1918", "nat64"},
      {"64:ff9b::a9fe:a9fe", "cloud-metadata", "nat64"},
      {"64:ff9b::808:808", "public", "nat64"},
      {"64:ff9b:0:0:0:1::", "reserved", ""},
      {"64:ff9b:1::", "nat64-local", ""},
      {"64:ff9b:1::808:808", "nat64-local", ""},
      {"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "nat64-local", ""},
      {"64:ff9b:2::", "reserved", ""},
      {"100::", "discard-only", ""},
      {"100::ffff:ffff:ffff:ffff", "discard-only", ""},
      {"100:0:0:1::", "reserved", ""},
      {"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved", ""},
      {"2000::", "public", ""},
      {"2001::", "teredo", ""},
      {"2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo", ""},
      {"2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "teredo", ""},
      {"2001:1::1", "ietf-protocol", ""},
      {"2001:2::", "benchmarking", ""},
      {"2001:2:0:ffff:ffff:ffff:ffff:ffff", "benchmarking", ""},
      {"2001:2:1::", "ietf-protocol", ""},
      {"2001:3::", "ietf-protocol", ""},
      {"2001:10::1", "orchid", ""},
      {"2001:1f:ffff::", "orchid", ""},
      {"2001:20::1", "orchid", ""},
      {"2001:2f:ffff::", "orchid", ""},
      {"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "ietf-protocol", ""},
      {"2001:200::", "public", ""},
      {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "public", ""},
      {"2001:db8::", "documentation", ""},
      {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "documentation", ""},
      {"2001:db9::", "public", ""},
      {"2002:7f00:1::", "loopback", "6to4"},
      {"2002:a00:1::1", "private-rfc1918", "6to4"},
      {"2002:c0a8:101::", "private-rfc1918", "6to4"},
      {"2002:a9fe:a9fe::", "cloud-metadata", "6to4"},
      {"2002:808:808::", "public", "6to4"},
      {"2003::", "public", ""},
      {"2606:4700:4700::1111", "public", ""},
      {"2a00:1450:4001::1", "public", ""},
      {"3ffe:ffff::", "public", ""},
      {"3fff::", "documentation", ""},
      {"3fff:fff:ffff::", "documentation", ""},
      {"3fff:1000::", "public", ""},
      {"4000::", "reserved", ""},
      {"5f00::", "srv6-sid", ""},
      {"5f00:ffff::", "srv6-sid", ""},
      {"5f01::", "reserved", ""},
      {"e000::", "reserved", ""},
      {"fbff:ffff::", "reserved", ""},
      {"fc00::", "ula", ""},
      {"fd00:ec2::254", "ula", ""},
      {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ula", ""},
      {"fe00::", "reserved", ""},
      {"fe7f:ffff::", "reserved", ""},
      {"fe80::", "link-local", ""},
      {"fe80::1", "link-local", ""},
      {"febf:ffff::", "link-local", ""},
      {"fec0::1", "site-local", ""},
      {"feff:ffff::", "site-local", ""},
      {"ff00::", "multicast", ""},
      {"ff02::1", "multicast", ""},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast", ""},
  };
  return c;
}

class IpClassTable : public ::testing::TestWithParam<std::size_t> {};

TEST_P(IpClassTable, ClassAndUnwrap) {
  const Case& c = cases()[GetParam()];
  const Poco::Net::IPAddress a(c.address);
  const IpClassification got = classify(a);
  EXPECT_EQ(class_name(got.klass), c.klass) << c.address;
  EXPECT_EQ(got.via, c.via) << c.address;
  EXPECT_EQ(got.is_public(), c.klass == "public") << c.address;

  // The in_addr / in6_addr overloads agree with the Poco one.
  if (a.family() == Poco::Net::IPAddress::IPv4) {
    in_addr raw{};
    ASSERT_EQ(inet_pton(AF_INET, c.address.c_str(), &raw), 1);
    EXPECT_EQ(classify(raw).klass, got.klass);
  } else {
    in6_addr raw{};
    ASSERT_EQ(inet_pton(AF_INET6, c.address.c_str(), &raw), 1);
    EXPECT_EQ(classify(raw).klass, got.klass);
  }
}

std::string case_name(const ::testing::TestParamInfo<std::size_t>& info) {
  std::string n = "egress_address_" + cases()[info.param].klass + "_" + cases()[info.param].address;
  for (char& ch : n) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(EgressAddress, IpClassTable,
                         ::testing::Range<std::size_t>(0, cases().size()), case_name);

TEST(EgressAddressDescribe, NamesTheEmbeddedAddress) {
  const auto c = classify(Poco::Net::IPAddress("::ffff:127.0.0.1"));
  EXPECT_EQ(describe(c), "loopback (RFC 1122 / RFC 4291) via ipv4-mapped 127.0.0.1");
  EXPECT_EQ(describe(classify(Poco::Net::IPAddress("10.1.2.3"))), "private-rfc1918 (RFC 1918)");
}

TEST(EgressAddressNames, EveryClassHasADistinctName) {
  std::vector<std::string> names;
  for (int i = 0; i <= static_cast<int>(IpClass::srv6_sid); ++i) {
    const auto n = std::string(class_name(static_cast<IpClass>(i)));
    EXPECT_FALSE(n.empty());
    EXPECT_NE(class_rfc(static_cast<IpClass>(i)), "");
    EXPECT_EQ(std::count(names.begin(), names.end(), n), 0) << n;
    names.push_back(n);
  }
}

}  // namespace
}  // namespace vitrine::egress
