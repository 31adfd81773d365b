// The pieces of the per-client limits: address blocks, X-Forwarded-For
// (right-most untrusted address, only from trusted proxies) and the
// per-client table (connection cap, token bucket, bounded memory).
#include "server/net/client_limits.h"

#include <gtest/gtest.h>

#include <chrono>

#include "server/net/forwarded_for.h"
#include "server/net/ip_address.h"

namespace vitrine::server::net {
namespace {

using namespace std::chrono_literals;

IpAddress ip(const char* text) {
  auto a = parse_ip(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(IpAddress{});
}

TEST(IpAddress, Ipv4AndIpv6ParseAndPrint) {
  EXPECT_EQ(ip("192.0.2.7").to_string(), "192.0.2.7");
  EXPECT_EQ(ip("2001:db8::1").to_string(), "2001:db8::1");
  EXPECT_FALSE(parse_ip("example.org"));
  EXPECT_FALSE(parse_ip(""));
  EXPECT_FALSE(parse_ip("1.2.3.4.5"));
}

TEST(IpAddress, CidrContainsItsBlockOnly) {
  auto ten = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(ten);
  EXPECT_TRUE(ten->contains(ip("10.200.3.4")));
  EXPECT_FALSE(ten->contains(ip("11.0.0.1")));
  auto odd = parse_cidr("192.168.1.77/26");  // host bits are ignored
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(ip("192.168.1.64")));
  EXPECT_FALSE(odd->contains(ip("192.168.1.128")));
  auto v6 = parse_cidr("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ip("fd12::1")));
  EXPECT_FALSE(v6->contains(ip("10.0.0.1")));
  EXPECT_FALSE(parse_cidr("10.0.0.0/33"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/"));
  EXPECT_FALSE(parse_cidr("proxy.local/8"));
  EXPECT_THROW(AddressSet({"10.0.0.0/8", "nonsense"}), std::invalid_argument);
}

TEST(ForwardedFor, HeaderIsIgnoredUnlessThePeerIsATrustedProxy) {
  const AddressSet trusted({"10.0.0.0/8"});
  EXPECT_EQ(forwarded_client(ip("192.0.2.1"), "203.0.113.9", trusted), ip("192.0.2.1"));
}

TEST(ForwardedFor, RightMostUntrustedAddressIsTheClient) {
  const AddressSet trusted({"10.0.0.0/8"});
  EXPECT_EQ(forwarded_client(ip("10.0.0.1"), "203.0.113.9", trusted), ip("203.0.113.9"));
  // The left part is the client's own claim: not believed.
  EXPECT_EQ(forwarded_client(ip("10.0.0.1"), "1.1.1.1, 203.0.113.9", trusted), ip("203.0.113.9"));
  // Trusted hops are skipped.
  EXPECT_EQ(forwarded_client(ip("10.0.0.1"), "203.0.113.9, 10.1.1.1 ,10.2.2.2", trusted),
            ip("203.0.113.9"));
  // Ports and brackets written by some proxies.
  EXPECT_EQ(forwarded_client(ip("10.0.0.1"), "203.0.113.9:5555", trusted), ip("203.0.113.9"));
  EXPECT_EQ(forwarded_client(ip("10.0.0.1"), "[2001:db8::5]:443", trusted), ip("2001:db8::5"));
}

TEST(ForwardedFor, MalformedEntryEndsTheWalkAtTheLastTrustedHop) {
  const AddressSet trusted({"10.0.0.0/8"});
  EXPECT_EQ(forwarded_client(ip("10.0.0.1"), "garbage", trusted), ip("10.0.0.1"));
  EXPECT_EQ(forwarded_client(ip("10.0.0.1"), "203.0.113.9, garbage, 10.3.3.3", trusted),
            ip("10.3.3.3"));
  EXPECT_EQ(forwarded_client(ip("10.0.0.1"), "", trusted), ip("10.0.0.1"));
}

TEST(ClientTable, ConnectionCapIsPerAddress) {
  ClientTable t({2, 0, 0, 100});
  const auto now = ClientTable::Clock::now();
  const auto a = ip("192.0.2.1"), b = ip("192.0.2.2");
  EXPECT_EQ(t.open(a, now), ClientTable::Admission::counted);
  EXPECT_EQ(t.open(a, now), ClientTable::Admission::counted);
  EXPECT_EQ(t.open(a, now), ClientTable::Admission::refused);
  EXPECT_EQ(t.open(b, now), ClientTable::Admission::counted);
  t.close(a);
  EXPECT_EQ(t.open(a, now), ClientTable::Admission::counted);
}

TEST(ClientTable, TokenBucketRefillsAtTheRate) {
  ClientTable t({0, 2, 4, 100});
  auto now = ClientTable::Clock::now();
  const auto a = ip("192.0.2.1");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(t.take(a, now), 0) << i;  // the burst
  EXPECT_EQ(t.take(a, now), 1);  // 0.5 s to the next token: Retry-After 1
  now += 500ms;
  EXPECT_EQ(t.take(a, now), 0);
  EXPECT_GT(t.take(a, now), 0);
}

TEST(ClientTable, MemoryIsBoundedAndIdleClientsAreForgotten) {
  ClientTable t({0, 1, 1, 8});
  auto now = ClientTable::Clock::now();
  for (int i = 0; i < 100; ++i) {
    IpAddress a = ip("192.0.2.0");
    a.bytes[15] = static_cast<std::uint8_t>(i);
    t.take(a, now);  // the first 8 are tracked, the rest let through untracked
  }
  EXPECT_EQ(t.size(), 8u);
  now += 2s;  // every bucket is full again
  t.sweep(now);
  EXPECT_EQ(t.size(), 0u);
}

TEST(ClientTable, ClientWithOpenConnectionsIsNotForgotten) {
  ClientTable t({4, 0, 0, 8});
  const auto now = ClientTable::Clock::now();
  const auto a = ip("192.0.2.1");
  ASSERT_EQ(t.open(a, now), ClientTable::Admission::counted);
  t.sweep(now + 1h);
  EXPECT_EQ(t.size(), 1u);
  t.close(a);
  t.sweep(now + 1h);
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace vitrine::server::net
