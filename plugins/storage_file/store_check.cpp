#include "store_check.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "layout.hpp"
#include "ledger.hpp"
#include "manifest.hpp"
#include "opossum/errors.hpp"
#include "store_locks.hpp"

namespace opossum::plugins::file_storage {

namespace fs = std::filesystem;

namespace {

class Check {
 public:
  Check(const sdk::StorageContext& context, const sdk::Progress& progress)
      : c_(context),
        files_(*context.fileSystem),
        dir_(context.storeDirectory),
        progress_(progress) {}

  sdk::CheckReport run(const std::optional<std::string>& unusable) {
    if (unusable) add("(store)", std::nullopt, "the store cannot be used: " + *unusable);
    // No append runs meanwhile: files after the head are strays, not an append in flight.
    auto lock = lockStoreFolder(files_, dir_, c_.crossProcessLockTimeout, {});
    checkLedger();
    checkManifest();
    checkEventFolder();
    checkEvents();
    checkIndex();
    if (files_.exists(dir_ / "tag-migration.json")) {
      add("tag-migration.json", std::nullopt,
          "an interrupted tag migration is pending (opening the store completes it)");
    }
    report_.head = head_;
    return std::move(report_);
  }

 private:
  void add(std::string item, std::optional<Position> position, std::string message) {
    report_.problems.push_back({std::move(item), position, std::move(message)});
  }
  std::string eventFile(Position p) const {
    return std::string(kEventsFolder) + "/" + eventFileName(p, c_.serializer->fileExtension());
  }

  void checkLedger() {
    try {
      if (auto ledger = readLedger(files_, dir_ / kLedgerFile)) {
        head_ = ledger->position;
        return;
      }
      add(kLedgerFile, std::nullopt, "missing");
    } catch (const Error& e) {
      add(kLedgerFile, std::nullopt, e.what());
    }
    // Without a commit record, the events that are there in a row are checked.
    head_ = 0;
    while (files_.exists(dir_ / eventFile(head_ + 1))) ++head_;
  }

  void checkManifest() {
    const fs::path path = dir_ / kManifestFile;
    auto text = files_.readFile(path);
    if (!text) {
      if (head_ > 0) add(kManifestFile, std::nullopt, "missing (the events' format is unknown)");
      return;
    }
    try {
      auto have = parseManifest(*text, path);
      auto want = expectedManifest(c_);
      if (have.serializer != want.serializer || have.index != want.index) {
        add(kManifestFile, std::nullopt,
            "names serializer '" + have.serializer + "' and index '" + have.index +
                "', but the events are checked with '" + want.serializer + "' and '" + want.index +
                "'");
      }
    } catch (const Error& e) {
      add(kManifestFile, std::nullopt, e.what());
    }
  }

  void checkEventFolder() {
    const std::string extension = c_.serializer->fileExtension();
    std::vector<std::pair<Position, std::string>> after;
    for (const auto& name : files_.listDirectory(dir_ / kEventsFolder)) {
      auto p = eventFilePosition(name, extension);
      const std::string item = std::string(kEventsFolder) + "/" + name;
      if (!p || eventFileName(*p, extension) != name) {
        add(item, std::nullopt, "unexpected file in the events folder");
      } else if (*p > head_) {
        after.emplace_back(*p, item);
      }
    }
    std::sort(after.begin(), after.end());
    for (const auto& [p, item] : after) {
      add(item, p,
          "event file after the ledger's head " + std::to_string(head_) +
              " (the ledger is behind, or an append never committed)");
    }
  }

  void checkEvents() {
    events_.assign(head_, std::nullopt);
    for (Position p = 1; p <= head_; ++p) {
      const std::string file = eventFile(p);
      auto bytes = files_.readFile(dir_ / file);
      if (!bytes) {
        add(file, p,
            "missing (the ledger's head is " + std::to_string(head_) + ", so it is committed)");
        continue;
      }
      try {
        SequencedEvent event = c_.serializer->deserialize(*bytes);
        if (event.position != p) {
          add(file, p, "holds position " + std::to_string(event.position));
          continue;
        }
        events_[p - 1] =
            sdk::IndexedEvent{p, std::move(event.event.eventType), std::move(event.event.tags)};
        ++report_.eventsRead;
      } catch (const Error& e) {
        add(file, p, std::string("cannot be read: ") + e.what());
      }
      if (progress_ && (p % 1000 == 0 || p == head_)) progress_(p, head_);
    }
  }

  void checkIndex() {
    const std::string folder = std::string(kIndexFolder) + "/";
    if (auto* own = sdk::capabilityOf<sdk::IndexCheck>(*c_.index)) {
      for (auto& problem : own->checkFiles(events_)) {
        problem.item = folder + problem.item;
        report_.problems.push_back(std::move(problem));
      }
      return;
    }
    // Any other index: its answers for every type and tag must be the events' positions.
    auto lists = sdk::expectedLists(events_);
    auto compare = [&](const std::string& what, const Query& query,
                       const std::vector<Position>& expected) {
      try {
        sdk::compareLists(report_.problems, kIndexFolder, what, expected,
                          c_.index->positions(query, {}, head_), events_);
      } catch (const Error& e) {
        add(kIndexFolder, std::nullopt, what + ": " + e.what());
      }
    };
    for (const auto& [type, expected] : lists.types) {
      compare("event type '" + type + "'", Query::fromEventTypes({type}), expected);
    }
    for (const auto& [tag, expected] : lists.tags) {
      compare("tag '" + tag.key + "=" + tag.value + "'", Query::fromTags({tag}), expected);
    }
  }

  const sdk::StorageContext& c_;
  sdk::FileSystem& files_;
  fs::path dir_;
  const sdk::Progress& progress_;
  Position head_ = 0;
  std::vector<std::optional<sdk::IndexedEvent>> events_;  // [p - 1], nullopt when unreadable
  sdk::CheckReport report_;
};

}  // namespace

sdk::CheckReport checkStore(const sdk::StorageContext& context,
                            const std::optional<std::string>& unusable,
                            const sdk::Progress& progress) {
  return Check(context, progress).run(unusable);
}

}  // namespace opossum::plugins::file_storage
