// /readyz reports storage health: {"storage":{"ok":true}} while the
// database answers; not ready (503, with the reason) once vitrine.db is gone
// from the data directory, and ready again by itself when it is back. The
// probe runs at most every 2 s, so the test waits past that interval.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "server_fixture.h"

namespace vitrine::testing {
namespace {

using ReadyzStorage = ServerFixture;

constexpr auto kPastProbeInterval = std::chrono::milliseconds(2200);

TEST_F(ReadyzStorage, NotReadyWhileTheDatabaseFileIsGoneAndRecoversByItself) {
  auto r = send("GET", "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"storage\":{\"ok\":true}"), std::string::npos) << r.body;

  const auto db = config_.data_dir / "vitrine.db";
  const auto aside = config_.data_dir / "vitrine.db.aside";
  std::filesystem::rename(db, aside);
  std::this_thread::sleep_for(kPastProbeInterval);
  r = send("GET", "/readyz");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("\"ready\":false"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"storage\":{\"ok\":false,\"error\":\"the database file vitrine.db is "
                        "gone"),
            std::string::npos)
      << r.body;

  std::filesystem::rename(aside, db);
  std::this_thread::sleep_for(kPastProbeInterval);
  r = send("GET", "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"storage\":{\"ok\":true}"), std::string::npos) << r.body;
}

// A file put in vitrine.db's place is not the database the host writes to.
TEST_F(ReadyzStorage, AReplacedDatabaseFileIsReportedNotReady) {
  ASSERT_EQ(send("GET", "/readyz").status, 200);
  const auto db = config_.data_dir / "vitrine.db";
  std::filesystem::copy_file(db, config_.data_dir / "copy.db");
  std::filesystem::rename(config_.data_dir / "copy.db", db);
  std::this_thread::sleep_for(kPastProbeInterval);
  auto r = send("GET", "/readyz");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("was replaced while serving"), std::string::npos) << r.body;
}

// Between probes the cached answer is served: a burst of probes costs one
// database read, and the answer does not flap.
TEST_F(ReadyzStorage, ProbesWithinTheIntervalAnswerTheCachedResult) {
  ASSERT_EQ(send("GET", "/readyz").status, 200);
  const auto db = config_.data_dir / "vitrine.db";
  std::filesystem::rename(db, config_.data_dir / "aside");
  EXPECT_EQ(send("GET", "/readyz").status, 200);
  std::filesystem::rename(config_.data_dir / "aside", db);
}

}  // namespace
}  // namespace vitrine::testing
