// Phase 2 (P7): resolve once, classify every answer, fail closed. Driven by
// a scripted resolver: every non-public range, mixed answers, CNAME chains
// that end on internal addresses, and DNS rebinding.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "egress/policy.h"
#include "test_support.h"

namespace vitrine::egress {
namespace {

using testing::entry;
using testing::plugin;
using testing::test_catalog;

std::vector<Poco::Net::IPAddress> addrs(std::initializer_list<const char*> list) {
  std::vector<Poco::Net::IPAddress> v;
  for (const char* a : list) v.emplace_back(std::string(a));
  return v;
}

struct AddrCase {
  const char* address;
  const char* rule;
};

class EgressAddressRule : public ::testing::TestWithParam<AddrCase> {};

TEST_P(EgressAddressRule, NonPublicAnswerIsDenied) {
  const AddrCase c = GetParam();
  const AddressCheck r = check_addresses(addrs({c.address}), false);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.rule, c.rule) << c.address;
  EXPECT_NE(r.reason.find(c.address), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("P7"), std::string::npos) << r.reason;
}

INSTANTIATE_TEST_SUITE_P(
    EveryClass, EgressAddressRule,
    ::testing::Values(AddrCase{"0.0.0.0", "egress-address-unspecified"},
                      AddrCase{"0.1.2.3", "egress-address-this-network"},
                      AddrCase{"127.0.0.1", "egress-address-loopback"},
                      AddrCase{"10.1.2.3", "egress-address-private-rfc1918"},
                      AddrCase{"172.20.0.1", "egress-address-private-rfc1918"},
                      AddrCase{"192.168.0.10", "egress-address-private-rfc1918"},
                      AddrCase{"100.64.1.1", "egress-address-cgnat"},
                      AddrCase{"169.254.1.1", "egress-address-link-local"},
                      AddrCase{"169.254.169.254", "egress-address-cloud-metadata"},
                      AddrCase{"192.0.0.8", "egress-address-ietf-protocol"},
                      AddrCase{"192.0.2.1", "egress-address-documentation"},
                      AddrCase{"198.18.0.1", "egress-address-benchmarking"},
                      AddrCase{"224.0.0.1", "egress-address-multicast"},
                      AddrCase{"240.0.0.1", "egress-address-reserved"},
                      AddrCase{"255.255.255.255", "egress-address-broadcast"},
                      AddrCase{"192.88.99.1", "egress-address-6to4-relay"},
                      AddrCase{"::", "egress-address-unspecified"},
                      AddrCase{"::1", "egress-address-loopback"},
                      AddrCase{"::ffff:127.0.0.1", "egress-address-loopback"},
                      AddrCase{"::ffff:169.254.169.254", "egress-address-cloud-metadata"},
                      AddrCase{"::127.0.0.1", "egress-address-ipv4-compatible"},
                      AddrCase{"::ffff:0:a00:1", "egress-address-ipv4-translated"},
                      AddrCase{"64:ff9b::a00:1", "egress-address-private-rfc1918"},
                      AddrCase{"64:ff9b:1::1", "egress-address-nat64-local"},
                      AddrCase{"2002:7f00:1::", "egress-address-loopback"},
                      AddrCase{"100::1", "egress-address-discard-only"},
                      AddrCase{"2001::1", "egress-address-teredo"},
                      AddrCase{"2001:20::1", "egress-address-orchid"},
                      AddrCase{"2001:2::1", "egress-address-benchmarking"},
                      AddrCase{"2001:db8::1", "egress-address-documentation"},
                      AddrCase{"fd12:3456::1", "egress-address-ula"},
                      AddrCase{"fec0::1", "egress-address-site-local"},
                      AddrCase{"fe80::1", "egress-address-link-local"},
                      AddrCase{"ff02::1", "egress-address-multicast"},
                      AddrCase{"5f00::1", "egress-address-srv6-sid"},
                      AddrCase{"4000::1", "egress-address-reserved"}),
    [](const ::testing::TestParamInfo<AddrCase>& info) {
      std::string n = std::string(info.param.rule) + "_" + info.param.address;
      for (char& ch : n) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return n;
    });

TEST(P7EgressAddress, AllPublicIsAllowed) {
  EXPECT_TRUE(check_addresses(addrs({"8.8.8.8", "2606:4700:4700::1111"}), false).allowed);
}

TEST(P7EgressAddress, MixedPublicAndPrivateIsDeniedWhateverTheOrder) {
  EXPECT_EQ(check_addresses(addrs({"8.8.8.8", "10.0.0.1"}), false).rule,
            "egress-address-private-rfc1918");
  EXPECT_EQ(check_addresses(addrs({"10.0.0.1", "8.8.8.8"}), false).rule,
            "egress-address-private-rfc1918");
  EXPECT_EQ(check_addresses(addrs({"2606:4700::1", "1.1.1.1", "::1"}), false).rule,
            "egress-address-loopback");
}

TEST(P7EgressAddressNone, EmptyAnswerFailsClosed) {
  EXPECT_EQ(check_addresses({}, false).rule, "egress-address-none");
  EXPECT_EQ(check_addresses({}, true).rule, "egress-address-none");
}

TEST(P7EgressAddressPrivateApproval, OpensPrivateRangesOnly) {
  EXPECT_TRUE(check_addresses(addrs({"10.0.0.1", "192.168.1.1", "fd00::1"}), true).allowed);
  EXPECT_TRUE(check_addresses(addrs({"127.0.0.1", "::1", "100.64.0.1"}), true).allowed);
  EXPECT_TRUE(check_addresses(addrs({"::ffff:10.0.0.1"}), true).allowed);
  // Never, even when approved as private:
  EXPECT_EQ(check_addresses(addrs({"10.0.0.1", "169.254.169.254"}), true).rule,
            "egress-address-cloud-metadata");
  EXPECT_EQ(check_addresses(addrs({"169.254.1.1"}), true).rule, "egress-address-link-local");
  EXPECT_EQ(check_addresses(addrs({"fe80::1"}), true).rule, "egress-address-link-local");
  EXPECT_EQ(check_addresses(addrs({"0.0.0.0"}), true).rule, "egress-address-unspecified");
  EXPECT_EQ(check_addresses(addrs({"224.0.0.1"}), true).rule, "egress-address-multicast");
  EXPECT_EQ(check_addresses(addrs({"255.255.255.255"}), true).rule, "egress-address-broadcast");
  EXPECT_NE(check_addresses(addrs({"169.254.169.254"}), true).reason.find("even"),
            std::string::npos);
}

// ------------------------------------------------------------ pin()

const manifest::Manifest& alert_list() {
  static const auto m =
      plugin("alert_list", {entry("https://*.grafana.net")}, {"grafana:read:alerts"});
  return m;
}

Decision allowed_decision(const SpaceOrigins& space) {
  Request r;
  r.url = "https://acme.grafana.net/api/prometheus/grafana/api/v1/rules";
  Decision d = decide(alert_list(), space, r, &test_catalog());
  EXPECT_TRUE(d.allowed) << d.reason;
  return d;
}

const SpaceOrigins kAcme{"https://acme.grafana.net", false, {}};

TEST(P7EgressPin, PublicAnswerIsPinnedAndLookedUpOnce) {
  ScriptedResolver dns;
  dns.add("acme.grafana.net", {"34.120.0.1", "2600:1901::1"});
  const PinResult p = pin(allowed_decision(kAcme), dns);
  ASSERT_TRUE(p.ok) << p.rule << ": " << p.reason;
  ASSERT_TRUE(p.target.has_value());
  EXPECT_EQ(p.target->url().host, "acme.grafana.net");
  EXPECT_EQ(p.target->addresses(), addrs({"34.120.0.1", "2600:1901::1"}));
  EXPECT_TRUE(p.target->attach_token());
  EXPECT_EQ(dns.calls("acme.grafana.net"), 1);
}

TEST(P7EgressAddressRebinding, OnlyTheFirstAnswerIsEverUsed) {
  // The attacker's DNS answers public first (to pass the check) and private
  // next (for the connection). pin() resolves once and the PinnedTarget
  // carries that checked answer; the connector takes only a PinnedTarget,
  // so the second answer can never be used for this request.
  ScriptedResolver dns;
  dns.add("acme.grafana.net", {"34.120.0.1"});
  dns.add("acme.grafana.net", {"127.0.0.1"});
  const Decision d = allowed_decision(kAcme);
  const PinResult first = pin(d, dns);
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(dns.calls("acme.grafana.net"), 1);
  EXPECT_EQ(first.target->addresses(), addrs({"34.120.0.1"}));
  // A later request re-resolves and is checked again: now denied.
  const PinResult second = pin(d, dns);
  EXPECT_FALSE(second.ok);
  EXPECT_EQ(second.rule, "egress-address-loopback");
  EXPECT_FALSE(second.target.has_value());
  // The first target still holds only the checked address.
  EXPECT_EQ(first.target->addresses(), addrs({"34.120.0.1"}));
}

TEST(P7EgressAddressMixed, PinDeniesMixedAnswers) {
  ScriptedResolver dns;
  dns.add("acme.grafana.net", {"34.120.0.1", "10.0.0.7"});
  const PinResult p = pin(allowed_decision(kAcme), dns);
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.rule, "egress-address-private-rfc1918");
}

TEST(P7EgressAddressCname, ChainToAnInternalNameIsJudgedByItsAddresses) {
  // acme.grafana.net -> CNAME internal.corp.example -> 10.20.30.40: the
  // resolver returns the end of the chain; the check is on addresses, so the
  // chain cannot launder an internal target.
  ScriptedResolver dns;
  dns.add("acme.grafana.net", {"10.20.30.40"});
  EXPECT_EQ(pin(allowed_decision(kAcme), dns).rule, "egress-address-private-rfc1918");
  ScriptedResolver dns2;
  dns2.add("acme.grafana.net", {"::ffff:169.254.169.254"});
  EXPECT_EQ(pin(allowed_decision(kAcme), dns2).rule, "egress-address-cloud-metadata");
}

TEST(P7EgressAddressPrivateApproval, ApprovedPrivateOriginPins) {
  SpaceOrigins space{"https://acme.grafana.net", true, {}};
  ScriptedResolver dns;
  dns.add("acme.grafana.net", {"10.0.0.5"});
  const PinResult p = pin(allowed_decision(space), dns);
  EXPECT_TRUE(p.ok) << p.reason;
}

TEST(P7EgressResolveFailed, ResolverErrorFailsClosed) {
  ScriptedResolver dns;
  dns.add_failure("acme.grafana.net", "NXDOMAIN");
  const PinResult p = pin(allowed_decision(kAcme), dns);
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.rule, "egress-resolve-failed");
  EXPECT_NE(p.reason.find("NXDOMAIN"), std::string::npos);
}

TEST(P7EgressPin, DeniedDecisionIsNeverResolved) {
  ScriptedResolver dns;
  dns.add("evil.example.com", {"8.8.8.8"});
  Request r;
  r.url = "https://evil.example.com/api/search";
  const Decision d = decide(alert_list(), kAcme, r, &test_catalog());
  ASSERT_FALSE(d.allowed);
  const PinResult p = pin(d, dns);
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.rule, "egress-host-not-declared");
  EXPECT_EQ(dns.calls("evil.example.com"), 0);
}

TEST(P7EgressAddressLoopback, SystemResolverLocalhostIsDenied) {
  SystemResolver dns;
  const ResolveResult r = dns.resolve("localhost");
  if (!r.ok) GTEST_SKIP() << "no resolver for localhost here: " << r.error;
  ASSERT_FALSE(r.addresses.empty());
  EXPECT_EQ(check_addresses(r.addresses, false).rule, "egress-address-loopback");
}

}  // namespace
}  // namespace vitrine::egress
