// verify (integrity check), reindex (rebuild the derived indexes from the events) and recover
// (rebuild a damaged store): the storage engine's maintenance (sdk::StorageMaintenance), so they
// work on every engine that offers it.
#include <iostream>
#include <memory>
#include <optional>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli_support.hpp"
#include "commands.hpp"
#include "opossum/errors.hpp"
#include "opossum/maintenance.hpp"
#include "store_access.hpp"

namespace opossum::cli {

namespace {

// A progress line fed by the engine (the total comes with its first call).
class ProgressLine {
 public:
  explicit ProgressLine(std::string label) : label_(std::move(label)) {}
  sdk::Progress callback() {
    return [this](Position done, Position total) {
      if (!line_) line_.emplace(label_, total);
      line_->update(done);
    };
  }

 private:
  std::string label_;
  std::optional<Progress> line_;
};

struct VerifyArgs {
  StoreArgs store;
};

void runVerify(const VerifyArgs& args, int& status) {
  auto config = resolveConfig(args.store);
  auto maintenance = openStoreMaintenance(config);
  sdk::CheckReport report;
  {
    ProgressLine progress("verify");
    report = maintenance->check(progress.callback());
  }
  const auto& problems = report.problems;
  status = problems.empty() ? kExitOk : kExitVerifyFailed;
  if (args.store.json) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    auto string = [&](const std::string& s) {
      w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    };
    w.StartObject();
    w.Key("store");
    string(storeLocation(config));
    w.Key("head");
    w.Uint64(report.head);
    w.Key("eventsRead");
    w.Uint64(report.eventsRead);
    w.Key("ok");
    w.Bool(problems.empty());
    w.Key("problems");
    w.StartArray();
    for (const auto& problem : problems) {
      w.StartObject();
      w.Key("file");
      string(problem.item);
      if (problem.position) {
        w.Key("position");
        w.Uint64(*problem.position);
      }
      w.Key("message");
      string(problem.message);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    std::cout << buffer.GetString() << '\n';
    return;
  }
  for (const auto& problem : problems) {
    std::cout << problem.item << ": "
              << (problem.position ? "position " + std::to_string(*problem.position) + ": " : "")
              << problem.message << '\n';
  }
  if (problems.empty()) {
    std::cout << "ok: " << plural(report.head, "event")
              << "; the store's records and indexes agree with its events\n";
  } else {
    std::cout << plural(problems.size(), "problem") << " found in " << storeLocation(config)
              << '\n';
  }
}

// ---- reindex ----

struct ReindexArgs {
  StoreArgs store;
  std::size_t batch = 1000;
};

void runReindex(const ReindexArgs& args) {
  auto config = resolveConfig(args.store);
  auto maintenance = openStoreMaintenance(config);
  sdk::ReindexReport report;
  {
    ProgressLine progress("reindex");
    report = maintenance->reindex(args.batch, progress.callback());
  }
  if (args.store.json) {
    std::cout << "{\"events\":" << report.events << ",\"eventTypes\":" << report.eventTypes
              << ",\"tags\":" << report.tags << "}\n";
  } else {
    std::cout << "reindexed " << plural(report.events, "event") << " ("
              << plural(report.eventTypes, "event type") << ", " << plural(report.tags, "tag")
              << ")\n";
  }
}

// ---- recover ----

struct RecoverArgs {
  StoreArgs store;
  bool truncate = false;
};

void runRecover(const RecoverArgs& args, int& status) {
  auto config = resolveConfig(args.store);
  auto maintenance = openStoreMaintenance(config);
  sdk::RepairReport report;
  {
    ProgressLine progress("recover");
    report = maintenance->repair({args.truncate}, progress.callback());
  }
  // The repaired store must pass the whole check; what it reports is what is still wrong.
  const auto problems = maintenance->check({}).problems;
  status = report.lost.empty() && problems.empty() ? kExitOk : kExitVerifyFailed;
  const std::string dir = storeLocation(config);
  if (args.store.json) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    auto string = [&](const std::string& s) {
      w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    };
    auto strings = [&](const char* key, const std::vector<std::string>& values) {
      w.Key(key);
      w.StartArray();
      for (const auto& v : values) string(v);
      w.EndArray();
    };
    w.StartObject();
    w.Key("store");
    string(dir);
    w.Key("head");
    w.Uint64(report.head);
    strings("actions", report.actions);
    strings("lost", report.lost);
    w.Key("movedAsideTo");
    string(report.asideLocation);
    std::vector<std::string> remaining;
    for (const auto& problem : problems) remaining.push_back(problem.item + ": " + problem.message);
    strings("problems", remaining);
    w.Key("changed");
    w.Bool(report.changed);
    w.Key("ok");
    w.Bool(status == kExitOk);
    w.EndObject();
    std::cout << buffer.GetString() << '\n';
    return;
  }
  for (const auto& action : report.actions) std::cout << action << '\n';
  for (const auto& lost : report.lost) std::cout << "lost: " << lost << '\n';
  for (const auto& problem : problems) {
    std::cout << "still wrong: " << problem.item << ": " << problem.message << '\n';
  }
  if (!report.changed) {
    std::cout << "nothing was changed in " << dir << '\n';
    return;
  }
  std::cout << "recovered " << dir << ": " << plural(report.head, "event")
            << (report.lost.empty() ? ", nothing lost" : ", some events lost (above)");
  if (!report.asideLocation.empty()) {
    std::cout << "; damaged files are in " << report.asideLocation;
  }
  std::cout << '\n';
}

}  // namespace

void registerVerifyCommands(CLI::App& app, int& status) {
  {
    auto args = std::make_shared<VerifyArgs>();
    auto* cmd = app.add_subcommand(
        "verify",
        "integrity check of the store: its events, records and indexes (exit 4: problems)");
    addStoreOptions(*cmd, args->store);
    cmd->footer(
        "The storage engine's checks: every position 1..head present and readable, nothing after\n"
        "the head, and every index against the events (file engine: event files, journal, ledger,\n"
        "manifest, marks, index lists; postgres: schema version, head, tags table).\n"
        "Example:\n  opossum verify --root ./data --store shop || opossum reindex --root ./data "
        "--store shop");
    cmd->callback([args, &status] { runVerify(*args, status); });
  }
  {
    auto args = std::make_shared<ReindexArgs>();
    auto* cmd = app.add_subcommand(
        "reindex", "rebuild the derived indexes from the events (writers wait meanwhile)");
    addStoreOptions(*cmd, args->store);
    cmd->add_option("--batch", args->batch, "events given to the index plugin at a time")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
    cmd->footer("Example:\n  opossum reindex --root ./data --store shop");
    cmd->callback([args] { runReindex(*args); });
  }
  {
    auto args = std::make_shared<RecoverArgs>();
    auto* cmd = app.add_subcommand(
        "recover",
        "rebuild what can be rebuilt of a damaged store from its events (records, indexes); "
        "exit 4: something was lost");
    addStoreOptions(*cmd, args->store);
    cmd->add_flag("--truncate", args->truncate,
                  "when no copy of some position is left, move the events after it aside "
                  "(positions have no gaps); without it such a store is left unchanged");
    cmd->footer(
        "Writers wait meanwhile; nothing is deleted, damaged data is moved aside. Then runs the\n"
        "checks of 'verify'. File engine: reads every event from the journal and the event files,\n"
        "writes the event files only the journal holds, rebuilds the index, the manifest and the\n"
        "ledger, and moves damaged files into damaged/<time>/ in the store folder. postgres:\n"
        "rebuilds the tags table, sets the head to the events, moves events after a gap to\n"
        "events_aside.\n"
        "Example:\n  opossum verify --root ./data --store shop || opossum recover --root ./data "
        "--store shop");
    cmd->callback([args, &status] { runRecover(*args, status); });
  }
}

}  // namespace opossum::cli
