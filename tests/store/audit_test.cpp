// P9: audit rows are append-only, egress decisions land in them, and the
// review report shows declared permissions, approvals and what was fetched.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include "backend_test_support.h"
#include "store/report.h"

namespace vitrine::store::testing {
namespace {

using Audit_ = BackendTest;

TEST_P(Audit_, P9_EgressDecisionsLandInTheAuditTable) {
  approve_plugins();
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  StoreAuditSink sink(store_->audit());
  egress::AuditRecord r{"alert_list",
                        "team-a",
                        "GET",
                        "https://a.grafana.net/api/prometheus/grafana/api/v1/rules?x=REDACTED",
                        "allow",
                        "egress-allow",
                        200,
                        1234,
                        56};
  sink.record(r);
  r.verdict = "deny";
  r.rule = "egress-host-not-declared";
  r.url = "https://evil.example/";
  r.http_status = 0;
  sink.record(r);
  EXPECT_EQ(sink.failures(), 0u);
  AuditQuery q;
  q.action_prefix = "egress.";
  auto rows = store_->audit().query(q);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].who, "plugin:alert_list");
  EXPECT_EQ((*rows)[0].space, "team-a");
  EXPECT_NE((*rows)[0].detail_json.find("\"http_status\":200"), std::string::npos);

  auto md = format_review_md(*store_->audit().query({}), *store_->approvals().list({}),
                             std::nullopt, now_ms_);
  EXPECT_NE(md.find("## Plugin `alert_list`"), std::string::npos) << md;
  EXPECT_NE(md.find("`grafana:read:alerts`"), std::string::npos);
  EXPECT_NE(md.find("`https://*.grafana.net`"), std::string::npos);
  EXPECT_NE(md.find("| deny | https://evil.example/ | egress-host-not-declared | 1 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| 1.0.0 |"), std::string::npos);
  auto json = format_audit_json(*rows);
  EXPECT_NE(json.find("\"action\":\"egress.fetch\""), std::string::npos);
}

TEST_P(Audit_, P9_RowsCannotBeUpdatedOrDeleted) {
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  // The backend has no API for it; the table refuses it as well.
  auto before = store_->backend().count_audit();
  ASSERT_TRUE(before.ok());
  ASSERT_GE(*before, 1);
  EXPECT_FALSE(raw_sql("UPDATE audit SET verdict = 'ok'"));
  EXPECT_FALSE(raw_sql("DELETE FROM audit"));
  if (on_postgres()) {
    EXPECT_FALSE(raw_sql("TRUNCATE audit"));
  }
  EXPECT_EQ(*store_->backend().count_audit(), *before);
}

TEST_P(Audit_, P9_SinceParsing) {
  EXPECT_EQ(*parse_since("2024-05-01", 0), 1714521600000);
  EXPECT_EQ(*parse_since("2024-05-01T00:00:10Z", 0), 1714521610000);
  EXPECT_EQ(*parse_since("2h", 10'000'000), 10'000'000 - 7'200'000);
  EXPECT_FALSE(parse_since("yesterday", 0).ok());
}

VITRINE_ON_EVERY_BACKEND(Audit_);

}  // namespace
}  // namespace vitrine::store::testing
