#include "journal_window.hpp"

namespace opossum::plugins::file_storage {

void JournalWindow::reset() {
  std::lock_guard guard(mutex_);
  first_ = 0;
  locations_.clear();
  end_ = 0;
}

bool JournalWindow::scanLocked(Journal& journal, Position upTo) {
  if (first_ == 0) {
    auto first = journal.firstPosition();
    if (!first) return false;
    first_ = *first;
    end_ = 0;
    locations_.clear();
  }
  // Only committed records: a record after the head may still be replaced by another append.
  while (first_ + locations_.size() <= upTo) {
    if (!journal.extentsAt(end_, first_ + locations_.size(), locations_, &end_)) return false;
  }
  return true;
}

std::optional<JournalWindow::Location> JournalWindow::locate(Journal& journal, Position position,
                                                             Position head) {
  std::lock_guard guard(mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (first_ == 0 || position >= first_ + locations_.size()) scanLocked(journal, head);
    if (first_ != 0 && position >= first_) {
      if (position < first_ + locations_.size()) return locations_[position - first_];
    } else if (first_ != 0) {
      return std::nullopt;  // before the journal: in its file
    }
    // Not found where the window expected it: the journal was reused since; look again.
    first_ = 0;
  }
  return std::nullopt;
}

}  // namespace opossum::plugins::file_storage
