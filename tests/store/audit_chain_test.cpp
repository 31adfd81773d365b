// P9 tamper evidence (docs/security/storage.md, "Audit"): every audit row is
// chained to the previous one; `audit verify` names the first row that was
// edited, deleted or reordered, a log cut short is caught against a signed
// checkpoint, and archiving prunes a prefix that the rest still verifies from.
#include "store/audit_chain.h"

#include "backend_test_support.h"
#include "store/audit_archive.h"

namespace vitrine::store::testing {
namespace {

class AuditChain : public BackendTest {
 protected:
  void write_rows(int n) {
    for (int i = 0; i < n; ++i) {
      now_ms_ += 1000;
      AuditEvent e{"test", "", "test.event", "row-" + std::to_string(i), "ok", {}};
      ASSERT_TRUE(store_->audit().record(e).ok());
    }
  }
  // A second connection that bypasses the store, as an attacker with the
  // database file would; the append-only triggers are dropped first.
  void tamper(const std::string& sql) {
    const std::string on_audit = on_postgres() ? " ON audit" : "";
    const std::string on_chain = on_postgres() ? " ON audit_chain" : "";
    ASSERT_TRUE(raw_sql("DROP TRIGGER IF EXISTS audit_no_update" + on_audit));
    ASSERT_TRUE(raw_sql("DROP TRIGGER IF EXISTS audit_no_delete" + on_audit));
    ASSERT_TRUE(raw_sql("DROP TRIGGER IF EXISTS audit_chain_forward" + on_chain));
    ASSERT_TRUE(raw_sql(sql)) << sql;
  }
  AuditVerifyReport verify(const std::vector<AuditCheckpoint>& cps = {}) {
    auto rep = verify_audit_chain(store_->backend(), cps);
    EXPECT_TRUE(rep.ok()) << rep.error().message;
    return rep.ok() ? *rep : AuditVerifyReport{};
  }
  // Five rows, `sql` run behind the store's back, then verify: the chain must
  // break at `bad_id`, and the problem must name `where`.
  void expect_broken_at(const std::string& sql, int64_t bad_id, const std::string& where) {
    write_rows(5);
    tamper(sql);
    auto rep = verify();
    EXPECT_FALSE(rep.ok);
    EXPECT_EQ(rep.bad_id, bad_id);
    EXPECT_NE(rep.problem.find(where), std::string::npos) << rep.problem;
  }
  AuditCheckpoint checkpoint_now() {
    auto line = checkpoint_audit(store_->backend(), *store_->keyring(), now_ms_);
    EXPECT_TRUE(line.ok());
    auto cp = read_checkpoint(*line, *store_->keyring());
    EXPECT_TRUE(cp.ok()) << cp.error().message;
    return *cp;
  }
};

TEST_P(AuditChain, P9_EveryRowCarriesALinkAndAnUntouchedLogVerifies) {
  write_rows(5);
  auto rows = store_->audit().query({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 5u);
  for (const auto& r : *rows) EXPECT_EQ(r.chain.size(), 64u) << r.id;
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.rows_checked, 5);
  EXPECT_EQ(rep.last_link, rows->back().chain);
}

TEST_P(AuditChain, P9_AnEditedRowIsReportedAtThatRow) {
  expect_broken_at("UPDATE audit SET verdict = 'deny' WHERE id = 3", 3, "row 3");
}

TEST_P(AuditChain, P9_ADeletedRowIsReportedAtTheRowAfterIt) {
  expect_broken_at("DELETE FROM audit WHERE id = 3", 4, "after row 2");
}

TEST_P(AuditChain, P9_ReorderedRowsAreReported) {
  // Swap the contents (links included) of rows 2 and 3.
  expect_broken_at(
      "UPDATE audit SET subject = CASE id WHEN 2 THEN 'row-2' ELSE 'row-1' END, chain = CASE id "
      "WHEN 2 THEN (SELECT chain FROM audit WHERE id = 3) ELSE (SELECT chain FROM audit WHERE id "
      "= 2) END WHERE id IN (2, 3)",
      2, "row 2");
}

TEST_P(AuditChain, P9_ALogCutShortIsCaughtOnlyAgainstASignedCheckpoint) {
  write_rows(6);
  const AuditCheckpoint cp = checkpoint_now();
  EXPECT_EQ(cp.last_id, 6);
  tamper("DELETE FROM audit WHERE id >= 5");
  // Without a checkpoint the shorter chain is self-consistent: verify says
  // so and says what it could not check.
  auto alone = verify();
  EXPECT_TRUE(alone.ok);
  ASSERT_FALSE(alone.notes.empty());
  EXPECT_NE(alone.notes[0].find("cannot be detected"), std::string::npos);
  auto rep = verify({cp});
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("cut short"), std::string::npos) << rep.problem;
  EXPECT_NE(rep.problem.find("row 6"), std::string::npos) << rep.problem;
}

TEST_P(AuditChain, P9_ARewrittenTailDiffersFromTheCheckpoint) {
  write_rows(4);
  const AuditCheckpoint cp = checkpoint_now();
  // Rewritten consistently from row 4 on (as a careful attacker would, with
  // the link recomputed), the chain verifies, but not against the checkpoint.
  auto rows = store_->audit().query({});
  ASSERT_TRUE(rows.ok());
  AuditRow forged = rows->back();
  forged.verdict = "deny";
  const std::string link = audit_link((*rows)[2].chain, forged);
  tamper("UPDATE audit SET verdict = 'deny', chain = '" + link + "' WHERE id = 4");
  EXPECT_TRUE(verify().ok);
  auto rep = verify({cp});
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_id, 4);
}

TEST_P(AuditChain, P9_ACheckpointWithAChangedFieldOrAnotherKeyIsRefused) {
  write_rows(2);
  auto line = checkpoint_audit(store_->backend(), *store_->keyring(), now_ms_);
  ASSERT_TRUE(line.ok());
  std::string changed = *line;
  changed.replace(changed.find("\"last_id\":2"), 11, "\"last_id\":1");
  auto forged = read_checkpoint(changed, *store_->keyring());
  ASSERT_FALSE(forged.ok());
  EXPECT_NE(forged.error().message.find("[audit-checkpoint]"), std::string::npos);
  auto other = read_checkpoint(*line, generated_keyring(2));
  EXPECT_FALSE(other.ok());
  EXPECT_TRUE(read_checkpoint(*line, *store_->keyring()).ok());
}

TEST_P(AuditChain, P9_ArchivePrunesThePrefixAndTheRestVerifiesFromItsCheckpoint) {
  write_rows(5);  // at 1..5 s after the start
  const int64_t cut = now_ms_ + 500;
  write_rows(3);
  const auto out = dir_ / "archive.jsonl";
  auto res = archive_audit(store_->backend(), *store_->keyring(), cut, out, now_ms_);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->rows, 5);
  EXPECT_EQ(res->last_id, 5);
  EXPECT_EQ(*store_->backend().count_audit(), 3);
  const std::string text = read_file(out);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 6);  // 5 rows + checkpoint
  auto cp = read_checkpoint(text, *store_->keyring());
  ASSERT_TRUE(cp.ok()) << cp.error().message;
  EXPECT_EQ(cp->count, 5);
  auto rep = verify({*cp});
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.rows_checked, 3);
  write_rows(1);  // new rows chain on from the remaining ones
  EXPECT_TRUE(verify({*cp}).ok);

  // Never over an existing file.
  auto again = archive_audit(store_->backend(), *store_->keyring(), now_ms_ + 1, out, now_ms_);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("[audit-archive-exists]"), std::string::npos);
  EXPECT_EQ(*store_->backend().count_audit(), 4);

  // A moved anchor is caught against the archive's checkpoint.
  tamper("UPDATE audit_chain SET pruned_through_hash = '" + std::string(64, '0') + "'");
  EXPECT_FALSE(verify({*cp}).ok);
}

TEST_P(AuditChain, P9_ArchiveRefusesABrokenChainAndPrunesNothing) {
  write_rows(4);
  tamper("UPDATE audit SET subject = 'edited' WHERE id = 2");
  const auto out = dir_ / "archive.jsonl";
  auto res = archive_audit(store_->backend(), *store_->keyring(), now_ms_ + 1, out, now_ms_);
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.error().message.find("[audit-chain-broken]"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(*store_->backend().count_audit(), 4);
}

TEST_P(AuditChain, P9_OnlyArchivedRowsCanBeDeleted) {
  write_rows(3);
  EXPECT_FALSE(raw_sql("DELETE FROM audit WHERE id = 1"));
  EXPECT_FALSE(raw_sql("UPDATE audit_chain SET pruned_through_id = -1"));
  EXPECT_EQ(*store_->backend().count_audit(), 3);
}

VITRINE_ON_EVERY_BACKEND(AuditChain);

}  // namespace
}  // namespace vitrine::store::testing
