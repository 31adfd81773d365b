// The engine's in-memory fragment layer (host/render/hot_cache.h): windows,
// byte budget, least-recently-used eviction, and the off switch.
#include "render/hot_cache.h"

#include <gtest/gtest.h>

namespace vitrine::render {
namespace {

std::shared_ptr<const HotEntry> entry(std::string html, int64_t fresh_until = 1000,
                                      int64_t stale_until = 2000) {
  auto e = std::make_shared<HotEntry>();
  e->html = std::move(html);
  e->as_of_ms = 1;
  e->fresh_until_ms = fresh_until;
  e->stale_until_ms = stale_until;
  return e;
}

TEST(HotCache, ServesAnEntryUntilItsStaleWindowEnds) {
  HotCache c(1 << 20);
  c.put("k", entry("<p>x</p>"));
  ASSERT_NE(c.get("k", 10), nullptr);
  ASSERT_NE(c.get("k", 1500), nullptr);  // stale, still served (the engine marks it)
  EXPECT_EQ(c.get("k", 2000), nullptr);  // past stale_until: gone
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.bytes(), 0u);
}

TEST(HotCache, KeysAreExactSoSpacesNeverShareEntries) {
  HotCache c(1 << 20);
  c.put(std::string("a\0dashboard\0k", 13), entry("space a"));
  EXPECT_EQ(c.get(std::string("b\0dashboard\0k", 13), 10), nullptr);
  EXPECT_EQ(c.get(std::string("a\0dashboard\0k", 13), 10)->html, "space a");
}

TEST(HotCache, ReplacingAnEntryKeepsTheByteCountExact) {
  HotCache c(1 << 20);
  c.put("k", entry(std::string(1000, 'a')));
  const auto one = c.bytes();
  c.put("k", entry(std::string(1000, 'b')));
  EXPECT_EQ(c.bytes(), one);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.get("k", 10)->html[0], 'b');
}

TEST(HotCache, EvictsLeastRecentlyUsedWhenOverBudget) {
  const std::size_t budget = 64 * 1024;
  HotCache c(budget);
  // Fill the budget with 1 KiB entries, then touch the first half.
  int n = 0;
  while (c.bytes() + 1024 + 200 < budget)
    c.put("k" + std::to_string(n++), entry(std::string(1024, 'x')));
  for (int i = 0; i < n / 2; ++i) ASSERT_NE(c.get("k" + std::to_string(i), 10), nullptr);
  c.put("new", entry(std::string(4096, 'n')));
  EXPECT_NE(c.get("new", 10), nullptr);
  EXPECT_LE(c.bytes(), budget);
  // The untouched half went first; every touched entry survived.
  for (int i = 0; i < n / 2; ++i) EXPECT_NE(c.get("k" + std::to_string(i), 10), nullptr) << i;
  EXPECT_EQ(c.get("k" + std::to_string(n / 2), 10), nullptr);
}

TEST(HotCache, AnEntryLargerThanTheBudgetIsNotKeptAndEvictsNothing) {
  HotCache c(4096);
  c.put("small", entry("x"));
  c.put("huge", entry(std::string(8192, 'h')));
  EXPECT_EQ(c.get("huge", 10), nullptr);
  EXPECT_NE(c.get("small", 10), nullptr);
}

TEST(HotCache, ZeroBudgetTurnsTheLayerOff) {
  HotCache c(0);
  c.put("k", entry("x"));
  EXPECT_EQ(c.get("k", 10), nullptr);
  EXPECT_EQ(c.size(), 0u);
}

TEST(HotCache, AReaderKeepsItsEntryAfterEviction) {
  HotCache c(2000);
  c.put("k", entry(std::string(1000, 'k')));
  auto held = c.get("k", 10);
  c.put("other", entry(std::string(1500, 'o')));  // evicts k
  EXPECT_EQ(c.get("k", 10), nullptr);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->html.size(), 1000u);  // shared ownership: no dangling view
}

}  // namespace
}  // namespace vitrine::render
