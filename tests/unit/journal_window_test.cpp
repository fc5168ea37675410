// The journal window: where a reader finds events whose files are not written yet.
#include <catch2/catch.hpp>
#include <limits>

#include "journal.hpp"
#include "journal_window.hpp"
#include "opossum/sdk/file_system.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using namespace opossum::plugins::file_storage;

namespace {

// Remembers the lowest offset read from any file.
class LowestReadFileSystem : public sdk::FileSystemWrapper {
 public:
  LowestReadFileSystem() : FileSystemWrapper(sdk::posixFileSystem()) {}

  class File : public sdk::ReadableFile {
   public:
    File(std::unique_ptr<sdk::ReadableFile> file, LowestReadFileSystem& owner)
        : file_(std::move(file)), owner_(owner) {}
    std::string readAt(std::uint64_t offset, std::size_t length) override {
      owner_.lowest = std::min(owner_.lowest, offset);
      return file_->readAt(offset, length);
    }
    std::uint64_t size() override { return file_->size(); }
    const std::filesystem::path& path() const override { return file_->path(); }

   private:
    std::unique_ptr<sdk::ReadableFile> file_;
    LowestReadFileSystem& owner_;
  };

  std::unique_ptr<sdk::ReadableFile> openReadable(const std::filesystem::path& p) override {
    auto file = FileSystemWrapper::openReadable(p);
    if (!file) return nullptr;
    return std::make_unique<File>(std::move(file), *this);
  }

  std::uint64_t lowest = std::numeric_limits<std::uint64_t>::max();
};

JournalRecord record(Position first, int count) {
  JournalRecord r{first, {}, {}};
  for (int i = 0; i < count; ++i) r.eventFiles.push_back("event " + std::to_string(first + i));
  return r;
}

}  // namespace

TEST_CASE("the window starts after the last written event and finds each later one") {
  test::TempDir dir;
  auto files = std::make_shared<LowestReadFileSystem>();
  Journal writer(files, dir / "journal.log", 1 << 16);
  std::uint64_t offset = writer.write(0, record(1, 2), true);  // positions 1-2
  const std::uint64_t afterWritten = offset = writer.write(offset, record(3, 1), true);
  offset = writer.write(offset, record(4, 3), true);  // positions 4-6
  writer.write(offset, record(7, 1), true);           // 7: not committed yet

  auto journal = Journal::openForReading(files, dir / "journal.log");
  JournalWindow window;
  files->lowest = std::numeric_limits<std::uint64_t>::max();
  for (Position p = 4; p <= 6; ++p) {
    auto at = window.locate(*journal, p, 6, 3, afterWritten);
    REQUIRE(at);
    CHECK(journal->readBytes(at->offset, at->length) == "event " + std::to_string(p));
  }
  CHECK(files->lowest == afterWritten);  // nothing before the window was read
  CHECK_FALSE(window.locate(*journal, 2, 6, 3, afterWritten));  // in its file
  CHECK_FALSE(window.locate(*journal, 7, 6, 3, afterWritten));  // after the head

  // Once 7 is committed the window learns it by scanning on.
  auto seven = window.locate(*journal, 7, 7, 3, afterWritten);
  REQUIRE(seven);
  CHECK(journal->readBytes(seven->offset, seven->length) == "event 7");
}

TEST_CASE("the window starts afresh after the journal was reused") {
  test::TempDir dir;
  auto files = sdk::posixFileSystem();
  Journal writer(files, dir / "journal.log", 1 << 16);
  std::uint64_t offset = writer.write(0, record(1, 3), true);
  writer.write(offset, record(4, 1), true);
  auto journal = Journal::openForReading(files, dir / "journal.log");
  JournalWindow window;
  REQUIRE(window.locate(*journal, 4, 4, 3, offset));

  // A checkpoint wrote every file up to 4 and the journal starts again at offset 0.
  writer.write(0, record(5, 2), true);
  CHECK_FALSE(window.locate(*journal, 6, 6, 3, offset));  // a stale hint finds nothing
  window.reset();
  auto six = window.locate(*journal, 6, 6, 4, 0);
  REQUIRE(six);
  CHECK(journal->readBytes(six->offset, six->length) == "event 6");
}
