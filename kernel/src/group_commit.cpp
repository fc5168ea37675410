#include "group_commit.hpp"

#include <algorithm>

#include "opossum/errors.hpp"

namespace opossum::detail {

Position GroupCommit::append(const std::vector<NewEvent>& events, const AppendCondition* condition,
                             std::stop_token cancel) {
  Request mine{{&events, condition}, cancel, false, {}, nullptr};
  std::unique_lock lock(mutex_);
  queue_.push_back(&mine);
  if (leading_ || queue_.size() > 1) arrived_.notify_one();
  while (!mine.done) {
    if (leading_) {
      done_.wait(lock);
      continue;
    }
    leading_ = true;
    // With several writers at work, wait a moment for those still preparing their next append:
    // they then share this sync instead of waiting for it to end and syncing again.
    if (queue_.size() < peakGroup_) {
      arrived_.wait_for(lock, kGatherWait, [&] { return queue_.size() >= peakGroup_; });
    }
    std::vector<Request*> group;
    std::size_t eventCount = 0;
    while (
        !queue_.empty() &&
        (group.empty() || eventCount + queue_.front()->request.events->size() <= kMaxGroupEvents)) {
      eventCount += queue_.front()->request.events->size();
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    windowPeak_ = std::max(windowPeak_, group.size());
    if (++groupsInWindow_ == kPeakWindow) {
      // The peak follows the number of writers as it changes.
      peakGroup_ = windowPeak_;
      windowPeak_ = 0;
      groupsInWindow_ = 0;
    }
    lock.unlock();
    commit(group);
    lock.lock();
    for (Request* r : group) r->done = true;
    leading_ = false;
    done_.notify_all();
  }
  lock.unlock();
  if (mine.error) std::rethrow_exception(mine.error);
  if (!mine.result.committed) {
    throw AppendConditionFailedError("append condition failed: " + mine.result.conflict);
  }
  return mine.result.lastPosition;
}

void GroupCommit::commit(std::vector<Request*>& group) {
  std::vector<Request*> live;
  std::vector<sdk::AppendRequest> requests;
  for (Request* r : group) {
    if (r->cancel.stop_requested()) {
      r->error = std::make_exception_ptr(CancelledError("append cancelled before it was written"));
    } else {
      live.push_back(r);
      requests.push_back(r->request);
    }
  }
  if (live.empty()) return;
  try {
    // One caller's token cannot stop a group that carries other callers' appends; a lone
    // caller's token reaches the storage (its wait for the lock).
    std::stop_source none;
    auto results =
        storage_->append(requests, live.size() == 1 ? live[0]->cancel : none.get_token());
    for (std::size_t i = 0; i < live.size(); ++i) live[i]->result = results.at(i);
  } catch (...) {
    auto error = std::current_exception();
    for (Request* r : live) r->error = error;
  }
}

}  // namespace opossum::detail
