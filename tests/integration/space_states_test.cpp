// The render path's per-space snapshot (host/runtime/space_states.h): kept
// while the store is unchanged and young, dropped by any audited write of
// this process, reloaded after max_age for writes of other processes.
#include "runtime/space_states.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace vitrine::runtime {
namespace {

struct Fake {
  std::atomic<int> loads{0};
  std::atomic<uint64_t> generation{0};
  std::string plugin = "dashboard";
  SpaceStates states(std::chrono::milliseconds max_age) {
    return SpaceStates(
        [this](const std::string&) {
          ++loads;
          SpaceState s;
          s.enabled_plugins.insert(plugin);
          return s;
        },
        [this] { return generation.load(); }, max_age);
  }
};

TEST(SpaceStates, KeptWhileTheStoreIsUnchanged) {
  Fake f;
  auto s = f.states(std::chrono::seconds(60));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.get("demo")->enabled_plugins.count("dashboard"), 1u);
  EXPECT_EQ(f.loads, 1);
}

TEST(SpaceStates, AWriteOfThisProcessAppliesToTheNextLookup) {
  Fake f;
  auto s = f.states(std::chrono::seconds(60));
  s.get("demo");
  f.plugin = "alert-list";
  ++f.generation;  // what run_audited does after every write
  EXPECT_EQ(s.get("demo")->enabled_plugins.count("alert-list"), 1u);
  EXPECT_EQ(f.loads, 2);
}

TEST(SpaceStates, AWriteOfAnotherProcessAppliesAfterMaxAge) {
  Fake f;
  auto s = f.states(std::chrono::milliseconds(50));
  s.get("demo");
  f.plugin = "alert-list";  // no generation bump: the CLI wrote, not us
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(s.get("demo")->enabled_plugins.count("alert-list"), 1u);
}

TEST(SpaceStates, SpacesAreKeptApart) {
  Fake f;
  auto s = f.states(std::chrono::seconds(60));
  s.get("a");
  s.get("b");
  EXPECT_EQ(f.loads, 2);
}

TEST(SpaceStates, ZeroMaxAgeLoadsEveryTime) {
  Fake f;
  auto s = f.states(std::chrono::milliseconds(0));
  s.get("demo");
  s.get("demo");
  EXPECT_EQ(f.loads, 2);
}

}  // namespace
}  // namespace vitrine::runtime
