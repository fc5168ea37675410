// A thread that runs a job whenever it is told there is work, off the caller's path: the file
// storage writes event files from the journal with it, so that creating files (what file
// systems are slowest at) stays out of the commit. The job returns whether work is left; a job
// that throws is retried after a pause. Once no work came for a while, `idle` runs once (the
// storage then records its progress, which needs the store lock it avoids while commits come).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace opossum::plugins::file_storage {

class BackgroundWorker {
 public:
  using Job = std::function<bool(std::stop_token)>;
  using ErrorHandler = std::function<void(const std::exception&)>;
  BackgroundWorker(Job job, std::function<void()> idle, ErrorHandler onError);
  ~BackgroundWorker();
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Starts the thread the first time; wakes it.
  void notify();
  // Stops the thread after the round in progress (the owner finishes the work itself).
  void stop();
  // Whether notify() ever started the thread.
  bool started();

 private:
  void run(std::stop_token stop);

  Job job_;
  std::function<void()> idle_;
  ErrorHandler onError_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool pending_ = false;
  bool started_ = false;
  std::jthread thread_;
};

}  // namespace opossum::plugins::file_storage
