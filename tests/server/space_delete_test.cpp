// Deleting a space through the API really deletes: its admin tokens are
// refused at once (bearer and browser session), its pages go to the trash
// (or away with purge), and a space created again with the same key is a
// new space: the old token stays refused, its pages are empty and its
// space admins read none of the predecessor's audit rows; platform admins do.
#include <gtest/gtest.h>

#include <fstream>

#include "server_fixture.h"

namespace vitrine::testing {
namespace {

namespace fs = std::filesystem;
using SpaceDeleteApi = ServerFixture;

std::string create_token(runtime::Runtime& rt, const std::string& role) {
  auto t = rt.store().admin_tokens().create("test", role);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? std::string(t->token.view()) : std::string();
}

std::string space_id_of(runtime::Runtime& rt, const std::string& key) {
  auto sp = rt.store().backend().get_space(key);
  return sp ? sp->id : std::string();
}

TEST_F(SpaceDeleteApi, DeletedSpaceTokensAndSessionsAreRefusedAtOnceAndPagesGoToTrash) {
  const fs::path pages = dir_ / "data" / "pages";
  fs::create_directories(pages / "alpha");
  std::ofstream(pages / "alpha" / "runbook.md") << "# Old runbook\n";
  const std::string old_id = space_id_of(*rt_, "alpha");
  ASSERT_EQ(old_id.size(), 32u);

  const std::string cookie = login(alpha_admin_);
  ASSERT_EQ(send("GET", "/spaces/alpha/pages/runbook", {{"Cookie", cookie}}).status, 200);
  ASSERT_EQ(api("GET", "/api/v1/spaces/alpha", alpha_admin_).status, 200);

  EXPECT_EQ(api("DELETE", "/api/v1/spaces/alpha", alpha_admin_).status, 403);  // platform only
  auto del = api("DELETE", "/api/v1/spaces/alpha", platform_);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_NE(del.body.find("\"id\":\"" + old_id + "\""), std::string::npos) << del.body;
  EXPECT_NE(del.body.find("\"pages\":\"trash\""), std::string::npos) << del.body;

  // At once: no cache window, through this server.
  EXPECT_EQ(api("GET", "/api/v1/spaces/alpha", alpha_admin_).status, 401);
  EXPECT_EQ(api("GET", "/api/v1/spaces", alpha_viewer_).status, 401);
  auto page = send("GET", "/spaces/alpha/pages/runbook", {{"Cookie", cookie}});
  EXPECT_EQ(page.status, 303);  // the session's token is revoked: log in again
  EXPECT_EQ(page.header("location").rfind("/login", 0), 0u) << page.header("location");
  EXPECT_EQ(api("GET", "/api/v1/spaces/beta", beta_admin_).status, 200);  // others unaffected

  EXPECT_FALSE(fs::exists(pages / "alpha"));
  std::vector<fs::path> trashed;
  for (const auto& e : fs::directory_iterator(dir_ / "data" / "trash")) trashed.push_back(e.path());
  ASSERT_EQ(trashed.size(), 1u);
  EXPECT_EQ(trashed[0].filename().string().rfind("alpha-" + old_id + "-", 0), 0u);
  EXPECT_TRUE(fs::exists(trashed[0] / "runbook.md"));

  // The same key again is a new space.
  ASSERT_TRUE(rt_->store().spaces().create("test", "alpha", "Alpha again").ok());
  const std::string new_id = space_id_of(*rt_, "alpha");
  EXPECT_NE(new_id, old_id);
  EXPECT_EQ(api("GET", "/api/v1/spaces/alpha", alpha_admin_).status, 401);
  EXPECT_EQ(api("GET", "/api/v1/spaces/alpha/audit", alpha_admin_).status, 401);
  EXPECT_EQ(send("GET", "/spaces/alpha/pages/runbook", {{"Cookie", cookie}}).status, 303);
  auto relogin = send("POST", "/login",
                      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Origin", origin()}},
                      "token=" + alpha_admin_);
  EXPECT_EQ(relogin.status, 401);
  EXPECT_TRUE(relogin.header("set-cookie").empty());
  const std::string fresh = create_token(*rt_, "space-admin:alpha");
  auto fresh_cookie = login(fresh);
  EXPECT_EQ(send("GET", "/spaces/alpha/pages/runbook", {{"Cookie", fresh_cookie}}).status, 404);

  auto own = api("GET", "/api/v1/spaces/alpha/audit", fresh);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.body.find(old_id), std::string::npos) << own.body;
  EXPECT_EQ(own.body.find("space.delete"), std::string::npos) << own.body;
  EXPECT_NE(own.body.find("\"space_id\":\"" + new_id + "\""), std::string::npos) << own.body;

  auto all = api("GET", "/api/v1/spaces/alpha/audit", platform_);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_NE(all.body.find("\"space_id\":\"" + old_id + "\""), std::string::npos) << all.body;
  EXPECT_NE(all.body.find("\"space_id\":\"" + new_id + "\""), std::string::npos) << all.body;
  EXPECT_NE(all.body.find("space.delete"), std::string::npos) << all.body;

  auto listed = api("GET", "/api/v1/spaces", platform_);
  EXPECT_NE(listed.body.find("\"id\":\"" + new_id + "\""), std::string::npos) << listed.body;
}

TEST_F(SpaceDeleteApi, PurgeRemovesPagesAndBadPurgeValueIsRefused) {
  const fs::path pages = dir_ / "data" / "pages";
  fs::create_directories(pages / "beta");
  std::ofstream(pages / "beta" / "notes.md") << "# Notes\n";
  EXPECT_EQ(api("DELETE", "/api/v1/spaces/beta?purge=yes", platform_).status, 400);
  EXPECT_TRUE(fs::exists(pages / "beta" / "notes.md"));
  auto del = api("DELETE", "/api/v1/spaces/beta?purge=true", platform_);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_NE(del.body.find("\"pages\":\"purged\""), std::string::npos) << del.body;
  EXPECT_FALSE(fs::exists(pages / "beta"));
  EXPECT_TRUE(fs::is_empty(dir_ / "data" / "trash"));
  EXPECT_EQ(api("GET", "/api/v1/spaces/beta", beta_admin_).status, 401);
  EXPECT_EQ(api("DELETE", "/api/v1/spaces/beta", platform_).status, 404);
}

}  // namespace
}  // namespace vitrine::testing
