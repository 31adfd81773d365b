// Backup and restore (docs/admin.md "Backup and restore"): a round trip
// keeps every byte, token and audit row; every refusal rule names itself
// and writes nothing; the keyring never enters a backup.
// SQLite only: the backup is SQLite's online backup of the database file.
#include "store/backup.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "digest/sha256.h"
#include "store/sqlite/sqlite_backend.h"
#include "test_support.h"

namespace vitrine::store::testing {
namespace {

namespace fs = std::filesystem;
using backup::Limits;

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class Backup : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = make_temp_dir();
    ASSERT_FALSE(root_.empty());
    data_ = root_ / "data";
    key_file_ = root_ / "keyring";
    crypto::Keyring ring;
    ASSERT_TRUE(ring.add_generated().ok());
    ASSERT_TRUE(ring.create_file(key_file_).ok());
    store_ = open(data_);
    // Connecting needs an approved plugin that may reach the origin.
    ASSERT_TRUE(store_->approvals()
                    .approve("test", plugin_manifest("alert_list", "1.0.0", {"grafana:read:alerts"},
                                                     {wildcard_entry("grafana.net")}))
                    .ok());
    auto sp = store_->spaces();
    ASSERT_TRUE(sp.create("test", "team-a", "").ok());
    ASSERT_TRUE(sp.connect("test", "team-a", to_origin(kOrigin)).ok());
    ASSERT_TRUE(sp.set_token("test", "team-a", crypto::SecretString(token_)).ok());
    write_file(data_ / "pages/team-a/home.md", "# Home\n\n{{dashboard uid=\"abc\"}}\n");
    write_file(data_ / "pages/team-a/runbook.md", std::string(100000, 'r') + "\n");
    write_file(data_ / "license.json", "{\"license\":\"stand-in\"}\n");
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::unique_ptr<Store> open(const fs::path& dir) {
    StoreOptions o;
    o.data_dir = dir;
    auto ring = crypto::Keyring::load_file(key_file_);
    EXPECT_TRUE(ring.ok());
    if (ring.ok()) o.keyring = std::move(*ring);
    o.key_file = key_file_;
    auto s = Store::open(std::move(o));
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? std::move(*s) : nullptr;
  }
  Result<backup::CreateReport> take(const fs::path& out) {
    backup::CreateOptions o;
    o.data_dir = data_;
    o.out = out;
    o.exclude = {key_file_};
    o.vitrine_version = "test";
    return backup::create_backup(store_->backend(), o);
  }
  // Restores `file` into root/target and expects a refusal naming `rule`,
  // with nothing written: no target, nothing new beside it.
  void expect_refused(const fs::path& file, const std::string& rule, const Limits& limits = {}) {
    const auto before = listing(root_);
    backup::RestoreOptions o;
    o.file = file;
    o.target = root_ / "target";
    o.who = "test";
    o.limits = limits;
    auto r = backup::restore_backup(o);
    ASSERT_FALSE(r.ok()) << "restored a file that breaks " << rule;
    EXPECT_NE(r.error().message.find("[" + rule + "]"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_FALSE(fs::exists(root_ / "target"));
    EXPECT_EQ(listing(root_), before);
    EXPECT_FALSE(backup::verify_backup(file, limits).ok());
  }
  // A container built by hand: header, manifest, bytes, trailer.
  fs::path craft(const std::string& name, const std::string& manifest, const std::string& body,
                 int version = 1, bool good_trailer = true) {
    std::string head = "vitrine-backup " + std::to_string(version) + "\nmanifest " +
                       std::to_string(manifest.size()) + "\n" + manifest + "\n" + body;
    std::string digest = digest::sha256_hex(head);
    if (!good_trailer) digest[0] = digest[0] == '0' ? '1' : '0';
    fs::path p = root_ / name;
    write_file(p, head + "sha256 " + digest + "\n");
    return p;
  }
  std::string manifest_with(const std::vector<backup::Entry>& entries) {
    backup::Manifest m;
    m.created_at = "2026-12-07T01:30:00Z";
    m.vitrine_version = "test";
    m.schema_version = 1;
    m.entries = entries;
    return backup::manifest_json(m);
  }
  backup::Entry entry(const std::string& path, const std::string& bytes) {
    return backup::Entry{path, static_cast<int64_t>(bytes.size()), digest::sha256_hex(bytes)};
  }

  static constexpr const char* kOrigin = "https://team-a.grafana.net";
  const std::string token_ = make_glsa('B', "backupcanary");
  fs::path root_, data_, key_file_;
  std::unique_ptr<Store> store_;
};

TEST_F(Backup, RoundTripKeepsPagesAuditAndTokensWithTheSameKeyring) {
  auto rep = take(root_ / "b.vbk");
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  auto audit_before = store_->audit().query({});
  ASSERT_TRUE(audit_before.ok());
  EXPECT_EQ(rep->file.manifest.database.audit_rows, static_cast<int64_t>(audit_before->size()));

  backup::RestoreOptions o;
  o.file = root_ / "b.vbk";
  o.target = root_ / "restored";
  o.who = "test";
  auto v = backup::restore_backup(o);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->sha256, rep->file.sha256);

  for (const char* page : {"pages/team-a/home.md", "pages/team-a/runbook.md", "license.json"}) {
    EXPECT_EQ(read_file(root_ / "restored" / page), read_file(data_ / page)) << page;
    struct stat st {};
    ASSERT_EQ(::stat((root_ / "restored" / page).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << page;
  }
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "restored/pages/team-a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto restored = open(root_ / "restored");
  ASSERT_TRUE(restored);
  auto token = restored->spaces().token_for("team-a", kOrigin);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->view(), token_);
  auto audit_after = restored->audit().query({});
  ASSERT_TRUE(audit_after.ok());
  ASSERT_EQ(audit_after->size(), audit_before->size() + 1);
  for (std::size_t i = 0; i < audit_before->size(); ++i) {
    const auto& a = (*audit_before)[i];
    const auto& b = (*audit_after)[i];
    EXPECT_EQ(
        std::tie(a.id, a.at_ms, a.who, a.space, a.action, a.subject, a.verdict, a.detail_json),
        std::tie(b.id, b.at_ms, b.who, b.space, b.action, b.subject, b.verdict, b.detail_json));
  }
  EXPECT_EQ(audit_after->back().action, "backup.restore");
  EXPECT_NE(audit_after->back().detail_json.find(rep->file.sha256), std::string::npos);
}

TEST_F(Backup, DatabaseCopyIsOneSnapshotAndNeverRestartsWhileAnotherConnectionWrites) {
  // A few megabytes, so the copy takes several 256-page steps.
  ASSERT_TRUE(store_->backend()
                  .transaction([&]() -> Status {
                    for (int i = 0; i < 3000; ++i) {
                      auto r = store_->audit().record(
                          AuditEvent{"seed", "", "load.seed", std::to_string(i), "ok",
                                     Detail{{"filler", std::string(1000, 'f'), false}}});
                      if (!r) return r.error();
                    }
                    return ok_status();
                  })
                  .ok());
  auto other = open_sqlite_backend(data_ / kSqliteFileName);
  ASSERT_TRUE(other.ok()) << other.error().message;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> writes{0};
  std::thread writer([&] {
    while (!stop.load()) {
      AuditRow row{0, 1, "load", "", "load.write", "x", "ok", "{}"};
      if ((*other)->append_audit(row).ok()) ++writes;
    }
  });
  std::vector<std::pair<int64_t, int64_t>> steps;
  int64_t writes_during = -writes.load();
  auto st = store_->backend().backup_database_to(root_ / "copy.db", [&](int64_t d, int64_t t) {
    steps.emplace_back(d, t);
    // A copy that restarts on every commit would never end: stop writing
    // then, so the test fails on the step count instead of hanging.
    if (steps.size() > 200) stop = true;
    // A slow disk: the writer gets many commits in between steps.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
  writes_during += writes.load();
  stop = true;
  writer.join();
  ASSERT_TRUE(st.ok()) << st.error().message;
  ASSERT_FALSE(steps.empty());
  EXPECT_GT(writes_during, 0);
  const int64_t total = steps.back().second;
  EXPECT_GT(total, 512);
  // One pass, 256 pages per step, never restarted by the writer's commits.
  EXPECT_EQ(static_cast<int64_t>(steps.size()), (total + 255) / 256);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].first, std::min<int64_t>(total, 256 * static_cast<int64_t>(i + 1)));
    EXPECT_EQ(steps[i].second, total);
  }
  EXPECT_FALSE(fs::exists(root_ / "copy.db-wal"));
  struct stat sb {};
  ASSERT_EQ(::stat((root_ / "copy.db").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  // The copy opens, is sound, and holds exactly the rows of one moment.
  auto copy = open_sqlite_backend(root_ / "copy.db");
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  auto check = (*copy)->integrity_check();
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(*check, "ok");
  auto rows = (*copy)->count_audit();
  ASSERT_TRUE(rows.ok());
  EXPECT_GE(*rows, 3000);
  auto now_rows = store_->backend().count_audit();
  ASSERT_TRUE(now_rows.ok());
  EXPECT_LT(*rows, *now_rows);
}

TEST_F(Backup, KeyringIsNeverInsideEvenWhenTheKeyFileLiesInTheDataDirectory) {
  crypto::Keyring inside;
  ASSERT_TRUE(inside.add_generated().ok());
  ASSERT_TRUE(inside.create_file(data_ / "keyring").ok());
  ASSERT_TRUE(inside.create_file(data_ / "pages/team-a/keys-by-mistake.md").ok());
  backup::CreateOptions o;
  o.data_dir = data_;
  o.out = root_ / "b.vbk";
  o.exclude = {data_ / "keyring"};
  auto rep = backup::create_backup(store_->backend(), o);
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  std::set<std::string> paths;
  for (const auto& e : rep->file.manifest.entries) paths.insert(e.path);
  EXPECT_EQ(paths.count("keyring"), 0u);
  EXPECT_EQ(paths.count("pages/team-a/keys-by-mistake.md"), 0u);
  EXPECT_EQ(paths.count("pages/team-a/home.md"), 1u);
  EXPECT_EQ(rep->skipped.size(), 2u);
  const std::string bytes = read_file(root_ / "b.vbk");
  const std::string key_text = read_file(data_ / "keyring");
  const std::string outer_key = read_file(key_file_);
  for (const std::string* text : {&key_text, &outer_key}) {
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line[0] == '#') continue;
      const std::string b64 = line.substr(line.find(' ') + 1);
      EXPECT_EQ(bytes.find(b64), std::string::npos) << "key material in the backup";
    }
  }
}

TEST_F(Backup, NeverWritesIntoTheDataDirectoryItCopies) {
  auto rep = take(data_ / "pages/b.vbk");
  ASSERT_FALSE(rep.ok());
  EXPECT_NE(rep.error().message.find("inside the data directory"), std::string::npos);
  EXPECT_FALSE(fs::exists(data_ / "pages/b.vbk"));
}

TEST_F(Backup, NeverOverwritesAnExistingFile) {
  write_file(root_ / "b.vbk", "precious");
  auto rep = take(root_ / "b.vbk");
  EXPECT_FALSE(rep.ok());
  EXPECT_EQ(read_file(root_ / "b.vbk"), "precious");
}

TEST_F(Backup, RuleRestoreTargetNotEmpty) {
  ASSERT_TRUE(take(root_ / "b.vbk").ok());
  write_file(root_ / "target/somebody.md", "x");
  backup::RestoreOptions o;
  o.file = root_ / "b.vbk";
  o.target = root_ / "target";
  auto r = backup::restore_backup(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("[restore-target-not-empty]"), std::string::npos);
  EXPECT_EQ(listing(root_ / "target"), std::vector<std::string>{"somebody.md"});
  // An existing empty directory is fine.
  fs::remove(root_ / "target/somebody.md");
  auto ok = backup::restore_backup(o);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_TRUE(fs::exists(root_ / "target/vitrine.db"));
}

TEST_F(Backup, RuleBackupChecksum_FlippedByteAnywhereIsRefused) {
  ASSERT_TRUE(take(root_ / "b.vbk").ok());
  const std::string good = read_file(root_ / "b.vbk");
  // In an entry (the database), in a page, in the trailer's digest.
  for (std::size_t at : {good.size() / 2, good.size() - 200, good.size() - 10}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    write_file(root_ / "flipped.vbk", bad);
    SCOPED_TRACE(at);
    expect_refused(root_ / "flipped.vbk", "backup-checksum");
  }
}

TEST_F(Backup, RuleBackupTruncatedAndTrailingData) {
  ASSERT_TRUE(take(root_ / "b.vbk").ok());
  const std::string good = read_file(root_ / "b.vbk");
  for (std::size_t keep : {std::size_t{10}, std::size_t{100}, good.size() / 2, good.size() - 1}) {
    write_file(root_ / "short.vbk", good.substr(0, keep));
    SCOPED_TRACE(keep);
    expect_refused(root_ / "short.vbk", "backup-truncated");
  }
  write_file(root_ / "long.vbk", good + "x");
  expect_refused(root_ / "long.vbk", "backup-trailing-data");
}

TEST_F(Backup, RuleBackupFormatAndVersion) {
  write_file(root_ / "notes.txt", "just some notes\n");
  expect_refused(root_ / "notes.txt", "backup-format");
  const std::string db = "not really a database";
  expect_refused(craft("v2.vbk", manifest_with({entry("vitrine.db", db)}), db, 2),
                 "backup-version");
}

TEST_F(Backup, RuleBackupPath_TraversalAndAbsolutePathsAreRefused) {
  const std::string db = "db", page = "owned";
  for (const char* path :
       {"../escape.md", "/etc/cron.d/x", "pages/../../x", "pages//x", "pages/./x", "pages\\x"}) {
    SCOPED_TRACE(path);
    expect_refused(
        craft("p.vbk", manifest_with({entry("vitrine.db", db), entry(path, page)}), db + page),
        "backup-path");
  }
  EXPECT_FALSE(fs::exists(root_ / "escape.md"));
}

TEST_F(Backup, RuleBackupDuplicate) {
  const std::string db = "db", a = "a", b = "b";
  expect_refused(craft("d.vbk",
                       manifest_with({entry("vitrine.db", db), entry("pages/x.md", a),
                                      entry("pages/x.md", b)}),
                       db + a + b),
                 "backup-duplicate");
  expect_refused(
      craft("d2.vbk",
            manifest_with({entry("vitrine.db", db), entry("pages", a), entry("pages/x.md", b)}),
            db + a + b),
      "backup-duplicate");
}

TEST_F(Backup, RuleBackupEntrySize_OverTheLimitIsRefusedBeforeReading) {
  const std::string db(4096, 'd');
  Limits small;
  small.max_entry_bytes = 1024;
  expect_refused(craft("big.vbk", manifest_with({entry("vitrine.db", db)}), db),
                 "backup-entry-size", small);
}

TEST_F(Backup, RuleBackupManifestAndNoDatabase) {
  expect_refused(craft("m.vbk", "{\"format\":\"vitrine-backup\"", ""), "backup-manifest");
  const std::string page = "p";
  expect_refused(craft("n.vbk", manifest_with({entry("pages/x.md", page)}), page),
                 "backup-no-database");
}

TEST_F(Backup, RuleBackupEntryDigest_EntryDifferentFromItsManifestDigest) {
  // A consistent trailer over an entry that is not what the manifest says.
  const std::string db = "db";
  backup::Entry e = entry("vitrine.db", db);
  e.sha256 = digest::sha256_hex("other");
  expect_refused(craft("e.vbk", manifest_with({e}), db), "backup-entry-digest");
}

TEST_F(Backup, RestoredDatabaseMustPassItsIntegrityCheckOrNothingIsLeft) {
  // Intact container, but the "database" inside is garbage: verified
  // entries, then the restored database refuses to open; nothing remains.
  const std::string db(8192, 'x');
  fs::path f = craft("garbage.vbk", manifest_with({entry("vitrine.db", db)}), db);
  ASSERT_TRUE(backup::verify_backup(f).ok());
  const auto before = listing(root_);
  backup::RestoreOptions o;
  o.file = f;
  o.target = root_ / "target";
  auto r = backup::restore_backup(o);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(fs::exists(root_ / "target"));
  EXPECT_EQ(listing(root_), before);
}

}  // namespace
}  // namespace vitrine::store::testing
