// The frame-ancestor origin rules of store/embed_settings.h: every rule of
// kEmbedOriginRules refuses what it names, and only that.
#include <gtest/gtest.h>

#include <set>

#include "store/embed_settings.h"
#include "store/test_support.h"

namespace vitrine::store {
namespace {

TEST(EmbedOriginRules, AcceptsHttpsOriginsWildcardsAndLoopbackHttp) {
  const std::pair<const char*, const char*> ok[] = {
      {"https://wiki.example.com", "https://wiki.example.com"},
      {"https://wiki.example.com:8443", "https://wiki.example.com:8443"},
      {"https://*.example.com", "https://*.example.com"},
      {"HTTPS://Wiki.Example.COM", "https://wiki.example.com"},
      {"http://127.0.0.1:4000", "http://127.0.0.1:4000"},
      {"http://localhost:8080", "http://localhost:8080"},
      {"http://[::1]:8080", "http://[::1]:8080"},
      {"https://xn--bcher-kva.example", "https://xn--bcher-kva.example"},
  };
  for (const auto& [in, want] : ok) {
    auto c = check_embed_origin(in);
    EXPECT_TRUE(c.ok) << in << ": " << c.message;
    EXPECT_EQ(c.origin, want);
  }
}

TEST(EmbedOriginRules, EachRefusalNamesItsRule) {
  const std::pair<const char*, const char*> refused[] = {
      {"", "embed-origin-empty"},
      {"https://wiki.example.com; script-src *", "embed-origin-chars"},
      {"https://a.example.com,https://b.example.com", "embed-origin-chars"},
      {"'self'", "embed-origin-chars"},
      {"https://wiki.example.com?x", "embed-origin-chars"},
      {"https://user@wiki.example.com", "embed-origin-chars"},
      {"wiki.example.com", "embed-origin-scheme"},
      {"ftp://wiki.example.com", "embed-origin-scheme"},
      {"http://wiki.example.com", "embed-origin-scheme"},
      {"http://10.0.0.5", "embed-origin-scheme"},
      {"https://wiki.example.com/", "embed-origin-form"},
      {"https://wiki.example.com/docs", "embed-origin-form"},
      {"https://[2001:db8::1]", "embed-origin-form"},
      {"https://wiki.example.com:0", "embed-origin-port"},
      {"https://wiki.example.com:65536", "embed-origin-port"},
      {"https://wiki.example.com:08443", "embed-origin-port"},
      {"https://wiki.example.com:", "embed-origin-port"},
      {"https://*", "embed-origin-wildcard"},
      {"https://*.com", "embed-origin-wildcard"},
      {"https://wiki.*.example.com", "embed-origin-wildcard"},
      {"https://*wiki.example.com", "embed-origin-wildcard"},
      {"https://*.*.example.com", "embed-origin-wildcard"},
      {"http://*.example.com", "embed-origin-scheme"},
      {"https://wiki..example.com", "embed-origin-host"},
      {"https://-wiki.example.com", "embed-origin-host"},
      {"https://wiki.example.com.", "embed-origin-host"},
  };
  std::set<std::string> seen;
  for (const auto& [in, rule] : refused) {
    auto c = check_embed_origin(in);
    EXPECT_FALSE(c.ok) << in;
    EXPECT_EQ(c.rule, rule) << in << ": " << c.message;
    EXPECT_NE(c.message.find(std::string("[") + rule + "]"), std::string::npos) << c.message;
    seen.insert(c.rule);
  }
  // Every per-origin rule of the table is exercised above.
  for (const auto& r : kEmbedOriginRules) {
    const std::string id = r.id;
    if (id == "embed-origin-count" || id == "embed-origin-duplicate") continue;
    EXPECT_TRUE(seen.count(id)) << id << " has no case";
  }
}

TEST(EmbedOriginRules, FrameAncestorsAreNoneWhenEmptyAndNeverCarryAnInvalidOrigin) {
  EXPECT_EQ(frame_ancestors_of({}), "'none'");
  EXPECT_EQ(frame_ancestors_of({"https://a.example.com", "http://127.0.0.1:9"}),
            "https://a.example.com http://127.0.0.1:9");
  EXPECT_EQ(frame_ancestors_of({"https://a.example.com; script-src *"}), "'none'");
}

class EmbedSettingsTest : public testing::StoreTest {};

TEST_F(EmbedSettingsTest, ListIsStoredPerSpaceAndAudited) {
  ASSERT_TRUE(store_->spaces().create("test", "docs", "").ok());
  ASSERT_TRUE(store_->spaces().create("test", "other", "").ok());
  EmbedSettings settings(store_->context());
  auto st =
      settings.set_origins("ui:t1", "docs", {"https://wiki.example.com", "HTTP://127.0.0.1:81"});
  ASSERT_TRUE(st.ok()) << st.error().message;
  auto docs = settings.origins("docs");
  ASSERT_TRUE(docs.ok());
  // Sorted, normalized.
  EXPECT_EQ(*docs, (std::vector<std::string>{"http://127.0.0.1:81", "https://wiki.example.com"}));
  auto other = settings.origins("other");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
  EXPECT_EQ(settings.origins("missing").error().code, Errc::not_found);
  AuditQuery q;
  q.space = "docs";
  q.action_prefix = "embed.origins";
  auto rows = store_->audit().query(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().who, "ui:t1");
  EXPECT_NE(rows->front().detail_json.find("https://wiki.example.com"), std::string::npos);
}

TEST_F(EmbedSettingsTest, DuplicateAndTooManyOriginsAreRefusedByName) {
  ASSERT_TRUE(store_->spaces().create("test", "docs", "").ok());
  EmbedSettings settings(store_->context());
  auto dup = settings.set_origins("t", "docs", {"https://a.example.com", "https://A.example.com"});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("[embed-origin-duplicate]"), std::string::npos);
  std::vector<std::string> many;
  for (std::size_t i = 0; i <= kMaxEmbedOrigins; ++i) {
    many.push_back("https://w" + std::to_string(i) + ".example.com");
  }
  auto count = settings.set_origins("t", "docs", many);
  ASSERT_FALSE(count.ok());
  EXPECT_NE(count.error().message.find("[embed-origin-count]"), std::string::npos);
  auto bad = settings.set_origins("t", "docs", {"https://ok.example.com", "http://evil.example"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("[embed-origin-scheme]"), std::string::npos);
  // Nothing of a refused list is stored.
  EXPECT_TRUE(settings.origins("docs")->empty());
}

}  // namespace
}  // namespace vitrine::store
