// projections list | status | rebuild NAME|--all.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli_support.hpp"
#include "commands.hpp"
#include "opossum/projections.hpp"
#include "store_access.hpp"

namespace opossum::cli {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void writeString(JsonWriter& w, const std::string& value) {
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

// The store and a manager over it, which registers the projection plugins the config lists.
struct Opened {
  std::shared_ptr<Store> store;
  std::unique_ptr<ProjectionManager> manager;
};

Opened openProjections(const StoreArgs& args) {
  auto config = resolveConfig(args);
  requireExistingStore(config);
  Opened opened;
  opened.store = createEventStore(config);
  opened.manager =
      std::make_unique<ProjectionManager>(ProjectionManagerOptions{.eventStore = opened.store});
  return opened;
}

// Error unless every name is a registered projection.
void requireRegistered(const ProjectionManager& manager, const std::vector<std::string>& names) {
  auto registered = manager.projectionNames();
  for (const auto& name : names) {
    if (std::find(registered.begin(), registered.end(), name) != registered.end()) continue;
    std::string list;
    for (const auto& each : registered) list += (list.empty() ? "" : ", ") + each;
    throw Error("no projection '" + name + "' is registered for this store (registered: " +
                (list.empty() ? "none" : list) + ")");
  }
}

const char* const kNoProjections =
    "(no projections: the config lists none under plugins.projections.libraries)\n";

// Left-aligned columns two spaces apart.
void printTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    std::cout << line << '\n';
  }
}

struct ListArgs {
  StoreArgs store;
};

void runList(const ListArgs& args) {
  auto opened = openProjections(args.store);
  auto& manager = *opened.manager;
  auto names = manager.projectionNames();
  if (args.store.json) {
    for (const auto& name : names) {
      rapidjson::StringBuffer buffer;
      JsonWriter w(buffer);
      w.StartObject();
      w.Key("name");
      writeString(w, name);
      w.Key("hasCheckpoint");
      w.Bool(manager.hasCheckpoint(name));
      w.Key("checkpoint");
      w.Uint64(manager.checkpoint(name));
      w.EndObject();
      std::cout << buffer.GetString() << '\n';
    }
    return;
  }
  if (names.empty()) {
    std::cout << kNoProjections;
    return;
  }
  std::vector<std::vector<std::string>> rows{{"NAME", "CHECKPOINT"}};
  for (const auto& name : names) {
    rows.push_back(
        {name, manager.hasCheckpoint(name) ? std::to_string(manager.checkpoint(name)) : "none"});
  }
  printTable(rows);
}

struct StatusArgs {
  StoreArgs store;
  std::vector<std::string> names;
};

void runStatus(const StatusArgs& args) {
  auto opened = openProjections(args.store);
  auto& manager = *opened.manager;
  requireRegistered(manager, args.names);
  auto names = args.names.empty() ? manager.projectionNames() : args.names;
  ProjectionRebuilder rebuilder(manager);
  const Position head = opened.store->head();
  if (!args.store.json && names.empty()) {
    std::cout << kNoProjections;
    return;
  }
  std::vector<std::vector<std::string>> rows{{"NAME", "CHECKPOINT", "HEAD", "KEYS", "REBUILD"}};
  for (const auto& name : names) {
    ProjectionRebuildStatus status = rebuilder.status(name);
    const std::uint64_t keys = manager.stateCount(name);
    if (args.store.json) {
      rapidjson::StringBuffer buffer;
      JsonWriter w(buffer);
      w.StartObject();
      w.Key("name");
      writeString(w, name);
      w.Key("hasCheckpoint");
      w.Bool(status.hasCheckpoint);
      w.Key("checkpoint");
      w.Uint64(status.checkpoint);
      w.Key("head");
      w.Uint64(head);
      w.Key("keys");
      w.Uint64(keys);
      w.Key("rebuilding");
      w.Bool(status.rebuilding);
      w.Key("interrupted");
      w.Bool(status.interrupted);
      w.Key("rebuildProgress");
      w.Uint64(status.progress);
      w.Key("rebuildEventsProcessed");
      w.Uint64(status.eventsProcessed);
      w.EndObject();
      std::cout << buffer.GetString() << '\n';
      continue;
    }
    std::string rebuild = "none";
    if (status.rebuilding || status.interrupted) {
      rebuild = std::string(status.rebuilding ? "running" : "interrupted") + " at " +
                std::to_string(status.progress) + " (" + plural(status.eventsProcessed, "event") +
                ")" + (status.interrupted ? ", resumable" : "");
    }
    rows.push_back({name, status.hasCheckpoint ? std::to_string(status.checkpoint) : "none",
                    std::to_string(head), std::to_string(keys), rebuild});
  }
  if (!args.store.json) printTable(rows);
}

struct RebuildArgs {
  StoreArgs store;
  std::string name;
  bool all = false;
  std::size_t batchSize = ProjectionRebuilderOptions{}.batchSize;
  std::size_t flushInterval = ProjectionRebuilderOptions{}.flushInterval;
};

// Events applied so far by a rebuild running in this process, polled from its status, on stderr
// while it runs; nothing at all unless stderr is a terminal.
class RebuildProgress {
 public:
  RebuildProgress(ProjectionRebuilder& rebuilder, const std::string& name) {
    if (::isatty(STDERR_FILENO) != 1) return;
    progress_ = std::make_unique<Progress>("rebuilding " + name, 0);
    poller_ = std::thread([this, &rebuilder, name] {
      std::unique_lock lock(mutex_);
      while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return done_; })) {
        lock.unlock();
        progress_->update(rebuilder.status(name).eventsProcessed);
        lock.lock();
      }
    });
  }
  ~RebuildProgress() {
    if (!poller_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    poller_.join();
    progress_->finish();
  }
  RebuildProgress(const RebuildProgress&) = delete;
  RebuildProgress& operator=(const RebuildProgress&) = delete;

 private:
  std::unique_ptr<Progress> progress_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread poller_;
};

void writeResult(JsonWriter& w, const ProjectionRebuildResult& result) {
  w.StartObject();
  w.Key("projection");
  writeString(w, result.projection);
  w.Key("durationMs");
  w.Int64(result.durationMs);
  w.Key("eventsProcessed");
  w.Uint64(result.eventsProcessed);
  w.Key("checkpoint");
  w.Uint64(result.checkpoint);
  w.Key("resumed");
  w.Bool(result.resumed);
  w.EndObject();
}

std::string describe(const ProjectionRebuildResult& result) {
  return "rebuilt " + result.projection + ": " + plural(result.eventsProcessed, "event") +
         " processed in " + std::to_string(result.durationMs) + " ms, checkpoint " +
         std::to_string(result.checkpoint) + (result.resumed ? " (resumed)" : "");
}

void runRebuild(const RebuildArgs& args) {
  if (args.all == !args.name.empty()) {
    throw UsageError("rebuild takes a projection NAME or --all, not both");
  }
  auto opened = openProjections(args.store);
  auto& manager = *opened.manager;
  std::vector<std::string> names{args.name};
  if (args.all) {
    names = manager.projectionNames();
  } else {
    requireRegistered(manager, names);
  }
  ProjectionRebuilder rebuilder(manager,
                                {.batchSize = args.batchSize, .flushInterval = args.flushInterval});
  const auto started = std::chrono::steady_clock::now();
  std::vector<ProjectionRebuildResult> results;
  std::string failures;
  std::size_t failed = 0;
  for (const auto& name : names) {
    try {
      ProjectionRebuildResult result;
      {
        RebuildProgress progress(rebuilder, name);
        result = rebuilder.rebuild(name);
      }
      if (args.all && !args.store.json) std::cout << describe(result) << '\n';
      results.push_back(std::move(result));
    } catch (const std::exception& e) {
      // A single rebuild's error is the command's error; --all goes on with the others.
      if (!args.all) throw;
      failures += (failures.empty() ? "" : "; ") + name + ": " + e.what();
      ++failed;
    }
  }
  if (failed > 0) {
    throw Error(std::to_string(failed) + " of " + plural(names.size(), "projection") +
                " failed to rebuild (the others were rebuilt): " + failures);
  }
  const auto durationMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  std::uint64_t events = 0;
  for (const auto& result : results) events += result.eventsProcessed;

  if (!args.all) {
    if (args.store.json) {
      rapidjson::StringBuffer buffer;
      JsonWriter w(buffer);
      writeResult(w, results.front());
      std::cout << buffer.GetString() << '\n';
    } else {
      std::cout << describe(results.front()) << '\n';
    }
    return;
  }
  if (args.store.json) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("rebuilt");
    w.StartArray();
    for (const auto& result : results) writeResult(w, result);
    w.EndArray();
    w.Key("durationMs");
    w.Int64(durationMs);
    w.Key("eventsProcessed");
    w.Uint64(events);
    w.EndObject();
    std::cout << buffer.GetString() << '\n';
  } else {
    std::cout << "rebuilt " << plural(results.size(), "projection") << ": "
              << plural(events, "event") << " processed in " << durationMs << " ms\n";
  }
}

}  // namespace

void registerProjectionCommands(CLI::App& app, int& status) {
  (void)status;
  auto* group = app.add_subcommand(
      "projections", "list the projections of a store, show their status, rebuild them");
  group->require_subcommand(1);
  group->footer(
      "The projections are the projection plugins the config lists under\n"
      "plugins.projections.libraries (give --config).\n"
      "Example:\n  opossum projections status --config shop.json");
  {
    auto args = std::make_shared<ListArgs>();
    auto* cmd = group->add_subcommand("list", "every registered projection and its checkpoint");
    addStoreOptions(*cmd, args->store);
    cmd->footer("Example:\n  opossum projections list --config shop.json");
    cmd->callback([args] { runList(*args); });
  }
  {
    auto args = std::make_shared<StatusArgs>();
    auto* cmd = group->add_subcommand(
        "status", "checkpoint, store head, number of keys and rebuild state of each projection");
    addStoreOptions(*cmd, args->store);
    cmd->add_option("names", args->names, "only these projections (default: all)");
    cmd->footer("Example:\n  opossum projections status --config shop.json loyalty --json");
    cmd->callback([args] { runStatus(*args); });
  }
  {
    auto args = std::make_shared<RebuildArgs>();
    auto* cmd = group->add_subcommand(
        "rebuild",
        "rebuild a projection (or every one) from all events; resumes an interrupted "
        "rebuild");
    addStoreOptions(*cmd, args->store);
    cmd->add_option("name", args->name, "the projection to rebuild");
    cmd->add_flag("--all", args->all, "rebuild every registered projection");
    addNumberOption(*cmd, "--batch-size", args->batchSize, "events per read", 1)
        ->default_str(std::to_string(args->batchSize));
    addNumberOption(*cmd, "--flush-interval", args->flushInterval,
                    "events applied between two flushes of state and progress", 1)
        ->default_str(std::to_string(args->flushInterval));
    cmd->footer(
        "Example:\n  opossum projections rebuild --config shop.json loyalty\n"
        "  opossum projections rebuild --config shop.json --all --json");
    cmd->callback([args] { runRebuild(*args); });
  }
}

}  // namespace opossum::cli
