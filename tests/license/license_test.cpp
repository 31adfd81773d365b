// Licensing: every way a license file can be wrong is refused with its rule.
#include <Poco/JSON/Object.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "license/envelope.h"
#include "license/gate.h"
#include "license/license_files.h"
#include "license/verifier.h"

using namespace vitrine::license;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kNow = 1'796'000'000;  // 2026-11-29

struct Signer {
  std::string priv, pub;
  Signer() { EXPECT_TRUE(ed25519_generate(priv, pub)); }
  TrustedKey key(const std::string& kid = "test-1") const { return {kid, pub, false}; }
};

std::string payload(const std::string& extra = "", const std::string& product = "vitrine",
                    const std::string& expires = "2027-11-29T00:00:00Z",
                    const std::string& not_before = "2026-01-01T00:00:00Z") {
  return R"({"licensee":"Acme","license_id":"L-1","product":")" + product +
         R"(","features":["alert-badges","static-export"],"max_spaces":5,)" +
         R"("issued":"2026-01-01T00:00:00Z","not_before":")" + not_before + R"(","expires":")" +
         expires + "\"" + extra + "}";
}

VerifyOptions options(const Signer& s, const std::string& kid = "test-1") {
  VerifyOptions o;
  o.now = kNow;
  o.keys = {s.key(kid)};
  return o;
}

std::string rule_of(const std::string& file, const VerifyOptions& o) {
  auto r = verify_license(file, o);
  return r.ok ? "ok" : r.rule;
}

std::string replace_field(const std::string& file, const std::string& key,
                          const std::string& value) {
  auto pos = file.find("\"" + key + "\"");
  auto start = file.find('"', file.find(':', pos) + 1);
  auto end = file.find('"', start + 1);
  return file.substr(0, start + 1) + value + file.substr(end);
}

}  // namespace

TEST(LicenseVerify, ValidLicenseVerifies) {
  Signer s;
  auto r = verify_license(sign_license(s.priv, "test-1", payload()), options(s));
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.license.licensee, "Acme");
  EXPECT_EQ(r.license.max_spaces, 5u);
  EXPECT_TRUE(r.license.has_feature("static-export"));
}

TEST(LicenseVerify, EveryFlippedByteOfPayloadOrSignatureIsRefused) {
  Signer s;
  const std::string p = payload();
  const std::string sig = ed25519_sign(s.priv, signing_message("test-1", p));
  for (size_t i = 0; i < p.size(); ++i) {
    std::string bad = p;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(rule_of(make_envelope("test-1", bad, sig), options(s)), "license-signature") << i;
  }
  for (size_t i = 0; i < sig.size(); ++i) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x80);
    EXPECT_EQ(rule_of(make_envelope("test-1", p, bad), options(s)), "license-signature") << i;
  }
}

TEST(LicenseVerify, WrongKeyIsRefused) {
  Signer s, other;
  auto file = sign_license(other.priv, "test-1", payload());
  EXPECT_EQ(rule_of(file, options(s)), "license-signature");
}

TEST(LicenseVerify, UnknownKeyIdIsRefused) {
  Signer s;
  auto file = sign_license(s.priv, "test-9", payload());
  EXPECT_EQ(rule_of(file, options(s)), "license-key-unknown");
}

TEST(LicenseVerify, RelabelledKeyIdBreaksTheSignature) {
  // Domain separation: the kid is inside the signed message.
  Signer s;
  VerifyOptions o = options(s);
  o.keys.push_back(s.key("test-2"));
  auto file = replace_field(sign_license(s.priv, "test-1", payload()), "kid", "test-2");
  EXPECT_EQ(rule_of(file, o), "license-signature");
}

TEST(LicenseVerify, UnknownAlgorithmIsRefused) {
  Signer s;
  for (const char* alg : {"none", "rs256", "hs256", "ED25519"}) {
    auto file = replace_field(sign_license(s.priv, "test-1", payload()), "alg", alg);
    EXPECT_EQ(rule_of(file, options(s)), "license-alg") << alg;
  }
}

TEST(LicenseVerify, ExpiredIsRefused) {
  Signer s;
  auto file = sign_license(s.priv, "test-1", payload("", "vitrine", "2026-06-01T00:00:00Z"));
  auto r = verify_license(file, options(s));
  EXPECT_EQ(r.rule, "license-expired");
  EXPECT_THAT(r.reason, HasSubstr("2026-06-01T00:00:00Z"));
}

TEST(LicenseVerify, NotYetValidIsRefused) {
  Signer s;
  auto file = sign_license(s.priv, "test-1",
                           payload("", "vitrine", "2028-01-01T00:00:00Z", "2027-01-01T00:00:00Z"));
  EXPECT_EQ(rule_of(file, options(s)), "license-not-yet-valid");
}

TEST(LicenseVerify, OtherProductIsRefused) {
  Signer s;
  EXPECT_EQ(rule_of(sign_license(s.priv, "test-1", payload("", "grafanasight")), options(s)),
            "license-product");
}

TEST(LicenseVerify, UnknownPayloadFieldIsRefused) {
  Signer s;
  auto file = sign_license(s.priv, "test-1", payload(R"(,"restrict_to":"eu")"));
  EXPECT_EQ(rule_of(file, options(s)), "license-payload");
}

TEST(LicenseVerify, GarbageIsAFormatError) {
  Signer s;
  for (std::string bad : {std::string(""), std::string("not json"), std::string("{}"),
                          std::string(R"({"format":"vitrine-license/1"})"), std::string(70000, 'a'),
                          std::string("\x00\x01\x02", 3)}) {
    EXPECT_EQ(rule_of(bad, options(s)), "license-format");
  }
}

TEST(LicenseVerify, DevLicenseNeedsDevMode) {
  Signer s;
  VerifyOptions o = options(s);
  o.keys[0].dev = true;
  auto file = sign_license(s.priv, "test-1", payload());
  EXPECT_EQ(rule_of(file, o), "license-dev-key");
  o.dev_mode = true;
  EXPECT_EQ(rule_of(file, o), "ok");
}

class LicenseFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("vitrine-license-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

TEST_F(LicenseFiles, ClockRolledBackIsRefused) {
  ASSERT_EQ(write_dev_license(dir, {"x"}, "me", 30, kNow), "");
  ASSERT_TRUE(load_installed(dir, true, kNow + 86400).ok);  // raises the mark
  auto r = load_installed(dir, true, kNow + 3600);          // clock set back 23 h
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.rule, "license-clock-rollback");
  EXPECT_TRUE(load_installed(dir, true, kNow + 86400 - 60).ok);  // NTP-sized step is fine
}

TEST_F(LicenseFiles, DevLicenseFlowWorksOnlyInDevMode) {
  ASSERT_EQ(write_dev_license(dir, {"alert-badges"}, "me", 30, kNow), "");
  EXPECT_EQ(fs::status(dir / "dev-license.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto dev = load_installed(dir, true, kNow);
  ASSERT_TRUE(dev.ok) << dev.reason;
  EXPECT_TRUE(dev.license.dev);
  auto prod = verify_file(dir / "dev-license.json", dir, false, kNow);
  EXPECT_EQ(prod.rule, "license-key-unknown");  // the dev key is not even trusted
  // ...and the refusal says how to accept it, not "upgrade the host".
  EXPECT_NE(prod.reason.find("dev_mode: true"), std::string::npos) << prod.reason;
  EXPECT_EQ(prod.reason.find("upgrade"), std::string::npos) << prod.reason;
}

TEST_F(LicenseFiles, NoLicenseInstalled) {
  auto r = load_installed(dir, false, kNow);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.rule, "license-none");
}

TEST(LicenseGate, EveryDecisionIsObservedForAudit) {
  LicenseGate gate;
  std::vector<GateDecision> seen;
  gate.set_observer([&](const GateDecision& d) { seen.push_back(d); });
  EXPECT_FALSE(gate.check("ops", "alert-badges", kNow).licensed);
  License l;
  l.license_id = "L-1";
  l.licensee = "Acme";
  l.features = {"alert-badges"};
  l.expires = kNow + 10;
  gate.install(l);
  EXPECT_TRUE(gate.check("ops", "alert-badges", kNow).licensed);
  EXPECT_FALSE(gate.check("ops", "static-export", kNow).licensed);
  EXPECT_FALSE(gate.check("ops", "alert-badges", kNow + 10).licensed);  // expired while running
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].space, "ops");
  EXPECT_THAT(seen[2].reason, HasSubstr("does not include feature 'static-export'"));
}
