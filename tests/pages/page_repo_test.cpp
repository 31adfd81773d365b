// The page repository (docs/editing.md): edits as commits, optimistic
// concurrency, history, diff, restore, and a git clone/push round trip.
#include "pages/page_repo.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace vitrine::pages {
namespace {

namespace fs = std::filesystem;

const Author kAda{"Ada Lovelace", "ada@example.com"};
const Author kBob{"Bob", "user:42"};

class PageRepoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "vitrine-pages-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ / "space";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  PageRepo open_repo() {
    auto r = PageRepo::open(dir_);
    EXPECT_TRUE(r.ok()) << r.error.message;
    return std::move(*r.value);
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static std::string must(const PageResult<std::string>& r) {
    EXPECT_TRUE(r.ok()) << r.error.rule << ": " << r.error.message;
    return r.value.value_or("");
  }
  fs::path root_;
  fs::path dir_;
};

TEST_F(PageRepoTest, PageRepoOpenCreatesRepositoryOnMain) {
  PageRepo repo = open_repo();
  EXPECT_TRUE(fs::exists(dir_ / ".git"));
  const std::string head = must(repo.head());
  EXPECT_EQ(head.size(), 40u);
  PageRepo again = open_repo();
  EXPECT_EQ(must(again.head()), head);
}

TEST_F(PageRepoTest, PageRepoOpenImportsExistingPages) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "runbook.md") << "# Runbook\n";
  std::ofstream(dir_ / "Bad Name.md") << "x";
  std::ofstream(dir_ / "notes.txt") << "x";
  PageRepo repo = open_repo();
  auto read = repo.read("runbook");
  ASSERT_TRUE(read.ok()) << read.error.message;
  EXPECT_EQ(read.value->text, "# Runbook\n");
  auto hist = repo.history("runbook");
  ASSERT_TRUE(hist.ok());
  EXPECT_EQ(hist.value->size(), 1u);
}

TEST_F(PageRepoTest, PageWriteReadHistory) {
  PageRepo repo = open_repo();
  const std::string r1 = must(repo.write("runbook", "v1\n", kAda, "First draft", ""));
  auto read = repo.read("runbook");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.value->text, "v1\n");
  EXPECT_EQ(read.value->revision, r1);
  EXPECT_EQ(slurp(dir_ / "runbook.md"), "v1\n");  // the file the server serves

  const std::string r2 = must(repo.write("runbook", "v2\n", kBob, "", r1));
  EXPECT_NE(r1, r2);
  EXPECT_EQ(slurp(dir_ / "runbook.md"), "v2\n");
  EXPECT_EQ(repo.read("runbook", r1).value->text, "v1\n");

  auto hist = repo.history("runbook");
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ(hist.value->size(), 2u);
  EXPECT_EQ((*hist.value)[0].id, r2);
  EXPECT_EQ((*hist.value)[0].author_name, "Bob");
  EXPECT_EQ((*hist.value)[0].author_id, "user:42");
  EXPECT_EQ((*hist.value)[0].message, "Edit runbook");
  EXPECT_EQ((*hist.value)[1].id, r1);
  EXPECT_EQ((*hist.value)[1].author_id, "ada@example.com");
  EXPECT_EQ((*hist.value)[1].message, "First draft");
  EXPECT_GT((*hist.value)[1].time, 1600000000);
  EXPECT_EQ(repo.history("runbook", 1).value->size(), 1u);
}

TEST_F(PageRepoTest, PageWriteOfUnchangedTextCommitsNothing) {
  PageRepo repo = open_repo();
  const std::string r1 = must(repo.write("a", "same\n", kAda, "", ""));
  EXPECT_EQ(must(repo.write("a", "same\n", kAda, "", r1)), r1);
  EXPECT_EQ(repo.history("a").value->size(), 1u);
}

TEST_F(PageRepoTest, PageEditConflictSecondWriterGetsBothTexts) {
  PageRepo repo = open_repo();
  const std::string base = must(repo.write("runbook", "original\n", kAda, "", ""));
  const std::string first = must(repo.write("runbook", "ada's edit\n", kAda, "", base));
  auto second = repo.write("runbook", "bob's edit\n", kBob, "", base);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error.code, PageErrc::conflict);
  EXPECT_EQ(second.error.rule, "page-edit-conflict");
  ASSERT_TRUE(second.conflict.has_value());
  EXPECT_EQ(second.conflict->base, base);
  EXPECT_EQ(second.conflict->current_revision, first);
  EXPECT_TRUE(second.conflict->current_exists);
  EXPECT_EQ(second.conflict->current_text, "ada's edit\n");
  EXPECT_EQ(second.conflict->your_text, "bob's edit\n");
  EXPECT_EQ(repo.read("runbook").value->text, "ada's edit\n");
  // Resolving against the current revision goes through.
  must(repo.write("runbook", "merged\n", kBob, "Merge", second.conflict->current_revision));
}

TEST_F(PageRepoTest, PageEditConflictOnCreatingTheSamePageTwice) {
  PageRepo repo = open_repo();
  must(repo.write("new", "one\n", kAda, "", ""));
  auto again = repo.write("new", "two\n", kBob, "", "");
  EXPECT_EQ(again.error.rule, "page-edit-conflict");
  ASSERT_TRUE(again.conflict.has_value());
  EXPECT_EQ(again.conflict->current_text, "one\n");
}

TEST_F(PageRepoTest, PageEditConflictIgnoresOtherPages) {
  PageRepo repo = open_repo();
  const std::string base = must(repo.write("a", "a1\n", kAda, "", ""));
  must(repo.write("b", "b1\n", kBob, "", ""));
  must(repo.write("a", "a2\n", kAda, "", base));
}

TEST_F(PageRepoTest, PageEditConflictOnDeletedPage) {
  PageRepo repo = open_repo();
  const std::string base = must(repo.write("a", "a1\n", kAda, "", ""));
  must(repo.remove("a", kBob, "", base));
  auto edit = repo.write("a", "a2\n", kAda, "", base);
  EXPECT_EQ(edit.error.rule, "page-edit-conflict");
  ASSERT_TRUE(edit.conflict.has_value());
  EXPECT_FALSE(edit.conflict->current_exists);
  EXPECT_EQ(edit.conflict->your_text, "a2\n");
}

TEST_F(PageRepoTest, PageDiffIsUnified) {
  PageRepo repo = open_repo();
  const std::string r1 = must(repo.write("runbook", "keep\nold line\n", kAda, "", ""));
  const std::string r2 = must(repo.write("runbook", "keep\nnew line\n", kAda, "", r1));
  auto d = repo.diff("runbook", r1, r2);
  ASSERT_TRUE(d.ok()) << d.error.message;
  EXPECT_NE(d.value->find("--- a/runbook.md"), std::string::npos) << *d.value;
  EXPECT_NE(d.value->find("+++ b/runbook.md"), std::string::npos);
  EXPECT_NE(d.value->find("\n-old line\n"), std::string::npos);
  EXPECT_NE(d.value->find("\n+new line\n"), std::string::npos);
  EXPECT_NE(d.value->find("\n keep\n"), std::string::npos);
  EXPECT_EQ(repo.diff("runbook", r1, "0123").error.rule, "page-revision-unknown");
  EXPECT_EQ(repo.diff("nothing", r1, r2).error.rule, "page-not-found");
}

TEST_F(PageRepoTest, PageRestoreIsANewCommit) {
  PageRepo repo = open_repo();
  const std::string r1 = must(repo.write("runbook", "v1\n", kAda, "", ""));
  const std::string r2 = must(repo.write("runbook", "v2\n", kBob, "", r1));
  const std::string r3 = must(repo.restore("runbook", r1, kAda, r2));
  EXPECT_EQ(repo.read("runbook").value->text, "v1\n");
  auto hist = repo.history("runbook");
  ASSERT_EQ(hist.value->size(), 3u);
  EXPECT_EQ((*hist.value)[0].id, r3);
  EXPECT_NE((*hist.value)[0].message.find("Restore runbook"), std::string::npos);
  EXPECT_EQ(repo.read("runbook", r2).value->text, "v2\n");  // nothing rewritten
  EXPECT_EQ(repo.restore("runbook", r1, kAda, r2).error.rule, "page-edit-conflict");
}

TEST_F(PageRepoTest, PageRenameMovesTextAndFile) {
  PageRepo repo = open_repo();
  const std::string r1 = must(repo.write("old-name", "text\n", kAda, "", ""));
  must(repo.write("taken", "t\n", kAda, "", ""));
  EXPECT_EQ(repo.rename("old-name", "taken", kAda, "", r1).error.rule, "page-exists");
  must(repo.rename("old-name", "new-name", kAda, "", r1));
  EXPECT_EQ(repo.read("old-name").error.rule, "page-not-found");
  EXPECT_EQ(repo.read("new-name").value->text, "text\n");
  EXPECT_FALSE(fs::exists(dir_ / "old-name.md"));
  EXPECT_EQ(slurp(dir_ / "new-name.md"), "text\n");
  EXPECT_EQ(repo.rename("nope", "other", kAda, "", must(repo.head())).error.rule, "page-not-found");
}

TEST_F(PageRepoTest, PageDeleteKeepsHistory) {
  PageRepo repo = open_repo();
  const std::string r1 = must(repo.write("gone", "text\n", kAda, "", ""));
  must(repo.remove("gone", kBob, "Not needed", r1));
  EXPECT_EQ(repo.read("gone").error.code, PageErrc::not_found);
  EXPECT_FALSE(fs::exists(dir_ / "gone.md"));
  EXPECT_EQ(repo.read("gone", r1).value->text, "text\n");
  auto hist = repo.history("gone");
  ASSERT_EQ(hist.value->size(), 2u);
  EXPECT_EQ((*hist.value)[0].message, "Not needed");
  EXPECT_EQ(repo.remove("gone", kBob, "", must(repo.head())).error.rule, "page-not-found");
}

TEST_F(PageRepoTest, PageNameRefusesPathsAndOtherShapes) {
  PageRepo repo = open_repo();
  for (const std::string& bad :
       std::vector<std::string>{"", "..", "../x", "/etc/passwd", ".git", ".git/config", "a/b",
                                "Runbook", "x.md", "a b", "a\\b", "a\nb", std::string(65, 'a')}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(is_page_name(bad));
    auto w = repo.write(bad, "x", kAda, "", "");
    EXPECT_EQ(w.error.code, PageErrc::bad_name);
    EXPECT_EQ(w.error.rule, "page-name");
    EXPECT_EQ(repo.read(bad).error.rule, "page-name");
  }
  EXPECT_TRUE(is_page_name("payments-runbook-2"));
  EXPECT_TRUE(is_page_name(std::string(64, 'a')));
  EXPECT_FALSE(fs::exists(root_ / "x.md"));
}

TEST_F(PageRepoTest, PageAuthorRefusesHeaderBreakingValues) {
  PageRepo repo = open_repo();
  EXPECT_EQ(repo.write("a", "x", Author{"Eve <evil>", "e"}, "", "").error.rule, "page-author");
  EXPECT_EQ(repo.write("a", "x", Author{"Eve", "e\nx"}, "", "").error.rule, "page-author");
  EXPECT_EQ(repo.write("a", "x", Author{"", "e"}, "", "").error.rule, "page-author");
}

TEST_F(PageRepoTest, PageRevisionUnknownAndTooLarge) {
  PageRepo repo = open_repo();
  EXPECT_EQ(repo.read("a", "deadbeef").error.rule, "page-revision-unknown");
  EXPECT_EQ(repo.write("a", "x", kAda, "", std::string(40, 'f')).error.rule,
            "page-revision-unknown");
  EXPECT_EQ(repo.write("a", std::string(kMaxPageBytes + 1, 'x'), kAda, "", "").error.rule,
            "page-too-large");
}

TEST_F(PageRepoTest, PageWritesFromManyThreadsAllLand) {
  PageRepo repo = open_repo();
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      PageRepo mine = std::move(*PageRepo::open(dir_).value);
      ok[static_cast<std::size_t>(i)] =
          mine.write("page-" + std::to_string(i), "text\n", kAda, "", "").ok() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(ok[static_cast<std::size_t>(i)], 1) << i;
    EXPECT_TRUE(repo.read("page-" + std::to_string(i)).ok()) << i;
  }
}

#ifdef VITRINE_GIT_BIN
int run(const std::string& cmd) {
  const std::string full = cmd + " >/dev/null 2>&1";
  return std::system(full.c_str());
}

std::string output_of(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[256];
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  return out;
}

TEST_F(PageRepoTest, PageRepoOpenAdoptsAnEmptyGitInit) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "runbook.md") << "# Runbook\n";
  ASSERT_EQ(run(std::string(VITRINE_GIT_BIN) + " init -q -b main '" + dir_.string() + "'"), 0);
  PageRepo repo = open_repo();
  EXPECT_EQ(repo.read("runbook").value->text, "# Runbook\n");
}

TEST_F(PageRepoTest, PageRepoIoWhenAnotherBranchIsCheckedOut) {
  fs::create_directories(dir_);
  const std::string git = std::string(VITRINE_GIT_BIN) + " -C '" + dir_.string() +
                          "' -c user.name=X -c user.email=x@example.com";
  ASSERT_EQ(run(std::string(VITRINE_GIT_BIN) + " init -q -b master '" + dir_.string() + "'"), 0);
  ASSERT_EQ(run(git + " commit -q --allow-empty -m first"), 0);
  auto r = PageRepo::open(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.rule, "page-repo-io");
  EXPECT_NE(r.error.message.find("refs/heads/master"), std::string::npos) << r.error.message;
}

// The supported way to work with plain git: clone, commit, push to `main`.
// The repository accepts the push because open() set
// receive.denyCurrentBranch=updateInstead, and the API sees it at once.
TEST_F(PageRepoTest, PageRepoGitCloneAndPushRoundTrip) {
  PageRepo repo = open_repo();
  must(repo.write("runbook", "from the browser\n", kAda, "", ""));
  // Work tree and index match HEAD: what git needs to accept a push here.
  EXPECT_EQ(
      output_of(std::string(VITRINE_GIT_BIN) + " -C '" + dir_.string() + "' status --porcelain"),
      "");
  const fs::path clone = root_ / "clone";
  const std::string git = std::string(VITRINE_GIT_BIN) +
                          " -c user.name=Carol -c user.email=carol@example.com"
                          " -c init.defaultBranch=main -c protocol.file.allow=always";
  ASSERT_EQ(run(git + " clone -q '" + dir_.string() + "' '" + clone.string() + "'"), 0);
  EXPECT_EQ(slurp(clone / "runbook.md"), "from the browser\n");

  std::ofstream(clone / "runbook.md", std::ios::trunc) << "from a laptop\n";
  const std::string in_clone = git + " -C '" + clone.string() + "'";
  ASSERT_EQ(run(in_clone + " commit -q -am 'Edit offline'"), 0);
  ASSERT_EQ(run(in_clone + " push -q origin main"), 0);

  auto read = repo.read("runbook");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.value->text, "from a laptop\n");
  EXPECT_EQ(slurp(dir_ / "runbook.md"), "from a laptop\n");  // served file updated too
  auto hist = repo.history("runbook");
  ASSERT_EQ(hist.value->size(), 2u);
  EXPECT_EQ((*hist.value)[0].author_name, "Carol");
  EXPECT_EQ((*hist.value)[0].message, "Edit offline\n");

  // And back: an API edit on top of the pushed commit, then a second push.
  must(repo.write("runbook", "edited again\n", kAda, "", read.value->revision));
  ASSERT_EQ(run(in_clone + " pull -q --ff-only origin main"), 0);
  EXPECT_EQ(slurp(clone / "runbook.md"), "edited again\n");
  std::ofstream(clone / "second.md") << "new page\n";
  ASSERT_EQ(run(in_clone + " add second.md"), 0);
  ASSERT_EQ(run(in_clone + " commit -q -m 'Add page'"), 0);
  ASSERT_EQ(run(in_clone + " push -q origin main"), 0);
  EXPECT_EQ(repo.read("second").value->text, "new page\n");
}
#endif

}  // namespace
}  // namespace vitrine::pages
