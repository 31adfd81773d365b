// The audit view's order and filters (reconcile/audit_filter.h), shared by
// `vitrine audit`, GET /api/v1/audit and the console: newest first, `limit`
// keeps the newest rows, and each filter narrows in the store's SQL.
#include "reconcile/audit_filter.h"

#include <gtest/gtest.h>

#include "../store/test_support.h"
#include "store/audit.h"
#include "store/report.h"

namespace vitrine::reconcile {
namespace {

using store::AuditEvent;

class AuditViewTest : public store::testing::StoreTest {
 protected:
  // Six rows, one a minute from t0: ids 1..6 in time order.
  void SetUp() override {
    StoreTest::SetUp();
    struct Row {
      const char* who;
      const char* space;
      const char* action;
    };
    static constexpr Row kRows[] = {
        {"cli:root", "", "space.create"},           {"ui:tA", "docs", "token.set"},
        {"api:tB", "docs", "plugin.enable"},        {"ui:tA", "ops", "token.set"},
        {"ui:tA", "docs", "space.test-connection"}, {"api:tB", "", "plugin.approve"},
    };
    for (const auto& r : kRows) {
      now_ms_ += 60'000;
      auto id = store_->audit().record(AuditEvent{r.who, r.space, r.action, "x|y", "ok", {}});
      ASSERT_TRUE(id.ok()) << id.error().message;
      ids_.push_back(*id);
    }
  }
  std::vector<int64_t> run(const AuditFilter& f, int64_t default_limit = 100) {
    auto q = audit_query(f, default_limit, now_ms_);
    EXPECT_TRUE(q.ok()) << q.error().message;
    if (!q) return {};
    auto rows = store_->audit().query(*q);
    EXPECT_TRUE(rows.ok());
    std::vector<int64_t> out;
    for (const auto& r : *rows) out.push_back(r.id);
    return out;
  }
  int64_t t0() const { return now_ms_ - 6 * 60'000; }
  std::vector<int64_t> ids_;
};

std::vector<int64_t> reversed(std::vector<int64_t> v) { return {v.rbegin(), v.rend()}; }

TEST_F(AuditViewTest, AuditNewestFirstEveryRow) { EXPECT_EQ(run({}), reversed(ids_)); }

TEST_F(AuditViewTest, AuditLimitKeepsTheNewestRowsNotTheOldest) {
  AuditFilter f;
  f.limit = "2";
  EXPECT_EQ(run(f), (std::vector<int64_t>{ids_[5], ids_[4]}));
  // The default limit of a front end keeps the newest too.
  EXPECT_EQ(run({}, 3), (std::vector<int64_t>{ids_[5], ids_[4], ids_[3]}));
}

TEST_F(AuditViewTest, AuditFilterBySpace) {
  AuditFilter f;
  f.space = "docs";
  EXPECT_EQ(run(f), (std::vector<int64_t>{ids_[4], ids_[2], ids_[1]}));
}

TEST_F(AuditViewTest, AuditFilterByActorIsExact) {
  AuditFilter f;
  f.actor = "api:tB";
  EXPECT_EQ(run(f), (std::vector<int64_t>{ids_[5], ids_[2]}));
  f.actor = "api:t";
  EXPECT_TRUE(run(f).empty());
}

TEST_F(AuditViewTest, AuditFilterByActionOrItsPrefix) {
  AuditFilter f;
  f.action = "plugin.";
  EXPECT_EQ(run(f), (std::vector<int64_t>{ids_[5], ids_[2]}));
  f.action = "token.set";
  EXPECT_EQ(run(f), (std::vector<int64_t>{ids_[3], ids_[1]}));
}

TEST_F(AuditViewTest, AuditFilterByTimeSinceInclusiveUntilExclusive) {
  AuditFilter f;
  // Rows at t0+2min .. t0+4min: since inclusive, until exclusive.
  f.since = store::format_time(t0() + 2 * 60'000);
  f.until = store::format_time(t0() + 5 * 60'000);
  EXPECT_EQ(run(f), (std::vector<int64_t>{ids_[3], ids_[2], ids_[1]}));
}

TEST_F(AuditViewTest, AuditFiltersCombine) {
  AuditFilter f;
  f.space = "docs";
  f.actor = "ui:tA";
  f.action = "token.";
  EXPECT_EQ(run(f), (std::vector<int64_t>{ids_[1]}));
}

TEST_F(AuditViewTest, AuditPagingBeforeAnIdContinuesWithOlderRows) {
  AuditFilter f;
  f.limit = "2";
  auto first = run(f);
  ASSERT_EQ(first.size(), 2u);
  f.before = std::to_string(first.back());
  EXPECT_EQ(run(f), (std::vector<int64_t>{ids_[3], ids_[2]}));
}

TEST_F(AuditViewTest, AuditFilterRefusesMalformedValuesNamingTheField) {
  const std::pair<std::string AuditFilter::*, const char*> cases[] = {
      {&AuditFilter::limit, "0"},         {&AuditFilter::limit, "100001"},
      {&AuditFilter::limit, "ten"},       {&AuditFilter::before, "-3"},
      {&AuditFilter::since, "yesterday"}, {&AuditFilter::until, "2024-13-45"},
  };
  for (const auto& [field, value] : cases) {
    AuditFilter f;
    f.*field = value;
    auto q = audit_query(f, 10, now_ms_);
    ASSERT_FALSE(q.ok()) << value;
    EXPECT_EQ(q.error().code, store::Errc::invalid);
    const std::string name = field == &AuditFilter::limit    ? "'limit'"
                             : field == &AuditFilter::before ? "'before'"
                             : field == &AuditFilter::since  ? "'since'"
                                                             : "'until'";
    EXPECT_NE(q.error().message.find(name), std::string::npos) << q.error().message;
  }
}

TEST_F(AuditViewTest, AuditExportMarkdownTableKeepsOneRowPerEntry) {
  AuditFilter f;
  f.space = "docs";
  auto q = audit_query(f, 100, now_ms_);
  ASSERT_TRUE(q.ok());
  auto rows = store_->audit().query(*q);
  ASSERT_TRUE(rows.ok());
  const std::string md = format_audit_md_table(*rows, f, now_ms_);
  EXPECT_NE(md.find("- Filter: space docs"), std::string::npos) << md;
  EXPECT_NE(md.find("| x\\|y |"), std::string::npos) << md;  // '|' escaped
  // The newest row first in the table, too.
  EXPECT_LT(md.find("space.test-connection"), md.find("plugin.enable"));
  std::size_t lines = 0;
  for (char c : md) lines += c == '\n';
  // Title, blank, three facts, blank, table head and rule, three rows.
  EXPECT_EQ(lines, 11u);
}

}  // namespace
}  // namespace vitrine::reconcile
