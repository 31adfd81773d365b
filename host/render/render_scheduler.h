// Runs macro renders on a fixed set of threads, fairly across spaces and
// Grafana origins (the render bulkhead).
//
// A render mostly waits: on a worker process, on Grafana. A plain FIFO pool
// lets one slow Grafana (or one space with a burst of cold pages) take every
// thread, and every other space's cold macros then wait behind it. So jobs
// carry their lane, (space, origin), and:
//   - at most `per_space` jobs of one space and `per_origin` jobs against
//     one Grafana origin run at once, so the other lanes always have
//     threads left (threads - per_origin of them, at least);
//   - idle threads take the next job round-robin over the spaces that have
//     queued work, so a space with 500 queued renders does not delay the
//     one render of another space by 500 renders;
//   - the queue is bounded (max_queued): beyond it submit() refuses at once,
//     and the caller answers "busy" instead of holding a reader for minutes.
// Deadlines and cancellation are the job's business: a job learns when it
// starts whether the scheduler is stopping, and the engine's jobs check
// their own deadline and whether anyone still waits for them.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vitrine::render {

struct SchedulerLimits {
  int threads = 8;
  int per_space = 6;   // concurrent jobs of one space
  int per_origin = 6;  // concurrent jobs against one Grafana origin
  std::size_t max_queued = 4096;
};

enum class JobStart {
  run,       // do the work
  stopping,  // the scheduler is stopping: do not start anything slow
};

struct RenderJob {
  std::string space;
  std::string origin;
  std::function<void(JobStart)> fn;  // called exactly once, on a scheduler thread
};

class RenderScheduler {
 public:
  explicit RenderScheduler(SchedulerLimits limits);
  ~RenderScheduler();  // stop()
  RenderScheduler(const RenderScheduler&) = delete;
  RenderScheduler& operator=(const RenderScheduler&) = delete;

  // Queues the job. false: the queue is full (or the scheduler stopped) and
  // the job was not taken (its fn is never called). [thread-safe]
  bool submit(RenderJob job);

  // Until no job is queued or running. [thread-safe]
  void wait_idle();

  // Queued jobs are started with JobStart::stopping (they finish at once),
  // running ones are waited for, then the threads are joined. Idempotent.
  void stop();

  std::size_t queued() const;   // [thread-safe]
  std::size_t running() const;  // [thread-safe]

 private:
  struct Lane {
    std::deque<RenderJob> jobs;
    int running = 0;
  };
  void run();
  // Under mu_: the next job some lane may start, removed from its lane.
  bool take(RenderJob& out);

  const SchedulerLimits limits_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::map<std::string, Lane> spaces_;  // lanes with queued or running jobs
  std::deque<std::string> turn_;        // spaces with queued jobs, round-robin order
  std::map<std::string, int> origin_running_;
  std::size_t queued_ = 0;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace vitrine::render
