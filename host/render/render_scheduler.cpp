#include "render/render_scheduler.h"

#include <algorithm>

namespace vitrine::render {

RenderScheduler::RenderScheduler(SchedulerLimits limits) : limits_(limits) {
  const int n = std::max(1, limits_.threads);
  threads_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
}

RenderScheduler::~RenderScheduler() { stop(); }

bool RenderScheduler::submit(RenderJob job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queued_ >= limits_.max_queued) return false;
    Lane& lane = spaces_[job.space];
    if (lane.jobs.empty()) turn_.push_back(job.space);
    lane.jobs.push_back(std::move(job));
    ++queued_;
  }
  work_cv_.notify_one();
  return true;
}

bool RenderScheduler::take(RenderJob& out) {
  // Each space with queued work gets one look per round, starting with the
  // one whose turn it is; a space at its limit (or whose jobs all target an
  // origin at its limit) is passed over, not waited for.
  const int per_space = std::max(1, limits_.per_space);
  const int per_origin = std::max(1, limits_.per_origin);
  for (std::size_t looked = 0; looked < turn_.size(); ++looked) {
    const std::string space = turn_.front();
    turn_.pop_front();
    Lane& lane = spaces_[space];
    if (stopping_ || lane.running < per_space) {
      for (auto it = lane.jobs.begin(); it != lane.jobs.end(); ++it) {
        if (!stopping_ && origin_running_[it->origin] >= per_origin) continue;
        out = std::move(*it);
        lane.jobs.erase(it);
        ++lane.running;
        ++origin_running_[out.origin];
        --queued_;
        ++running_;
        if (!lane.jobs.empty()) turn_.push_back(space);
        return true;
      }
    }
    turn_.push_back(space);
  }
  return false;
}

void RenderScheduler::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    RenderJob job;
    work_cv_.wait(lock, [&] { return (stopping_ && queued_ == 0) || take(job); });
    if (!job.fn) return;  // stopping and nothing left
    const JobStart start = stopping_ ? JobStart::stopping : JobStart::run;
    lock.unlock();
    job.fn(start);
    lock.lock();
    --running_;
    Lane& lane = spaces_[job.space];
    --lane.running;
    if (lane.running == 0 && lane.jobs.empty()) spaces_.erase(job.space);
    if (auto it = origin_running_.find(job.origin); it != origin_running_.end()) {
      if (--it->second == 0) origin_running_.erase(it);
    }
    // A finished job frees a lane slot: a job passed over for its lane's
    // limit may now start on any idle thread.
    work_cv_.notify_all();
    if (queued_ == 0 && running_ == 0) idle_cv_.notify_all();
  }
}

void RenderScheduler::wait_idle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return queued_ == 0 && running_ == 0; });
}

void RenderScheduler::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lock(mu_);
  threads_.clear();
}

std::size_t RenderScheduler::queued() const {
  std::lock_guard lock(mu_);
  return queued_;
}

std::size_t RenderScheduler::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

}  // namespace vitrine::render
