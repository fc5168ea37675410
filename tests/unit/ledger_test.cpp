// ledger.json: fixed-size, updated in place, protected by a CRC.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "ledger.hpp"
#include "opossum/errors.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using namespace opossum::plugins::file_storage;

namespace {
ino_t inodeOf(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_ino;
}
}  // namespace

TEST_CASE("the ledger round-trips and is updated in place") {
  test::TempDir dir;
  auto files = sdk::posixFileSystem();
  auto path = dir / "ledger.json";
  REQUIRE_FALSE(readLedger(*files, path));
  Ledger ledger{"0123456789abcdef0123456789abcdef", 41, 4096, 40, 2048, 2, currentBootId()};
  writeLedger(*files, path, ledger, true);
  REQUIRE(readLedger(*files, path) == ledger);
  REQUIRE(std::filesystem::file_size(path) == 512);
  ino_t before = inodeOf(path);
  // Every number at its widest still fits the fixed size.
  ledger.position = 18446744073709551615ull;
  ledger.journalOffset = 18446744073709551615ull;
  ledger.materialized = 18446744073709551615ull;
  ledger.materializedOffset = 18446744073709551615ull;
  ledger.tagRevision = 18446744073709551615ull;
  ledger.bootId = "01234567-89ab-cdef-0123-456789abcdef";
  writeLedger(*files, path, ledger, false);
  REQUIRE(readLedger(*files, path) == ledger);
  REQUIRE(inodeOf(path) == before);
  REQUIRE(std::filesystem::file_size(path) == 512);
  ledger.position = 3;
  ledger.materialized = 2;
  writeLedger(*files, path, ledger, false);
  REQUIRE(readLedger(*files, path) == ledger);
  REQUIRE(std::filesystem::file_size(path) == 512);
}

TEST_CASE("a ledger whose checksum does not match is a CorruptionError naming it") {
  test::TempDir dir;
  auto files = sdk::posixFileSystem();
  auto path = dir / "ledger.json";
  writeLedger(*files, path, Ledger{"g", 12, 0, 0, 0, 0, ""}, false);
  std::string text = *files->readFile(path);
  text.replace(text.find("\"position\":12"), 13, "\"position\":13");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  REQUIRE_THROWS_WITH(readLedger(*files, path), Catch::Matchers::Contains(path.string()) &&
                                                    Catch::Matchers::Contains("checksum"));
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "{garbled";
  REQUIRE_THROWS_AS(readLedger(*files, path), CorruptionError);
}

TEST_CASE("a ledger whose materialized mark exceeds its head is a CorruptionError") {
  test::TempDir dir;
  auto files = sdk::posixFileSystem();
  auto path = dir / "ledger.json";
  writeLedger(*files, path, Ledger{"g", 12, 0, 13, 0, 0, ""}, false);
  REQUIRE_THROWS_WITH(readLedger(*files, path), Catch::Matchers::Contains("materialized"));
}

TEST_CASE("a ledger file kept open sees what any writer wrote, and a new file after deletion") {
  test::TempDir dir;
  auto files = sdk::posixFileSystem();
  auto path = dir / "ledger.json";
  LedgerFile mine(files, path);
  LedgerFile other(files, path);
  REQUIRE_FALSE(mine.read());

  Ledger ledger{"g1", 1, 100, 0, 0, 0, ""};
  mine.write(ledger, true);  // created whole
  REQUIRE(mine.read() == ledger);
  REQUIRE(other.read() == ledger);
  ino_t created = inodeOf(path);

  // In place, by another object and by the path-based writer: both readers see each change.
  ledger.position = 2;
  other.write(ledger, false);
  REQUIRE(inodeOf(path) == created);
  REQUIRE(mine.read() == ledger);
  ledger.position = 3;
  writeLedger(*files, path, ledger, false);
  REQUIRE(mine.read() == ledger);
  REQUIRE(other.read() == ledger);

  // Damage is reported, not hidden by what was read before.
  std::string text = *files->readFile(path);
  text.replace(text.find("\"position\":3"), 12, "\"position\":4");
  std::ofstream(path, std::ios::binary | std::ios::in | std::ios::out) << text;
  REQUIRE_THROWS_WITH(mine.read(), Catch::Matchers::Contains("checksum"));
  mine.write(ledger, false);
  REQUIRE(other.read() == ledger);

  // Deleted (deleteStore elsewhere): gone, then a new generation in a new file.
  REQUIRE(files->remove(path));
  REQUIRE_FALSE(mine.read());
  Ledger next{"g2", 0, 0, 0, 0, 0, ""};
  other.write(next, true);
  REQUIRE(mine.read() == next);
  // The writer of the old generation is not reused for the new file's generation.
  next.position = 5;
  mine.write(next, false);
  REQUIRE(other.read() == next);
  REQUIRE(readLedger(*files, path) == next);
}
