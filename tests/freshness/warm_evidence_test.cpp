#include "render/warm_evidence.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

namespace vitrine::render {
namespace {

class EvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vitrine-ev-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::permissions(root_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(root_, ec);
  }
  EvidenceRecord record(int64_t at_ms, std::size_t macro, std::string html) {
    EvidenceRecord r;
    r.space = "ops";
    r.page = "runbook";
    r.macro = macro;
    r.key = "alert-list";
    r.params = {{"labels", "team=\"payments\""}};
    r.pinned_by = "api:t1";
    r.pinned_at_ms = at_ms;
    r.as_of_ms = at_ms - 5000;
    r.state = "fresh";
    r.html = std::move(html);
    return r;
  }
  std::filesystem::path root_;
};

TEST_F(EvidenceTest, PinnedRecordReadsBackDatedWithItsDigest) {
  EvidenceStore store(root_);
  std::string error;
  auto r = store.pin(record(1796640000123, 2, "<p>2 firing</p>"), error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->id, "20261207T104000123Z-m2");
  EXPECT_EQ(r->sha256, "4a5496fd50652dce6361a0d3db5555f5bfcda81cebcf3a6f3f76c9e50f930b93");
  auto back = store.read("ops", "runbook", r->id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->html, "<p>2 firing</p>");
  EXPECT_EQ(back->params.at("labels"), "team=\"payments\"");
  EXPECT_EQ(back->as_of_ms, 1796640000123 - 5000);
  EXPECT_EQ(back->pinned_by, "api:t1");
}

TEST_F(EvidenceTest, ARecordIsNeverReplacedAndIsReadOnly) {
  EvidenceStore store(root_);
  std::string error;
  auto first = store.pin(record(1796640000123, 1, "<p>before</p>"), error);
  ASSERT_TRUE(first) << error;
  auto second = store.pin(record(1796640000123, 1, "<p>after</p>"), error);
  EXPECT_FALSE(second);
  EXPECT_NE(error.find("same millisecond"), std::string::npos) << error;
  EXPECT_EQ(store.read("ops", "runbook", first->id)->html, "<p>before</p>");
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "ops" / "runbook" / (first->id + ".json")).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
}

TEST_F(EvidenceTest, ListIsOldestFirstAndIgnoresOtherFiles) {
  EvidenceStore store(root_);
  std::string error;
  ASSERT_TRUE(store.pin(record(1796640009000, 1, "<p>b</p>"), error));
  ASSERT_TRUE(store.pin(record(1796640001000, 3, "<p>a</p>"), error));
  std::ofstream(root_ / "ops" / "runbook" / "stray.json") << "{}";
  auto list = store.list("ops", "runbook");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].macro, 3u);
  EXPECT_EQ(list[1].macro, 1u);
  EXPECT_TRUE(store.list("ops", "other").empty());
}

TEST_F(EvidenceTest, IdsAreNeverPaths) {
  EXPECT_TRUE(EvidenceStore::is_id("20261207T104000123Z-m2"));
  EXPECT_FALSE(EvidenceStore::is_id("../../x"));
  EXPECT_FALSE(EvidenceStore::is_id("20261207T104000123Z-m0"));
  EXPECT_FALSE(EvidenceStore::is_id("20261207T104000123Z-m2/../y"));
  EXPECT_FALSE(EvidenceStore(root_).read("ops", "runbook", "../x"));
}

TEST_F(EvidenceTest, ImagesOfTheSpaceAreInlinedAsData) {
  auto lookup = [](const std::string& id) -> std::optional<std::pair<std::string, std::string>> {
    if (id == "img1") return std::make_pair(std::string("image/png"), std::string("PNG"));
    return std::nullopt;
  };
  const std::string html =
      "<img src=\"/assets/ops/img1\"><img src=\"/assets/other/img1\"><img "
      "src=\"/assets/ops/gone\">";
  EXPECT_EQ(inline_assets(html, "ops", lookup),
            "<img src=\"data:image/png;base64,UE5H\"><img src=\"/assets/other/img1\"><img "
            "src=\"/assets/ops/gone\">");
}

}  // namespace
}  // namespace vitrine::render
