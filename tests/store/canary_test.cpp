// P4: a canary token never appears in the database file, its WAL, the log,
// the audit log or its exports: not raw, not base64, not hex, not URL-encoded.
#include "backend_test_support.h"
#include "store/report.h"
#include "store/rotation.h"

namespace vitrine::store::testing {
namespace {

std::vector<std::pair<std::string, std::string>> canary_forms(const std::string& token) {
  std::vector<std::pair<std::string, std::string>> forms;
  forms.emplace_back("raw", token);
  forms.emplace_back("raw secret part", token.substr(5, 32));
  // base64 at each of the three alignments inside a longer stream: drop the
  // characters that depend on neighbouring bytes.
  for (int shift = 0; shift < 3; ++shift) {
    std::string padded = std::string(static_cast<std::size_t>(shift), 'x') + token;
    std::string b64 = crypto::base64_encode(crypto::as_bytes(padded));
    std::string core = b64.substr(4, b64.size() - 8);
    forms.emplace_back("base64/" + std::to_string(shift), core);
    std::string url = crypto::base64url_encode(crypto::as_bytes(padded));
    forms.emplace_back("base64url/" + std::to_string(shift), url.substr(4, url.size() - 8));
  }
  std::string hex = crypto::hex_encode(crypto::as_bytes(token));
  forms.emplace_back("hex", hex);
  std::string upper = hex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  forms.emplace_back("HEX", upper);
  std::string pct;
  for (char c : token) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
    pct += buf;
  }
  forms.emplace_back("percent-encoded", pct);
  return forms;
}

void expect_absent(const std::string& haystack, const std::string& token,
                   const std::string& where) {
  for (const auto& [name, form] : canary_forms(token)) {
    EXPECT_EQ(haystack.find(form), std::string::npos)
        << "canary (" << name << ") found in " << where;
  }
}

using P4_Canary = StoreTest;

TEST_F(P4_Canary, NeverInTheDatabaseWalLogAuditOrExports) {
  const std::string canary = make_glsa('Z', "CANARYcanary0123456789");
  approve_plugins();
  make_space("team-a", "https://a.grafana.net", canary);
  auto sp = store_->spaces();
  ASSERT_TRUE(sp.rotate_token("admin", "team-a", crypto::SecretString(canary)).ok());
  // Refusals do not echo it either (the wrong-shape path).
  std::string broken = canary.substr(0, canary.size() - 1) + "0";
  auto refused = sp.set_token("admin", "team-a", crypto::SecretString(broken));
  ASSERT_FALSE(refused.ok());
  expect_absent(refused.error().message, canary.substr(0, 30), "refusal message");
  // The host really has it (so the test can fail).
  ASSERT_EQ(sp.token_for("team-a", "https://a.grafana.net")->view(), canary);
  ASSERT_TRUE(rewrap_all(store_->context(), "test").ok());
  // Egress audit with a URL that carried it in a query is redacted by the
  // egress layer before the sink; the sink stores what it is given.
  StoreAuditSink sink(store_->audit());
  const std::string leaky_url = "https://a.grafana.net/api/x?t=" + canary;
  egress::Request req;
  req.url = leaky_url;
  sink.record(egress::audit_record("alert_list", "team-a", req, egress::Decision{}));

  const auto db = read_file(dir_ / "vitrine.db");
  const auto wal = read_file(dir_ / "vitrine.db-wal");
  ASSERT_FALSE(db.empty());
  ASSERT_FALSE(wal.empty()) << "the WAL should hold recent pages while the store is open";
  expect_absent(db, canary, "database file");
  expect_absent(wal, canary, "WAL");
  expect_absent(log_.str(), canary, "JSON log");
  ASSERT_FALSE(log_.str().empty());
  auto rows = store_->audit().query({});
  ASSERT_TRUE(rows.ok());
  ASSERT_GT(rows->size(), 5u);
  expect_absent(format_audit_text(*rows), canary, "audit text");
  expect_absent(format_audit_json(*rows), canary, "audit json");
  expect_absent(format_review_md(*rows, *store_->approvals().list({}), std::nullopt, now_ms_),
                canary, "audit md");
  auto status = sp.show("team-a");
  ASSERT_TRUE(status.ok());
  expect_absent(status->token.set_by + status->token.origin + status->token.key_id, canary,
                "token status");
  store_.reset();  // checkpoint: the WAL is folded into the main file
  expect_absent(read_file(dir_ / "vitrine.db"), canary, "database file after checkpoint");
}

// The same promise on every backend, from the files the database keeps on
// disk: SQLite's file and WAL, or every file of the PostgreSQL server
// (tables, indexes, TOAST, write-ahead log).
class P4_CanaryAtRest : public BackendTest {
 protected:
  std::vector<std::pair<std::string, std::string>> database_files() {
    std::vector<std::pair<std::string, std::string>> out;
    if (!on_postgres()) {
      for (const char* name : {"vitrine.db", "vitrine.db-wal"}) {
        out.emplace_back(name, read_file(dir_ / name));
      }
      return out;
    }
    std::string why;
    PgServer* server = PgServer::get(&why);
    EXPECT_NE(server, nullptr) << why;
    if (server == nullptr) return out;
    // The test server writes asynchronously (synchronous_commit=off): a
    // checkpoint puts every committed row and its WAL on disk first.
    EXPECT_TRUE(raw_sql("CHECKPOINT"));
    for (const auto& e : std::filesystem::recursive_directory_iterator(server->data_directory())) {
      if (e.is_regular_file()) out.emplace_back(e.path().string(), read_file(e.path()));
    }
    return out;
  }
};

TEST_P(P4_CanaryAtRest, NeverInAnyFileOfTheDatabase) {
  const std::string canary = make_glsa('Z', "CANARYcanary0123456789");
  approve_plugins();
  make_space("canary-space", "https://a.grafana.net", canary);
  ASSERT_TRUE(
      store_->spaces().rotate_token("admin", "canary-space", crypto::SecretString(canary)).ok());
  ASSERT_TRUE(store_->cache().put("canary-space", "alert_list", "k", canary, 60).ok());
  ASSERT_EQ(store_->spaces().token_for("canary-space", "https://a.grafana.net")->view(), canary);
  auto files = database_files();
  ASSERT_FALSE(files.empty());
  bool space_key_seen = false;  // the scan sees plaintext rows, so it could see the canary
  for (const auto& [name, bytes] : files) {
    if (bytes.find("canary-space") != std::string::npos) space_key_seen = true;
    expect_absent(bytes, canary, name);
  }
  EXPECT_TRUE(space_key_seen);
}

VITRINE_ON_EVERY_BACKEND(P4_CanaryAtRest);

TEST(P4_CanaryForms, TheScannerFindsEveryForm) {
  const std::string canary = make_glsa('Z', "CANARY");
  for (const auto& [name, form] : canary_forms(canary)) {
    std::string hay = "prefix " + form + " suffix";
    EXPECT_NE(hay.find(form), std::string::npos) << name;
  }
  std::string embedded = crypto::base64_encode(crypto::as_bytes("ab" + canary + "cd"));
  bool found = false;
  for (const auto& [name, form] : canary_forms(canary)) {
    if (embedded.find(form) != std::string::npos) found = true;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace vitrine::store::testing
