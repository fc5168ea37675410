// deleteStore while other threads (and Store objects) append: nobody crashes, and the store
// afterwards is either empty or consistent (positions 1..N, whole batches, index agreeing).
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;

TEST_CASE("deleteStore while other threads append leaves an empty or consistent store",
          "[engines]") {
  test::usePluginDir();
  test::TempDir dir;
  auto deleter = test::openStore(dir.path(), "s", false);
  auto writer = test::openStore(dir.path(), "s", false);
  for (int round = 0; round < 20; ++round) {
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        auto& store = t == 0 ? *deleter : *writer;  // the deleting object appends too
        for (int i = 0; !stop; ++i) {
          try {
            store.append(
                {test::makeEvent("Batch", R"({"n":3,"i":0})", {{"t", std::to_string(t)}}),
                 test::makeEvent("Batch", R"({"n":3,"i":1})", {{"t", std::to_string(t)}}),
                 test::makeEvent("Batch", R"({"n":3,"i":2})", {{"t", std::to_string(t)}})});
          } catch (const Error&) {
            ++failures;  // an append racing the deletion may fail cleanly; it must not crash
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + round));
    deleter->deleteStore();
    std::this_thread::sleep_for(std::chrono::milliseconds(round % 3 == 0 ? 0 : 5));
    stop = true;
    for (auto& t : threads) t.join();

    for (auto* store : {deleter.get(), writer.get()}) {
      auto events = store->read(Query::all());
      REQUIRE(test::contiguityProblem(events).empty());
      REQUIRE(events.size() % 3 == 0);
      for (std::size_t i = 0; i < events.size(); ++i) {
        REQUIRE(test::payloadNumber(events[i].event.event, "i") == static_cast<long long>(i % 3));
      }
      for (const char* t : {"0", "1", "2"}) {
        auto tagged = store->read(Query::fromTags({{"t", t}}));
        std::size_t expected = 0;
        for (const auto& e : events) expected += Query::fromTags({{"t", t}}).matches(e.event);
        REQUIRE(tagged.size() == expected);
      }
    }
    REQUIRE(test::openStore(dir.path(), "s", false)->read(Query::all()).size() ==
            writer->read(Query::all()).size());
  }
}
