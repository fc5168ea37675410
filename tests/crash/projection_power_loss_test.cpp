// Power cuts at every sync point of the projection files: ProjectionManager::update batches
// (state files, tag markers and checkpoint through the batch journal) and a rebuild (its
// generation, progress journal and switch-over). The events live in a store that no cut touches;
// after each cut a new manager over the image must show, for its checkpoint c, exactly the state
// the events up to c give, with c at least what was acknowledged, and a rebuild run on the image
// must end at the head with the full state (no event applied twice).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>

#include "power_loss_file_system.hpp"
#include "projection_fixtures.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using namespace opossum::test;
namespace fs = std::filesystem;

namespace {

const bool kSetUp = (useMemoryTempDir(), usePluginDir(), true);

// The projection's state by shop after the events up to `upTo`, as its definition folds them.
std::map<std::string, Counter> reference(const std::vector<SequencedEvent>& events, Position upTo) {
  std::map<std::string, Counter> state;
  for (const auto& e : events) {
    if (e.position > upTo) break;
    if (e.event.eventType == "SaleMade") {
      auto& c = state.try_emplace(shopOf(e), Counter{0, shopOf(e)}).first->second;
      ++c.count;
    } else if (e.event.eventType == "ShopClosed") {
      state.erase(shopOf(e));
    }
  }
  return state;
}

std::string describe(const std::map<std::string, Counter>& state) {
  std::string s;
  for (const auto& [k, c] : state) s += k + ":" + std::to_string(c.count) + " ";
  return s.empty() ? "(nothing)" : s;
}

// "" when the manager's state is the reference at its checkpoint.
std::string stateProblem(ProjectionManager& manager, const std::vector<SequencedEvent>& events,
                         Position atLeast) {
  Position c = manager.checkpoint("sales");
  if (c < atLeast) {
    return "checkpoint " + std::to_string(c) + " behind the acknowledged " +
           std::to_string(atLeast);
  }
  auto want = reference(events, c);
  std::map<std::string, Counter> got;
  auto store = manager.getStore<Counter>("sales");
  for (auto& [key, counter] : store.getAllWithKeys()) got[key] = counter;
  if (got != want) {
    return "at checkpoint " + std::to_string(c) + " the state is " + describe(got) +
           ", the events give " + describe(want);
  }
  for (const std::string size : {"small", "big"}) {
    std::size_t expected = 0;
    for (const auto& [k, counter] : want) expected += (counter.count >= 3) == (size == "big");
    auto tagged = store.queryByTag({"size", size});
    if (tagged.size() != expected) {
      return "at checkpoint " + std::to_string(c) + " queryByTag size=" + size + " gives " +
             std::to_string(tagged.size()) + " instances, expected " + std::to_string(expected);
    }
  }
  return "";
}

struct Cut {
  std::string label;
  CrashVariant variant;
  CrashImage image;
  Position acknowledged;
};

struct Result {
  std::vector<std::string> problems;
  std::size_t images = 0, syncPoints = 0;
};

// With `ignoreSyncs` the model forgets every sync (a manager that never syncs).
Result runCuts(bool ignoreSyncs) {
  TempDir dir;
  auto store = openStore(dir / "events", "shop", false);
  std::vector<NewEvent> appended;
  const std::vector<std::string> shops{"a", "b", "c", "d"};
  for (int i = 0; i < 40; ++i) {
    if (i == 21) {
      appended.push_back(closing("b"));
    } else if (i % 5 == 4) {
      appended.push_back(noise());
    } else {
      appended.push_back(sale(shops[static_cast<std::size_t>(i * 7) % shops.size()]));
    }
  }
  for (const auto& e : appended) store->append({e});
  const auto events = store->read(Query::all(), {});
  REQUIRE(events.size() == 40);

  const fs::path root = dir / "projections";
  fs::create_directories(root);
  auto files = std::make_shared<PowerLossFileSystem>(root);
  files->setIgnoreSyncs(ignoreSyncs);
  // OPOSSUM_POWER_LOSS_ROUNDS=N: N torn images per cut.
  std::vector<CrashVariant> variants{CrashVariant::dropUnsynced, CrashVariant::keepUnsynced,
                                     CrashVariant::namesKept};
  const char* rounds = std::getenv("OPOSSUM_POWER_LOSS_ROUNDS");
  for (int r = 0; r < std::max(1, rounds ? std::atoi(rounds) : 1); ++r) {
    variants.push_back(CrashVariant::tornUnsynced);
  }
  std::vector<Cut> cuts;
  Position acknowledged = 0;
  std::size_t syncPoints = 0;
  auto cut = [&](const std::string& label) {
    files->atomically([&] {
      for (auto variant : variants) {
        cuts.push_back({label, variant, files->image(variant, cuts.size()), acknowledged});
      }
    });
  };
  files->setSyncHook([&](const std::string& what) {
    ++syncPoints;
    cut("before " + what);
  });
  {
    ProjectionManager manager({.eventStore = store,
                               .basePath = root / "sales-base",
                               .flushImmediately = true,
                               .fileSystem = files,
                               .registerConfiguredProjections = false});
    manager.registerProjection(counterProjection());
    std::size_t from = 0;
    for (std::size_t to : {7u, 15u, 26u, 40u}) {
      manager.update(std::vector<SequencedEvent>(events.begin() + static_cast<long>(from),
                                                 events.begin() + static_cast<long>(to)));
      acknowledged = events[to - 1].position;
      cut("after update up to " + std::to_string(acknowledged));
      from = to;
    }
    ProjectionRebuilder(manager, {.batchSize = 6, .flushInterval = 5, .cacheSize = 2})
        .rebuild("sales");
    cut("after the rebuild");
  }
  std::vector<std::string> problems;
  for (const auto& d : files->modelDifferences()) problems.push_back("model: " + d);
  auto plain = std::make_shared<NoSyncFileSystem>();
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    const auto& c = cuts[i];
    const fs::path image = dir / ("cut-" + std::to_string(i));
    PowerLossFileSystem::layOut(c.image, image);
    std::string where =
        "cut " + std::to_string(i) + " '" + c.label + "', " + variantName(c.variant) + ": ";
    try {
      ProjectionManager manager({.eventStore = store,
                                 .basePath = image / "sales-base",
                                 .flushImmediately = true,
                                 .fileSystem = plain,
                                 .registerConfiguredProjections = false});
      manager.registerProjection(counterProjection());
      if (auto p = stateProblem(manager, events, c.acknowledged); !p.empty()) {
        problems.push_back(where + p);
      } else {
        ProjectionRebuilder(manager, {.batchSize = 6, .flushInterval = 5, .cacheSize = 2})
            .rebuild("sales");
        if (auto q = stateProblem(manager, events, events.back().position); !q.empty()) {
          problems.push_back(where + "after a rebuild on the image: " + q);
        }
      }
    } catch (const std::exception& e) {
      problems.push_back(where + "opening the projection failed: " + e.what());
    }
    fs::remove_all(image);
  }
  return {problems, cuts.size(), syncPoints};
}

}  // namespace

TEST_CASE("power cut while projection state is written (update batches and a rebuild)",
          "[crash][power-loss]") {
  auto result = runCuts(false);
  INFO(result.images << " images at " << result.syncPoints << " sync points");
  for (const auto& p : result.problems) FAIL_CHECK(p);
  CHECK(result.problems.empty());
  CHECK(result.syncPoints > 4);
}

TEST_CASE("the projection power-loss checks fail when syncs are not durable",
          "[crash][power-loss]") {
  auto result = runCuts(true);
  bool behind = false;
  for (const auto& p : result.problems)
    behind = behind || p.find("behind the acknowledged") != std::string::npos;
  INFO((result.problems.empty() ? std::string("no problem found") : result.problems.front()));
  CHECK(behind);
}
