// Where a reader finds the events that are still in the journal. Positions from the first record
// of the journal (the one at offset 0) up to the committed head are read from the journal, as
// their event files may not be written yet; older positions are read from their files, which the
// checkpoint before the journal's reuse made complete and durable. Each process keeps its own
// window and learns new records by scanning on from where it stopped.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "journal.hpp"

namespace opossum::plugins::file_storage {

class JournalWindow {
 public:
  using Location = Journal::Extent;

  // Where `position` (<= head, committed) is in `journal`, or nullopt when it is to be read from
  // its file. A location may be stale once the journal is reused: the caller checks the event it
  // reads there and calls reset() when it is not the one asked for.
  std::optional<Location> locate(Journal& journal, Position position, Position head);
  // Forgets everything: the journal was reused, replaced or invalidated.
  void reset();

 private:
  bool scanLocked(Journal& journal, Position upTo);

  std::mutex mutex_;
  Position first_ = 0;  // position of locations_[0]; 0 while the journal holds no record
  std::vector<Location> locations_;
  std::uint64_t end_ = 0;  // offset after the last record scanned
};

}  // namespace opossum::plugins::file_storage
