// The render bulkhead (render/render_scheduler.h): one space or one Grafana
// origin cannot take every render thread, spaces take turns, the queue is
// bounded and a stop drops what has not started.
#include "render/render_scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace vitrine::render {
namespace {

using namespace std::chrono_literals;

// A gate jobs block on until the test opens it.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 400; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(RenderScheduler, ASlowOriginCannotTakeEveryThread) {
  RenderScheduler s({.threads = 4, .per_space = 4, .per_origin = 3, .max_queued = 100});
  Gate slow;
  std::atomic<int> slow_started{0};
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(s.submit({"a", "https://slow", [&](JobStart) {
                            ++slow_started;
                            slow.wait();
                          }}));
  }
  ASSERT_TRUE(eventually([&] { return slow_started.load() == 3; }));
  // Another space on another Grafana still gets the fourth thread.
  std::atomic<bool> other_ran{false};
  ASSERT_TRUE(s.submit({"b", "https://fast", [&](JobStart) { other_ran = true; }}));
  EXPECT_TRUE(eventually([&] { return other_ran.load(); }));
  EXPECT_EQ(slow_started.load(), 3) << "the slow origin went past its lane limit";
  slow.release();
  s.wait_idle();
  EXPECT_EQ(slow_started.load(), 10);
}

TEST(RenderScheduler, ABusySpaceCannotTakeEveryThreadEvenOnOneOrigin) {
  RenderScheduler s({.threads = 4, .per_space = 2, .per_origin = 4, .max_queued = 100});
  Gate busy;
  std::atomic<int> started{0};
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(s.submit({"busy", "https://g", [&](JobStart) {
                            ++started;
                            busy.wait();
                          }}));
  }
  ASSERT_TRUE(eventually([&] { return started.load() == 2; }));
  std::atomic<bool> quiet_ran{false};
  ASSERT_TRUE(s.submit({"quiet", "https://g", [&](JobStart) { quiet_ran = true; }}));
  EXPECT_TRUE(eventually([&] { return quiet_ran.load(); }));
  EXPECT_EQ(started.load(), 2);
  busy.release();
  s.wait_idle();
}

TEST(RenderScheduler, SpacesTakeTurnsInsteadOfFirstComeFirstServed) {
  // One thread: the order jobs start in is the scheduling order.
  RenderScheduler s({.threads = 1, .per_space = 1, .per_origin = 1, .max_queued = 100});
  Gate first;
  std::mutex mu;
  std::vector<std::string> order;
  ASSERT_TRUE(s.submit({"a", "o", [&](JobStart) { first.wait(); }}));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(s.submit({"a", "o", [&](JobStart) {
                            std::lock_guard lock(mu);
                            order.push_back("a");
                          }}));
  }
  ASSERT_TRUE(s.submit({"b", "o", [&](JobStart) {
                          std::lock_guard lock(mu);
                          order.push_back("b");
                        }}));
  first.release();
  s.wait_idle();
  ASSERT_EQ(order.size(), 6u);
  // b queued behind five jobs of a, but starts no later than second.
  const auto b_at = std::find(order.begin(), order.end(), "b") - order.begin();
  EXPECT_LE(b_at, 1) << "space b waited behind space a's whole queue";
}

TEST(RenderScheduler, AFullQueueRefusesAtOnce) {
  RenderScheduler s({.threads = 1, .per_space = 1, .per_origin = 1, .max_queued = 2});
  Gate g;
  std::atomic<int> ran{0};
  ASSERT_TRUE(s.submit({"a", "o", [&](JobStart) { g.wait(); }}));
  ASSERT_TRUE(eventually([&] { return s.running() == 1; }));
  EXPECT_TRUE(s.submit({"a", "o", [&](JobStart) { ++ran; }}));
  EXPECT_TRUE(s.submit({"b", "o", [&](JobStart) { ++ran; }}));
  EXPECT_FALSE(s.submit({"c", "o", [&](JobStart) { ++ran; }}));
  g.release();
  s.wait_idle();
  EXPECT_EQ(ran.load(), 2);
}

TEST(RenderScheduler, StopStartsQueuedJobsAsStoppingAndWaitsForRunningOnes) {
  RenderScheduler s({.threads = 1, .per_space = 1, .per_origin = 1, .max_queued = 100});
  Gate g;
  std::atomic<bool> running_finished{false};
  std::atomic<int> run_starts{0}, stopping_starts{0};
  ASSERT_TRUE(s.submit({"a", "o", [&](JobStart) {
                          g.wait();
                          running_finished = true;
                        }}));
  ASSERT_TRUE(eventually([&] { return s.running() == 1; }));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s.submit({"a", "o", [&](JobStart start) {
                            ++(start == JobStart::run ? run_starts : stopping_starts);
                          }}));
  }
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    g.release();
  });
  s.stop();
  releaser.join();
  EXPECT_TRUE(running_finished.load());
  EXPECT_EQ(run_starts.load(), 0);
  EXPECT_EQ(stopping_starts.load(), 3);
  EXPECT_FALSE(s.submit({"a", "o", [](JobStart) {}})) << "a stopped scheduler took a job";
}

}  // namespace
}  // namespace vitrine::render
