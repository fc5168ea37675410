#include "background_worker.hpp"

#include <sys/resource.h>
#include <unistd.h>

namespace opossum::plugins::file_storage {

namespace {
constexpr std::chrono::milliseconds kIdleAfter{100};
constexpr std::chrono::milliseconds kRetryAfter{200};
// Between two rounds of a backlog: the job's lock is then free long enough for those that poll
// for it (a checkpoint, deleteStore, other processes) to take it.
constexpr std::chrono::milliseconds kPauseBetweenRounds{5};
}  // namespace

BackgroundWorker::BackgroundWorker(Job job, std::function<void()> idle, ErrorHandler onError)
    : job_(std::move(job)), idle_(std::move(idle)), onError_(std::move(onError)) {}

BackgroundWorker::~BackgroundWorker() { stop(); }

void BackgroundWorker::notify() {
  std::lock_guard guard(mutex_);
  if (pending_) return;  // already told: spare the caller (a commit) a wake-up
  pending_ = true;
  if (!started_) {
    started_ = true;
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  wake_.notify_one();
}

bool BackgroundWorker::started() {
  std::lock_guard guard(mutex_);
  return started_;
}

void BackgroundWorker::stop() {
  std::jthread thread;
  {
    std::lock_guard guard(mutex_);
    thread = std::move(thread_);
  }
  if (thread.joinable()) {
    thread.request_stop();
    thread.join();
  }
}

void BackgroundWorker::run(std::stop_token stop) {
  // Below the committing threads: on a busy machine commits come first, files follow.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  std::unique_lock lock(mutex_);
  bool idleDue = false;
  while (!stop.stop_requested()) {
    if (idleDue && !wake_.wait_for(lock, stop, kIdleAfter, [&] { return pending_; })) {
      if (stop.stop_requested()) return;
      idleDue = false;
      lock.unlock();
      try {
        idle_();
      } catch (const std::exception& e) {
        onError_(e);
      }
      lock.lock();
      continue;
    }
    if (!wake_.wait(lock, stop, [&] { return pending_; })) return;
    pending_ = false;
    lock.unlock();
    bool more = false;
    bool failed = false;
    try {
      more = job_(stop);
    } catch (const std::exception& e) {
      if (stop.stop_requested()) return;  // interrupted by stop(): not a failure
      onError_(e);
      failed = true;
    }
    lock.lock();
    if (failed) {
      wake_.wait_for(lock, stop, kRetryAfter, [] { return false; });
      more = true;
    } else if (more) {
      wake_.wait_for(lock, stop, kPauseBetweenRounds, [] { return false; });
    }
    if (more) pending_ = true;
    idleDue = true;
  }
}

}  // namespace opossum::plugins::file_storage
