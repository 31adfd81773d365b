// P5: records are AES-256-GCM, bound by AAD to key id, space, record and
// origin; any modification fails; nonces never repeat.
#include <set>

#include "store/crypto/secret_box.h"
#include "test_support.h"

namespace vitrine::store::testing {
namespace {

using crypto::Binding;

const Binding kBinding{"secret", "team-a", "grafana-token", "https://a.grafana.net"};

TEST(P5_SecretBox, RoundTripsAndHasTheDocumentedFormat) {
  auto ring = generated_keyring();
  auto rec = crypto::seal(ring, kBinding, "hello");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->rfind("v1:k1:", 0), 0u) << *rec;
  auto blob = crypto::base64_decode(rec->substr(6));
  ASSERT_TRUE(blob);
  EXPECT_EQ(blob->size(), 12u + 5u + 16u);
  auto plain = crypto::open(ring, kBinding, *rec);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->view(), "hello");
}

TEST(P5_SecretBox, EverySingleBitFlipOfAStoredRecordFailsToDecrypt) {
  auto ring = generated_keyring();
  auto rec = crypto::seal(ring, kBinding, make_glsa('a'));
  ASSERT_TRUE(rec.ok());
  std::size_t flips = 0;
  for (std::size_t i = 0; i < rec->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = *rec;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      auto r = crypto::open(ring, kBinding, bad);
      EXPECT_FALSE(r.ok()) << "byte " << i << " bit " << bit;
      ++flips;
    }
  }
  EXPECT_EQ(flips, rec->size() * 8);
}

TEST(P5_SecretBox, EverySingleBitFlipOfTheRawBlobFailsAuthentication) {
  auto ring = generated_keyring();
  auto rec = crypto::seal(ring, kBinding, "payload-bytes");
  ASSERT_TRUE(rec.ok());
  auto blob = crypto::base64_decode(rec->substr(6));
  ASSERT_TRUE(blob);
  for (std::size_t i = 0; i < blob->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      crypto::SecretBytes b = *blob;
      b.data()[i] ^= static_cast<uint8_t>(1 << bit);
      std::string bad = "v1:k1:" + crypto::base64_encode({b.data(), b.size()});
      auto r = crypto::open(ring, kBinding, bad);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, Errc::crypto);
    }
  }
}

TEST(P5_SecretBox, MovingACiphertextToAnotherSpaceRecordOrOriginFails) {
  auto ring = generated_keyring();
  auto rec = crypto::seal(ring, kBinding, "token");
  ASSERT_TRUE(rec.ok());
  const Binding moved[] = {
      {"secret", "team-b", "grafana-token", "https://a.grafana.net"},
      {"secret", "team-a", "other-record", "https://a.grafana.net"},
      {"secret", "team-a", "grafana-token", "https://b.grafana.net"},
      {"cache", "team-a", "grafana-token", "https://a.grafana.net"},
      // Length prefixes: shifting bytes between fields is a different AAD.
      {"secret", "team-agrafana-token", "", "https://a.grafana.net"},
  };
  for (const auto& b : moved) {
    auto r = crypto::open(ring, b, *rec);
    ASSERT_FALSE(r.ok()) << b.space << " " << b.name << " " << b.context;
    EXPECT_EQ(r.error().code, Errc::crypto);
    EXPECT_NE(r.error().message.find("moved"), std::string::npos);
  }
}

TEST(P5_SecretBox, RelabellingTheKeyIdFails) {
  // Both keys are in the keyring: only the AAD binding of the id stops it.
  crypto::Keyring two;
  crypto::SecretBytes bytes(32);
  ASSERT_TRUE(crypto::random_bytes({bytes.data(), bytes.size()}));
  ASSERT_TRUE(two.add(crypto::Key{"k1", bytes}).ok());
  ASSERT_TRUE(two.add(crypto::Key{"k2", bytes}).ok());  // same bytes, different id
  auto rec = crypto::seal(two, kBinding, "token");
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->rfind("v1:k2:", 0), 0u);
  std::string relabelled = "v1:k1:" + rec->substr(6);
  auto r = crypto::open(two, kBinding, relabelled);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::crypto);
  EXPECT_TRUE(crypto::open(two, kBinding, *rec).ok());
}

TEST(P5_SecretBox, HundredThousandEncryptionsOfOnePlaintextNeverRepeatANonce) {
  auto ring = generated_keyring();
  std::set<std::string> nonces;
  std::set<std::string> records;
  constexpr int kN = 100000;
  for (int i = 0; i < kN; ++i) {
    auto rec = crypto::seal(ring, kBinding, "same plaintext");
    ASSERT_TRUE(rec.ok());
    std::string n = crypto::record_nonce(*rec);
    ASSERT_EQ(n.size(), 12u);
    nonces.insert(std::move(n));
    if (i < 1000) records.insert(*rec);
  }
  EXPECT_EQ(nonces.size(), static_cast<std::size_t>(kN));
  EXPECT_EQ(records.size(), 1000u);
}

TEST(P5_SecretBox, UnknownKeyIdIsAKeyErrorThatNamesOnlyTheId) {
  auto a = generated_keyring();
  crypto::Keyring b;
  crypto::SecretBytes bytes(32);
  ASSERT_TRUE(crypto::random_bytes({bytes.data(), bytes.size()}));
  ASSERT_TRUE(b.add(crypto::Key{"other", bytes}).ok());
  auto rec = crypto::seal(a, kBinding, "x");
  ASSERT_TRUE(rec.ok());
  auto r = crypto::open(b, kBinding, *rec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::key);
  EXPECT_NE(r.error().message.find("'k1'"), std::string::npos);
}

TEST(P5_SecretBox, AadIsLengthPrefixed) {
  EXPECT_NE(crypto::build_aad("k1", {"secret", "ab", "c", ""}),
            crypto::build_aad("k1", {"secret", "a", "bc", ""}));
}

TEST(P5_Encoding, Base64IsStrict) {
  EXPECT_TRUE(crypto::base64_decode("aGVsbG8="));
  EXPECT_FALSE(crypto::base64_decode("aGVsbG8"));
  EXPECT_FALSE(crypto::base64_decode("aGVsbG9="));  // non-canonical padding bits
  EXPECT_FALSE(crypto::base64_decode("aGVs bG8="));
  EXPECT_EQ(crypto::base64_encode(crypto::as_bytes("hello")), "aGVsbG8=");
  EXPECT_EQ(crypto::crc32_ieee("123456789"), 0xCBF43926u);
}

}  // namespace
}  // namespace vitrine::store::testing
