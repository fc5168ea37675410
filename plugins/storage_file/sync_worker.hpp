// A thread that runs one job at a time beside the caller: the commit syncs the journal while
// the committing thread writes the event and index files, so a commit costs about the longer of
// the two instead of their sum. (Files written before the sync completes are harmless: until the
// ledger names them they are not committed, and recovery removes them after a crash.)
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace opossum::plugins::file_storage {

class SyncWorker {
 public:
  SyncWorker();
  ~SyncWorker();
  SyncWorker(const SyncWorker&) = delete;
  SyncWorker& operator=(const SyncWorker&) = delete;

  // Starts `job`; the previous one must have been waited for.
  void start(std::function<void()> job);
  // Waits for the job started last and rethrows what it threw.
  void wait();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace opossum::plugins::file_storage
