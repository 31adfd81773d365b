// Service-account token format, as produced by Grafana's satokengen.
#include "token.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <regex>

#include "auth.h"

namespace vitrine::sim {
namespace {

TEST(SimToken, SeedTokenHasServiceAccountShape) {
  const auto token = token_from_seed("demo");
  EXPECT_TRUE(std::regex_match(token, std::regex("glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}"))) << token;
  EXPECT_TRUE(token_has_valid_shape(token));
}

TEST(SimToken, SeedIsDeterministicAndDistinct) {
  EXPECT_EQ(token_from_seed("a"), token_from_seed("a"));
  EXPECT_NE(token_from_seed("a"), token_from_seed("b"));
}

TEST(SimToken, ChecksumIsLittleEndianCrc32OfPrefixedSecret) {
  // Grafana hex-encodes the CRC-32 bytes least significant first; not %08x.
  const std::string key = "glsa_" + std::string(32, 'a');
  const auto crc = static_cast<unsigned long>(
      crc32(0L, reinterpret_cast<const Bytef*>(key.data()), static_cast<uInt>(key.size())));
  char little_endian[9];
  std::snprintf(little_endian, sizeof little_endian, "%02lx%02lx%02lx%02lx", crc & 0xffUL,
                (crc >> 8) & 0xffUL, (crc >> 16) & 0xffUL, (crc >> 24) & 0xffUL);
  EXPECT_EQ(token_checksum(key), std::string(little_endian));
  EXPECT_TRUE(token_has_valid_shape(key + "_" + little_endian));
}

TEST(SimToken, RejectsMalformedTokens) {
  const auto good = token_from_seed("demo");
  EXPECT_FALSE(token_has_valid_shape(""));
  EXPECT_FALSE(token_has_valid_shape("glc_" + good.substr(4)));
  std::string bad_sum = good;
  bad_sum.back() = bad_sum.back() == '0' ? '1' : '0';
  EXPECT_FALSE(token_has_valid_shape(bad_sum));
  EXPECT_FALSE(token_has_valid_shape(good + "0"));
  std::string bad_char = good;
  bad_char[10] = '-';
  EXPECT_FALSE(token_has_valid_shape(bad_char));
}

TEST(SimToken, StoreRefusesMalformedTokens) {
  TokenStore store;
  EXPECT_THROW(store.add("glsa_short_00000000"), std::invalid_argument);
  store.add(token_from_seed("x"));
  EXPECT_EQ(store.size(), 1U);
}

TEST(SimToken, AuthenticateDistinguishesMissingFromInvalid) {
  TokenStore store;
  const auto token = token_from_seed("x");
  store.add(token);
  EXPECT_EQ(authenticate(store, std::nullopt), AuthOutcome::kMissing);
  EXPECT_EQ(authenticate(store, "Basic YWRtaW46YWRtaW4="), AuthOutcome::kMissing);
  EXPECT_EQ(authenticate(store, "Bearer " + token), AuthOutcome::kAuthenticated);
  EXPECT_EQ(authenticate(store, "bearer " + token), AuthOutcome::kAuthenticated);
  EXPECT_EQ(authenticate(store, "Bearer " + token_from_seed("other")), AuthOutcome::kInvalid);
  EXPECT_EQ(authenticate(store, "Bearer nonsense"), AuthOutcome::kInvalid);
}

}  // namespace
}  // namespace vitrine::sim
