// Damage done to a store's files by an operator or a failing disk: the store must refuse with a
// typed error that names the file, never answer wrongly and never initialise over its events
// (plugins/storage_file/README.md, "Damage").
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ledger.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/file_system.hpp"
#include "store_helpers.hpp"
#include "store_locks.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace opossum;
using opossum::test::makeEvent;
using opossum::test::openStore;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);

// Four events over two carts, written and closed (so every event file exists).
void fill(const fs::path& root) {
  auto store = openStore(root, "s");
  store->append({makeEvent("Opened", R"({"n":1})", {{"cart", "C1"}})});
  store->append({makeEvent("Added", R"({"n":2})", {{"cart", "C1"}, {"sku", "x"}}),
                 makeEvent("Opened", R"({"n":3})", {{"cart", "C2"}})});
  store->append({makeEvent("Added", R"({"n":4})", {{"cart", "C2"}})});
}

std::string text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write(const fs::path& file, const std::string& content) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
}

template <class F>
std::string corruption(F f) {
  try {
    f();
  } catch (const CorruptionError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a missing ledger beside events is a CorruptionError, and nothing is deleted",
          "[damage]") {
  opossum::test::TempDir dir;
  fill(dir.path());
  const fs::path store = dir.path() / "s";
  auto before = opossum::test::snapshot(store / "events");
  fs::remove(store / "ledger.json");

  std::string message = corruption([&] { openStore(dir.path(), "s"); });
  CHECK_THAT(message, Catch::Contains("ledger.json") && Catch::Contains("opossum recover"));
  CHECK(opossum::test::snapshot(store / "events") == before);
  CHECK(fs::exists(store / "journal.log"));
  CHECK_FALSE(fs::exists(store / "ledger.json"));

  SECTION("also when only the journal holds them") {
    fs::remove_all(store / "events");
    CHECK_FALSE(corruption([&] { openStore(dir.path(), "s"); }).empty());
    CHECK_FALSE(fs::exists(store / "ledger.json"));
  }
}

TEST_CASE("a store object open while its ledger is deleted refuses to read", "[damage]") {
  opossum::test::TempDir dir;
  fill(dir.path());
  auto store = openStore(dir.path(), "s");
  REQUIRE(store->read(Query::all()).size() == 4);
  fs::remove(dir.path() / "s" / "ledger.json");
  CHECK_FALSE(corruption([&] { store->read(Query::all()); }).empty());
  CHECK_FALSE(corruption([&] { store->append({makeEvent("X")}); }).empty());
}

TEST_CASE("an interrupted deleteStore is finished by the next open", "[damage]") {
  opossum::test::TempDir dir;
  fill(dir.path());
  const fs::path store = dir.path() / "s";
  // What deleteStore leaves when it stops right after removing the ledger.
  write(store / ".deleting", "");
  fs::remove(store / "ledger.json");
  auto reopened = openStore(dir.path(), "s");
  CHECK(reopened->read(Query::all()).empty());
  CHECK(reopened->append({makeEvent("X")}) == 1);
  CHECK_FALSE(fs::exists(store / ".deleting"));
}

TEST_CASE("a missing manifest beside events is a CorruptionError; an empty store gets a new one",
          "[damage]") {
  opossum::test::TempDir dir;
  fill(dir.path());
  fs::remove(dir.path() / "s" / "manifest.json");
  CHECK_THAT(corruption([&] { openStore(dir.path(), "s"); }), Catch::Contains("manifest.json"));
  CHECK_FALSE(fs::exists(dir.path() / "s" / "manifest.json"));

  openStore(dir.path(), "empty");
  fs::remove(dir.path() / "empty" / "manifest.json");
  openStore(dir.path(), "empty")->append({makeEvent("X")});
  CHECK(fs::exists(dir.path() / "empty" / "manifest.json"));
}

TEST_CASE("a ledger restored from an older copy is refused before it costs events", "[damage]") {
  opossum::test::TempDir dir;
  const fs::path store = dir.path() / "s";
  {
    auto s = openStore(dir.path(), "s");
    s->append({makeEvent("Opened", R"({"n":1})", {{"cart", "C1"}})});
  }
  const std::string old = text(store / "ledger.json");
  fill(dir.path());  // four more, and a checkpoint-free close writes every file
  const auto events = openStore(dir.path(), "s")->read(Query::all());
  REQUIRE(events.size() == 5);
  // As after checkpoints reused the journal: only the event files hold positions 2..5.
  write(store / "journal.log", std::string(fs::file_size(store / "journal.log"), '\0'));

  SECTION("when the store is opened") {
    write(store / "ledger.json", old);
    CHECK_THAT(corruption([&] { openStore(dir.path(), "s"); }),
               Catch::Contains("000000002.json") && Catch::Contains("ledger"));
  }
  SECTION("when a store object that saw the newer head appends") {
    auto s = openStore(dir.path(), "s");
    write(store / "ledger.json", old);
    CHECK_THAT(corruption([&] { s->append({makeEvent("X")}); }), Catch::Contains("older copy"));
  }
  // Nothing acknowledged was overwritten.
  CHECK(text(store / "events" / "000000002.json").find(R"("n":1)") != std::string::npos);
}

TEST_CASE("a deleted posting file fails queries and conditions instead of passing them",
          "[damage]") {
  opossum::test::TempDir dir;
  fill(dir.path());
  const fs::path tags = dir.path() / "s" / "indices" / "tags";
  std::string cart;
  for (const auto& entry : fs::directory_iterator(tags)) {
    if (entry.path().filename().string().find("cart=") == 0 &&
        text(entry.path()).find("\"C1\"") != std::string::npos) {
      cart = entry.path().filename().string();
    }
  }
  REQUIRE_FALSE(cart.empty());
  fs::remove(tags / cart);
  auto store = openStore(dir.path(), "s");
  const Query c1 = Query::fromTags({{"cart", "C1"}});
  CHECK_THAT(corruption([&] { store->read(c1); }), Catch::Contains(cart));
  CHECK_FALSE(
      corruption([&] {
        store->append({makeEvent("Opened", "{}", {{"cart", "C1"}})}, AppendCondition{c1, 0});
      }).empty());
  CHECK(store->read(Query::all()).size() == 4);
}

TEST_CASE("a positions file shorter than the committed head fails reads", "[damage]") {
  opossum::test::TempDir dir;
  fill(dir.path());
  const fs::path positions = dir.path() / "s" / "indices" / "positions" / "positions.log";
  SECTION("truncated") {
    std::string content = text(positions);
    write(positions, content.substr(0, content.find('\n') + 1));
  }
  SECTION("the whole index deleted") { fs::remove_all(dir.path() / "s" / "indices"); }
  auto store = openStore(dir.path(), "s");
  CHECK_THAT(corruption([&] { store->read(Query::all()); }), Catch::Contains("positions.log"));
  CHECK_FALSE(corruption([&] { store->read(Query::fromEventTypes({"Added"})); }).empty());
}

TEST_CASE("a posting file listing an event without its tag fails the read", "[damage]") {
  opossum::test::TempDir dir;
  fill(dir.path());
  // The count's mark is the head of the materialize that last touched the list: 3 or 4, as the
  // background writer batched the appends.
  std::vector<std::string> expected = {"lists 3 position(s) up to ", ", but it held 2 ("};
  SECTION("noticed by the list's recorded count") {}
  SECTION("noticed by the event that does not match, without counts") {
    fs::remove(dir.path() / "s" / "indices" / "positions" / "lists.log");
    expected = {"position 2"};
  }
  const fs::path types = dir.path() / "s" / "indices" / "event-types";
  for (const auto& entry : fs::directory_iterator(types)) {
    if (text(entry.path()).find("\"Opened\"") != std::string::npos) {
      // Position 2 is an "Added" event; the index now claims it is "Opened".
      std::string content = text(entry.path());
      content.replace(content.find("\n3\n"), 3, "\n2\n3\n");
      write(entry.path(), content);
    }
  }
  auto store = openStore(dir.path(), "s");
  const std::string error = corruption([&] { store->read(Query::fromEventTypes({"Opened"})); });
  for (const auto& part : expected) CHECK_THAT(error, Catch::Contains(part));
}

TEST_CASE("the store lock holds when its lock file is deleted while held", "[damage]") {
  opossum::test::TempDir dir;
  const fs::path store = dir.path() / "s";
  openStore(dir.path(), "s");
  auto files = sdk::posixFileSystem();
  auto held = plugins::file_storage::lockStoreFolder(*files, store, std::chrono::seconds(1), {});
  fs::remove(store / ".store.lock");
  CHECK_THROWS_AS(
      plugins::file_storage::lockStoreFolder(*files, store, std::chrono::milliseconds(100), {}),
      LockTimeoutError);
  held.reset();
  CHECK(plugins::file_storage::lockStoreFolder(*files, store, std::chrono::milliseconds(100), {}));

  SECTION("and so does the lock of the event files") {
    auto writing =
        plugins::file_storage::lockEventsFolder(*files, store, std::chrono::seconds(1), {});
    fs::remove(store / ".materialize.lock");
    CHECK_THROWS_AS(
        plugins::file_storage::lockEventsFolder(*files, store, std::chrono::milliseconds(100), {}),
        LockTimeoutError);
  }
}

TEST_CASE("a posting file with an entry cut off fails queries and conditions", "[damage]") {
  opossum::test::TempDir dir;
  fill(dir.path());
  const fs::path types = dir.path() / "s" / "indices" / "event-types";
  for (const auto& entry : fs::directory_iterator(types)) {
    if (text(entry.path()).find("\"Opened\"") != std::string::npos) {
      std::string content = text(entry.path());
      content.replace(content.find("\n1\n"), 3, "\n");  // position 1 is gone from the list
      write(entry.path(), content);
    }
  }
  auto store = openStore(dir.path(), "s");
  const Query opened = Query::fromEventTypes({"Opened"});
  CHECK_THAT(corruption([&] { store->read(opened); }), Catch::Contains("%4Fpened.idx"));
  CHECK_FALSE(corruption([&] {
                store->append({makeEvent("Opened")}, AppendCondition{opened, std::nullopt});
              }).empty());
}
