// Group commit: appends from many threads queue up; whichever thread finds no commit in progress
// becomes the leader, hands the whole queue to the storage as one group (one sync), and wakes
// every waiting thread with its own result.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <stop_token>
#include <vector>

#include "opossum/sdk/storage.hpp"

namespace opossum::detail {

class GroupCommit {
 public:
  explicit GroupCommit(std::shared_ptr<sdk::Storage> storage) : storage_(std::move(storage)) {}

  // Appends prepared events; throws AppendConditionFailedError, CancelledError or the storage's
  // error.
  Position append(const std::vector<NewEvent>& events, const AppendCondition* condition,
                  std::stop_token cancel);

 private:
  struct Request {
    sdk::AppendRequest request;
    std::stop_token cancel;
    bool done = false;
    sdk::AppendResult result;
    std::exception_ptr error;
  };
  void commit(std::vector<Request*>& group);

  // Bounds one group so a burst does not build a huge journal record.
  static constexpr std::size_t kMaxGroupEvents = 10000;
  // How long a leader waits for the writers of the last groups, and over how many groups their
  // number is counted.
  static constexpr std::chrono::microseconds kGatherWait{200};
  static constexpr std::size_t kPeakWindow = 64;

  std::shared_ptr<sdk::Storage> storage_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::condition_variable arrived_;  // a request joined the queue (for a gathering leader)
  std::deque<Request*> queue_;
  bool leading_ = false;
  std::size_t peakGroup_ = 1;  // largest group of the last window: about the number of writers
  std::size_t windowPeak_ = 0;
  std::size_t groupsInWindow_ = 0;
};

}  // namespace opossum::detail
