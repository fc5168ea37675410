// Power cuts at every sync point of each write path of the file storage (and after each
// acknowledged call), checked as a store reopened after a reboot. OPOSSUM_POWER_LOSS_ROUNDS=N
// takes N torn images per cut instead of one, and runs the concurrent workload N times.
#include <catch2/catch.hpp>
#include <thread>

#include "ledger.hpp"
#include "power_loss_harness.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using namespace opossum::test;
namespace fs = std::filesystem;

namespace {

const bool kInMemory = (useMemoryTempDir(), true);

const std::vector<std::string> kTypes{"Opened", "Added", "Closed"};

NewEvent eventNumber(int id) {
  std::vector<Tag> tags{{"cart", "C" + std::to_string(id % 3)}};
  if (id % 2 == 0) tags.push_back({"sku", "S" + std::to_string(id % 4)});
  return numberedEvent(id, kTypes[static_cast<std::size_t>(id) % kTypes.size()], std::move(tags));
}

// A workload over a fresh store: `run` appends through the stack, cutting where it likes.
struct Run {
  TempDir dir;
  fs::path root = dir / "root";
  std::shared_ptr<PowerLossFileSystem> files;
  History history;
  std::unique_ptr<Recorder> recorder;
  StorageSettings settings;

  explicit Run(StorageSettings s = {}, bool storeFolderDurable = true) : settings(s) {
    // The store's own folder made durable first, unless the case is about it.
    fs::create_directories(storeFolderDurable ? root / "store" : root);
    files = std::make_shared<PowerLossFileSystem>(root);
    recorder = std::make_unique<Recorder>(*files, history, 1, allVariants());
  }
  fs::path storeDir() const { return root / "store"; }

  Position append(Stack& stack, std::vector<NewEvent> events, const std::string& label) {
    auto id = history.begin(events);
    Position last = stack.append(events);
    history.acknowledge(id, last);
    recorder->cut("after " + label);
    return last;
  }

  void check() {
    for (const auto& difference : files->modelDifferences()) FAIL_CHECK(difference);
    recorder->cut("after the store was closed");
    auto problems = checkCuts(recorder->cuts(), history, dir / "scratch", settings);
    INFO(recorder->cuts().size() << " images at " << recorder->syncPoints() << " sync points");
    for (const auto& problem : problems) FAIL_CHECK(problem);
    CHECK(problems.empty());
    CHECK(recorder->syncPoints() > 0);
  }
};

}  // namespace

TEST_CASE("power cut during single-event appends", "[crash][power-loss]") {
  Run run;
  {
    Stack stack(run.storeDir(), run.files, run.settings);
    for (int i = 1; i <= 6; ++i) run.append(stack, {eventNumber(i)}, "append " + std::to_string(i));
  }
  run.check();
}

TEST_CASE("power cut during batch appends", "[crash][power-loss]") {
  Run run;
  {
    Stack stack(run.storeDir(), run.files, run.settings);
    int id = 1;
    for (int size : {3, 1, 4, 2}) {
      std::vector<NewEvent> batch;
      for (int i = 0; i < size; ++i) batch.push_back(eventNumber(id++));
      run.append(stack, batch, "batch of " + std::to_string(size));
    }
  }
  run.check();
}

TEST_CASE("power cut during concurrent appends (group commit)", "[crash][power-loss]") {
  for (int round = 0; round < rounds(); ++round) {
    Run run;
    {
      Stack stack(run.storeDir(), run.files, run.settings);
      std::vector<std::thread> writers;
      for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&, w] {
          for (int k = 0; k < 4; ++k) {
            int id = 100 * (w + 1) + 10 * k;
            std::vector<NewEvent> batch{eventNumber(id)};
            if (k % 2 == 1) batch.push_back(eventNumber(id + 1));
            run.append(stack, batch,
                       "writer " + std::to_string(w) + " append " + std::to_string(k));
          }
        });
      }
      for (auto& t : writers) t.join();
    }
    run.check();
  }
}

TEST_CASE("power cut around journal checkpoints", "[crash][power-loss]") {
  // A 4 KiB journal holds about a dozen events: the appends wrap it several times, each time
  // through a checkpoint (every file written, then one syncfs).
  Run run;
  {
    Stack stack(run.storeDir(), run.files, run.settings);
    for (int i = 1; i <= 40; ++i) {
      std::vector<NewEvent> batch{eventNumber(i)};
      if (i % 7 == 0) batch.push_back(eventNumber(1000 + i));
      run.append(stack, batch, "append " + std::to_string(i));
    }
  }
  run.check();
}

TEST_CASE("power cut that keeps a later sector of a lap's first record only",
          "[crash][power-loss]") {
  // After a checkpoint the journal starts over at offset 0. A power cut may take the first sector
  // of the new lap's first record and keep a later one: the earlier lap's first records are then
  // intact, up to the sector that was overwritten. They must not be taken for the journal's tail
  // (the event files reach further).
  TempDir dir;
  const fs::path store = dir / "store";
  fs::create_directories(store);
  auto files = sdk::posixFileSystem();
  History history;
  std::string earlierLap;
  {
    Stack stack(store, files);
    auto append = [&](std::vector<NewEvent> events) {
      auto id = history.begin(events);
      history.acknowledge(id, stack.append(events));
    };
    auto journalOffset = [&] {
      return plugins::file_storage::readLedger(*files, store / "ledger.json")->journalOffset;
    };
    int id = 1;
    while (journalOffset() < 3000) append({eventNumber(id++)});
    earlierLap = *files->readFile(store / "journal.log");
    std::vector<NewEvent> batch;
    for (int i = 0; i < 8; ++i) batch.push_back(eventNumber(id++));
    append(batch);
    REQUIRE(journalOffset() > 1024);  // the batch starts the new lap and spans three sectors
    REQUIRE(journalOffset() < 3000);
    append({eventNumber(id++)});
  }
  const std::string newLap = *files->readFile(store / "journal.log");
  std::string torn = earlierLap;
  torn.replace(512, 512, newLap.substr(512, 512));
  files->replaceFile(store / "journal.log", torn, false);

  auto problems =
      checkStore(store, expectationAt(history, history.acknowledged(), false), true, {});
  for (const auto& problem : problems) FAIL_CHECK(problem);
  CHECK(problems.empty());
}

TEST_CASE("power cut after a checkpoint that the background worker's mark had not reached",
          "[crash][power-loss]") {
  // The background worker writes the event files, then records how far it got in the ledger
  // only when the store lock is free. Holding the lock meanwhile (as a committer of another
  // process would) leaves the ledger's mark behind the head when the next append checkpoints.
  Run run;
  {
    Stack stack(run.storeDir(), run.files, run.settings);
    auto plain = sdk::posixFileSystem();
    for (int i = 1; i <= 30; ++i) {
      std::unique_ptr<sdk::FileLock> held;
      Position last = 0;
      {
        auto id = run.history.begin({eventNumber(i)});
        last = stack.append({eventNumber(i)});
        held = plain->lock(run.storeDir() / ".store.lock", std::chrono::seconds(5), {});
        run.history.acknowledge(id, last);
      }
      char name[32];
      std::snprintf(name, sizeof name, "%09llu.json", static_cast<unsigned long long>(last));
      REQUIRE(eventuallyExists(run.storeDir() / "events" / name));
      held.reset();
      run.recorder->cut("after append " + std::to_string(i));
    }
  }
  run.check();
}

TEST_CASE("power cut after the background writing of event files and posting files",
          "[crash][power-loss]") {
  Run run;
  {
    Stack stack(run.storeDir(), run.files, run.settings);
    for (int i = 1; i <= 8; ++i) {
      Position last = run.append(stack, {eventNumber(i)}, "append " + std::to_string(i));
      // Cut again once the background worker wrote the event file (its posting files follow in
      // the same round).
      char name[32];
      std::snprintf(name, sizeof name, "%09llu.json", static_cast<unsigned long long>(last));
      REQUIRE(eventuallyExists(run.storeDir() / "events" / name));
      run.recorder->cut("after event file " + std::string(name) + " was written");
    }
  }
  run.check();
}

TEST_CASE("power cut during a tag migration (addTags)", "[crash][power-loss]") {
  Run run;
  {
    Stack stack(run.storeDir(), run.files, run.settings);
    std::map<Position, std::vector<Tag>> added;
    for (int i = 1; i <= 9; ++i) {
      NewEvent event = eventNumber(i);
      // Some events already have the key: the migration skips them.
      if (i % 4 == 0) event.event.tags.push_back({"region", "old"});
      Position p = run.append(stack, {event}, "append " + std::to_string(i));
      if (event.event.eventType == "Opened" && i % 4 != 0) {
        added[p] = {{"region", "R" + std::to_string(p % 2)}};
      }
    }
    run.history.planMigration(added);
    auto result = stack.storage().addTags(
        "Opened",
        [](const SequencedEvent& e) {
          return std::vector<Tag>{{"region", "R" + std::to_string(e.position % 2)}};
        },
        {});
    run.history.acknowledgeMigration();
    run.recorder->cut("after addTags");
    CHECK(result.tagsAdded == added.size());
    for (int i = 10; i <= 13; ++i)
      run.append(stack, {eventNumber(i)}, "append " + std::to_string(i));
  }
  run.check();
}

TEST_CASE("power cut right after a new store's folder was created", "[crash][power-loss]") {
  // The folder {rootPath}/{storeName} is new: its name in rootPath must be durable before the
  // first append is acknowledged.
  Run run(StorageSettings{}, false);
  {
    Stack stack(run.storeDir(), run.files, run.settings);
    for (int i = 1; i <= 2; ++i) run.append(stack, {eventNumber(i)}, "append " + std::to_string(i));
  }
  run.check();
}

TEST_CASE("the power-loss checks fail when the store's syncs are not durable",
          "[crash][power-loss]") {
  // A model in which no sync makes anything durable stands for a store that never syncs: the
  // acknowledged events must then be reported lost.
  Run run;
  run.files->setIgnoreSyncs(true);
  {
    Stack stack(run.storeDir(), run.files, run.settings);
    for (int i = 1; i <= 3; ++i) run.append(stack, {eventNumber(i)}, "append " + std::to_string(i));
  }
  run.recorder->cut("after the store was closed");
  auto problems = checkCuts(run.recorder->cuts(), run.history, run.dir / "scratch");
  bool lost = std::any_of(problems.begin(), problems.end(), [](const std::string& p) {
    return p.find("acknowledged batch") != std::string::npos;
  });
  INFO((problems.empty() ? std::string("no problem found") : problems.front()));
  CHECK(lost);
}
