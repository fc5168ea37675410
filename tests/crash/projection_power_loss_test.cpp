// Power cuts at every sync point of the projection files: ProjectionManager::update batches
// (state files, tag markers and checkpoint through the batch journal) and a rebuild (its
// generation, progress journal and switch-over). The events live in a store that no cut touches;
// after each cut a new manager over the image must show, for its checkpoint c, exactly the state
// the events up to c give, with c at least what was acknowledged, and a rebuild run on the image
// must end at the head with the full state (no event applied twice).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>
#include <regex>

#include "opossum/errors.hpp"
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

namespace {

// Whether `error` is an IoError, or a ProjectionError whose every failure is one.
bool onlyIoErrors(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const IoError&) {
    return true;
  } catch (const ProjectionError& e) {
    return std::all_of(e.failures().begin(), e.failures().end(),
                       [](const auto& f) { return f.error && onlyIoErrors(f.error); });
  } catch (...) {
    return false;
  }
}

struct IoOutcome {
  std::vector<std::string> problems;
  std::size_t writes = 0, syncs = 0;
  int failedCalls = 0;
  std::string failed;  // the calls that failed, and with what
};

// Update batches and a rebuild with one write or sync failing (none when `kind` is unset). A
// failed call is retried once and must then succeed; the state must stay right, also after a
// power cut at the end.
IoOutcome runProjectionIo(std::optional<FaultKind> kind, std::size_t nth, int error) {
  TempDir dir;
  auto store = openStore(dir / "events", "shop", false);
  for (int i = 0; i < 24; ++i) {
    store->append({i % 6 == 5 ? noise() : sale(i % 3 == 0 ? "a" : (i % 3 == 1 ? "b" : "c"))});
  }
  const auto events = store->read(Query::all(), {});
  const fs::path root = dir / "projections";
  fs::create_directories(root);
  auto files = std::make_shared<PowerLossFileSystem>(root);
  if (kind) files->armFault(*kind, nth, error);
  IoOutcome outcome;
  auto call = [&](const std::string& what, const std::function<void()>& body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        body();
        return;
      } catch (...) {
        auto e = std::current_exception();
        if (!onlyIoErrors(e)) {
          outcome.problems.push_back(what + " threw another error than IoError");
          return;
        }
        ++outcome.failedCalls;
        outcome.failed +=
            (outcome.failed.empty() ? "" : ", ") + what + " (" + files->faultDescription() + ")";
        if (attempt == 1) outcome.problems.push_back(what + " failed again after the fault");
      }
    }
  };
  Position acknowledged = 0;
  {
    std::unique_ptr<ProjectionManager> manager;
    call("opening the manager", [&] {
      manager = std::make_unique<ProjectionManager>(
          ProjectionManagerOptions{.eventStore = store,
                                   .basePath = root / "sales-base",
                                   .flushImmediately = true,
                                   .fileSystem = files,
                                   .registerConfiguredProjections = false});
      manager->registerProjection(counterProjection());
    });
    if (!manager) return outcome;
    std::size_t from = 0;
    for (std::size_t to : {5u, 13u, 24u}) {
      std::vector<SequencedEvent> batch(events.begin() + static_cast<long>(from),
                                        events.begin() + static_cast<long>(to));
      call("update", [&] {
        manager->update(batch);
        acknowledged = batch.back().position;
      });
      from = to;
    }
    call("rebuild", [&] {
      ProjectionRebuilder(*manager, {.batchSize = 6, .flushInterval = 5, .cacheSize = 2})
          .rebuild("sales");
    });
    if (auto p = stateProblem(*manager, events, acknowledged); !p.empty()) {
      outcome.problems.push_back("in the running manager: " + p);
    }
  }
  outcome.writes = files->writes();
  outcome.syncs = files->syncs();
  auto image = files->image(CrashVariant::dropUnsynced, 0);
  PowerLossFileSystem::layOut(image, dir / "cut");
  auto plain = std::make_shared<NoSyncFileSystem>();
  for (const auto& [name, base] :
       {std::pair<std::string, fs::path>{"reopened", root}, {"after a power cut", dir / "cut"}}) {
    try {
      ProjectionManager manager({.eventStore = store,
                                 .basePath = base / "sales-base",
                                 .flushImmediately = true,
                                 .fileSystem = plain,
                                 .registerConfiguredProjections = false});
      manager.registerProjection(counterProjection());
      if (auto p = stateProblem(manager, events, acknowledged); !p.empty()) {
        outcome.problems.push_back(name + ": " + p);
      }
    } catch (const std::exception& e) {
      outcome.problems.push_back(name + ": opening failed: " + e.what());
    }
  }
  return outcome;
}

void runProjectionFaults(FaultKind kind) {
  auto clean = runProjectionIo(std::nullopt, 0, 0);
  for (const auto& p : clean.problems) FAIL_CHECK("without a fault: " << p);
  const std::size_t count = kind == FaultKind::write ? clean.writes : clean.syncs;
  REQUIRE(count > 0);
  int failedCalls = 0;
  std::map<std::string, std::pair<int, std::string>> found;
  for (std::size_t n = 0; n < count; ++n) {
    const int error = n % 2 == 0 ? EIO : ENOSPC;
    auto outcome = runProjectionIo(kind, n, error);
    failedCalls += outcome.failedCalls;
    for (const auto& p : outcome.problems) {
      // One report per kind of problem (numbers aside), with its count and first occurrence.
      auto& entry = found[std::regex_replace(p, std::regex("[0-9]+"), "#")];
      if (entry.first++ == 0) {
        entry.second = std::string(kind == FaultKind::write ? "write " : "sync ") +
                       std::to_string(n) + " failing with " + (error == EIO ? "EIO" : "ENOSPC") +
                       ": " + p + " [failed and retried: " + outcome.failed + "]";
      }
    }
  }
  INFO(count << " runs");
  for (const auto& [kindOfProblem, entry] : found) {
    FAIL_CHECK("in " << entry.first << " run(s), e.g. " << entry.second);
  }
  CHECK(failedCalls > 0);
}

}  // namespace

TEST_CASE("each write of the projection files fails in turn", "[crash][io-error]") {
  runProjectionFaults(FaultKind::write);
}

TEST_CASE("each sync of the projection files fails in turn", "[crash][io-error]") {
  runProjectionFaults(FaultKind::sync);
}
