// The journal window: where a reader finds events whose files may not be written yet.
#include <catch2/catch.hpp>

#include "journal.hpp"
#include "journal_window.hpp"
#include "opossum/sdk/file_system.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using namespace opossum::plugins::file_storage;

namespace {

JournalRecord record(Position first, int count) {
  JournalRecord r{first, {}, {}};
  for (int i = 0; i < count; ++i) r.eventFiles.push_back("event " + std::to_string(first + i));
  return r;
}

}  // namespace

TEST_CASE("the window finds each committed event of the journal, and none after the head") {
  test::TempDir dir;
  auto files = sdk::posixFileSystem();
  Journal writer(files, dir / "journal.log", 1 << 16);
  std::uint64_t offset = writer.write(0, record(1, 2), true);  // positions 1-2
  offset = writer.write(offset, record(3, 1), true);
  offset = writer.write(offset, record(4, 3), true);  // 4-6
  writer.write(offset, record(7, 1), true);           // 7: not committed yet

  auto journal = Journal::openForReading(files, dir / "journal.log");
  JournalWindow window;
  for (Position p = 1; p <= 6; ++p) {
    auto at = window.locate(*journal, p, 6);
    REQUIRE(at);
    CHECK(journal->readBytes(at->offset, at->length) == "event " + std::to_string(p));
  }
  CHECK_FALSE(window.locate(*journal, 7, 6));
  auto seven = window.locate(*journal, 7, 7);  // committed now: the window scans on
  REQUIRE(seven);
  CHECK(journal->readBytes(seven->offset, seven->length) == "event 7");
}

TEST_CASE("a damaged record ends what the window finds; a reused journal starts it afresh") {
  test::TempDir dir;
  auto files = sdk::posixFileSystem();
  Journal writer(files, dir / "journal.log", 1 << 16);
  std::uint64_t second = writer.write(0, record(1, 2), true);
  std::uint64_t third = writer.write(second, record(3, 2), true);
  writer.write(third, record(5, 1), true);
  // One flipped byte in the second record's events: its checksum no longer holds.
  files->openWritable(dir / "journal.log", sdk::OpenMode::append)->writeAt(third - 2, "#");
  auto journal = Journal::openForReading(files, dir / "journal.log");
  std::vector<Journal::Extent> extents;
  CHECK(journal->extentsAt(0, 1, extents));
  CHECK(extents.size() == 2);
  CHECK_FALSE(journal->extentsAt(second, 3, extents));
  CHECK(extents.size() == 2);                      // nothing appended for a damaged record
  CHECK_FALSE(journal->extentsAt(0, 2, extents));  // not the position expected there

  JournalWindow window;
  CHECK(window.locate(*journal, 2, 5));
  CHECK_FALSE(window.locate(*journal, 4, 5));

  // A checkpoint reused the journal from its start.
  writer.write(0, record(6, 1), true);
  window.reset();
  auto six = window.locate(*journal, 6, 6);
  REQUIRE(six);
  CHECK(journal->readBytes(six->offset, six->length) == "event 6");
  CHECK_FALSE(window.locate(*journal, 2, 6));  // before the journal: read from its file
}
