#include "sync_worker.hpp"

namespace opossum::plugins::file_storage {

SyncWorker::SyncWorker() : thread_([this] { run(); }) {}

SyncWorker::~SyncWorker() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void SyncWorker::start(std::function<void()> job) {
  {
    std::lock_guard guard(mutex_);
    job_ = std::move(job);
    busy_ = true;
    error_ = nullptr;
  }
  changed_.notify_all();
}

void SyncWorker::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !busy_; });
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void SyncWorker::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || (busy_ && job_); });
    if (stopping_) return;
    auto job = std::move(job_);
    job_ = nullptr;
    lock.unlock();
    std::exception_ptr error;
    try {
      job();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    error_ = error;
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace opossum::plugins::file_storage
