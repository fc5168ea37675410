// Event files are written from the journal in the background, off the commit path
// (plugins/storage_file/README.md). These tests hold .materialize.lock themselves to stop that
// writing and check what users see meanwhile: exact reads from the journal in every store object,
// a journal that grows instead of waiting, and every file once the lock is free and the store
// closed.
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "opossum/opossum.hpp"
#include "opossum/sdk/file_system.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
namespace fs = std::filesystem;
using opossum::test::eventDifference;
using opossum::test::makeEvent;
using opossum::test::TempDir;

namespace {

struct Fixture {
  TempDir dir;
  fs::path storeDir() const { return dir / "root" / "s"; }
  fs::path eventFile(Position p) const {
    char name[32];
    std::snprintf(name, sizeof name, "%09llu.json", static_cast<unsigned long long>(p));
    return storeDir() / "events" / name;
  }

  std::shared_ptr<Store> open(std::uint64_t journalBytes, std::uint64_t journalMaxBytes,
                              int lockTimeoutMs = 5000) const {
    const fs::path config = dir / "opossum.json";
    std::ofstream(config) << R"({"store": {"name": "s", "rootPath": ")" << (dir / "root").string()
                          << R"(", "crossProcessLockTimeoutMs": )" << lockTimeoutMs << "},"
                          << R"("plugins": {"path": [")" << opossum::test::pluginDir().string()
                          << R"("], "storage": {"name": "file-per-event", "journalCapacityBytes": )"
                          << journalBytes << R"(, "journalMaxBytes": )" << journalMaxBytes << "}}}";
    return createEventStoreFromConfig(config);
  }

  // Holds .materialize.lock as another process writing files would.
  std::unique_ptr<sdk::FileLock> holdMaterializer() const {
    fs::create_directories(storeDir());
    return sdk::posixFileSystem()->lock(storeDir() / ".materialize.lock", std::chrono::seconds(10),
                                        {});
  }
};

NewEvent numbered(int i) {
  return makeEvent("Numbered",
                   R"({"i":)" + std::to_string(i) + R"(,"pad":")" + std::string(100, 'x') + "\"}",
                   {{"n", std::to_string(i)}, {"parity", i % 2 ? "odd" : "even"}});
}

}  // namespace

TEST_CASE_METHOD(Fixture, "appends commit and read back while no event file can be written",
                 "[materialize]") {
  auto writer = open(4096, 64 << 20);
  writer->append({numbered(0)});  // creates the store
  REQUIRE(opossum::test::eventuallyExists(eventFile(1)));
  auto held = holdMaterializer();
  for (int i = 1; i < 200; ++i) REQUIRE(writer->append({numbered(i)}) == Position(i + 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(fs::exists(eventFile(2)));
  CHECK_FALSE(fs::exists(eventFile(200)));
  // 200 records of ~250 bytes do not fit 4 KiB: the journal grew instead of waiting.
  CHECK(fs::file_size(storeDir() / "journal.log") > 4096);

  // Another store object (as another process) reads everything from the journal.
  auto reader = open(4096, 64 << 20);
  auto all = reader->read(Query::all());
  REQUIRE(all.size() == 200);
  for (int i = 0; i < 200; ++i) {
    SequencedEvent wanted{numbered(i).event, Position(i + 1), {}};
    wanted.metadata = all[i].metadata;
    CHECK(eventDifference(wanted, all[i]) == "");
  }
  CHECK(reader->read(Query::fromTags({{"n", "150"}})).at(0).position == 151);
  CHECK(reader->readLast(Query::fromTags({{"parity", "even"}}))->position == 199);
  // Conditions see what is only in the journal.
  CHECK_THROWS_AS(
      reader->append({numbered(999)}, AppendCondition{Query::fromTags({{"n", "199"}}), 199}),
      AppendConditionFailedError);

  held.reset();
  writer.reset();
  reader.reset();
  for (Position p = 1; p <= 200; ++p) REQUIRE(fs::exists(eventFile(p)));
  CHECK_FALSE(fs::exists(eventFile(201)));
  CHECK(fs::is_empty(storeDir() / ".materializing"));
}

TEST_CASE_METHOD(Fixture, "at journalMaxBytes an append waits for the files, then goes on",
                 "[materialize]") {
  auto store = open(4096, 8192, 300);
  store->append({numbered(0)});
  REQUIRE(opossum::test::eventuallyExists(eventFile(1)));
  Position head = 1;
  {
    auto held = holdMaterializer();
    bool timedOut = false;
    for (int i = 1; i < 100 && !timedOut; ++i) {
      try {
        head = store->append({numbered(i)});
      } catch (const LockTimeoutError& e) {
        timedOut = true;
        CHECK(std::string(e.what()).find(".materialize.lock") != std::string::npos);
      }
    }
    REQUIRE(timedOut);
    CHECK(fs::file_size(storeDir() / "journal.log") == 8192);
    CHECK(store->read(Query::all()).size() == head);
  }
  // With the lock free, the checkpoint writes the files and the journal is reused.
  for (int i = 0; i < 100; ++i) head = store->append({numbered(int(head))});
  CHECK(fs::file_size(storeDir() / "journal.log") == 8192);
  auto all = store->read(Query::all());
  REQUIRE(all.size() == head);
  CHECK(opossum::test::contiguityProblem(all) == "");
  store.reset();
  for (Position p = 1; p <= head; ++p) REQUIRE(fs::exists(eventFile(p)));
}

TEST_CASE_METHOD(Fixture, "a reader's journal offsets survive the journal's reuse",
                 "[materialize]") {
  auto writer = open(4096, 4096);
  auto reader = open(4096, 4096);
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 5; ++i) writer->append({numbered(round * 5 + i)});
    // The reader's table of journal offsets goes stale at each reuse of the 4 KiB journal.
    auto all = reader->read(Query::all());
    REQUIRE(all.size() == std::size_t(round * 5 + 5));
    CHECK(opossum::test::contiguityProblem(all) == "");
    for (const auto& e : all) {
      CHECK(opossum::test::payloadNumber(e.event.event, "i") == (long long)(e.position - 1));
    }
    auto last = reader->readLast(Query::fromTags({{"n", std::to_string(round * 5 + 2)}}));
    REQUIRE(last);
    CHECK(last->position == Position(round * 5 + 3));
  }
}

TEST_CASE_METHOD(Fixture, "a store closed with files still to write leaves them to the next user",
                 "[materialize]") {
  {
    auto store = open(1 << 20, 1 << 20, 200);
    store->append({numbered(0)});
    REQUIRE(opossum::test::eventuallyExists(eventFile(1)));
    auto held = holdMaterializer();
    for (int i = 1; i < 10; ++i) store->append({numbered(i)});
    store.reset();  // cannot take .materialize.lock within 200 ms: closes without the files
    CHECK_FALSE(fs::exists(eventFile(10)));
  }
  auto again = open(1 << 20, 1 << 20);
  CHECK(again->read(Query::all()).size() == 10);
  REQUIRE(opossum::test::eventuallyExists(eventFile(10)));
  again.reset();
  for (Position p = 1; p <= 10; ++p) CHECK(fs::exists(eventFile(p)));
}
