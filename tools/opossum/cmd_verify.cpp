// verify (integrity check) and reindex (rebuild the derived indexes from the events).
//
// Both read the file-per-event layout (plugins/storage_file/README.md): events/<%09d><ext>,
// ledger.json, indices/. Events are decoded by the store's serializer plugin and the index is
// rebuilt by the store's index plugin; only verify's file-level index check knows the tag-index
// format, through that plugin's own name and line helpers (plugins/index_tag/README.md).
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli_support.hpp"
#include "commands.hpp"
#include "index_file_names.hpp"
#include "layout.hpp"
#include "ledger.hpp"
#include "line_format.hpp"
#include "manifest.hpp"
#include "mark_file.hpp"
#include "opossum/errors.hpp"
#include "posting_list.hpp"
#include "store_access.hpp"
#include "store_locks.hpp"
#include "store_repair.hpp"

namespace opossum::cli {

namespace {

namespace tag_index = plugins::tag_index;

using plugins::file_storage::eventFileName;
using plugins::file_storage::listPositions;

std::optional<std::string> readText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Problem {
  std::string file;  // relative to the store folder
  std::optional<Position> position;
  std::string message;
};

class Verifier {
 public:
  explicit Verifier(const detail::StoreConfig& config)
      : config_(config),
        dir_(storeDirectory(config)),
        serializer_(createSerializer(config, config.serializer)),
        index_(createIndex(config, dir_ / "indices")) {}

  // Whatever stopped the store from opening or answering (found by settle()).
  void noteUnusable(const std::string& message) {
    add("(store)", std::nullopt, "the store cannot be used: " + message);
  }

  void run() {
    auto files = sdk::posixFileSystem();
    // No append runs meanwhile: files after the head are strays, not an append in flight.
    auto lock = plugins::file_storage::lockStoreFolder(*files, dir_,
                                                       config_.options.crossProcessLockTimeout, {});
    checkLedger();
    checkManifest();
    checkEventFolder();
    checkEvents();
    if (index_->formatName() == tag_index::kFormatName &&
        index_->formatVersion() == tag_index::kFormatVersion) {
      checkTagIndexFiles();
    } else {
      checkIndexAnswers();
    }
    if (fs::exists(dir_ / "tag-migration.json")) {
      add("tag-migration.json", std::nullopt,
          "an interrupted tag migration is pending (opening the store completes it)");
    }
  }

  const std::vector<Problem>& problems() const { return problems_; }
  Position head() const { return head_; }
  std::uint64_t readable() const { return readable_; }
  const fs::path& dir() const { return dir_; }

 private:
  void add(std::string file, std::optional<Position> position, std::string message) {
    problems_.push_back({std::move(file), position, std::move(message)});
  }
  std::string eventFile(Position p) const {
    return "events/" + eventFileName(p, serializer_->fileExtension());
  }

  void checkLedger() {
    try {
      auto head = readLedgerHead(dir_ / "ledger.json");
      if (head) {
        head_ = *head;
        return;
      }
      add("ledger.json", std::nullopt, "missing");
    } catch (const Error& e) {
      add("ledger.json", std::nullopt, e.what());
    }
    // Without a commit record, the events that are there in a row are checked.
    head_ = 0;
    while (fs::exists(dir_ / eventFile(head_ + 1))) ++head_;
  }

  void checkManifest() {
    const fs::path path = dir_ / plugins::file_storage::kManifestFile;
    auto text = readText(path);
    if (!text) {
      if (head_ > 0) add("manifest.json", std::nullopt, "missing (the events' format is unknown)");
      return;
    }
    try {
      auto have = plugins::file_storage::parseManifest(*text, path);
      const std::string serializer =
          serializer_->formatName() + " version " + std::to_string(serializer_->formatVersion());
      const std::string index =
          index_->formatName() + " version " + std::to_string(index_->formatVersion());
      if (have.serializer != serializer || have.index != index) {
        add("manifest.json", std::nullopt,
            "names serializer '" + have.serializer + "' and index '" + have.index +
                "', but the events are checked with '" + serializer + "' and '" + index + "'");
      }
    } catch (const Error& e) {
      add("manifest.json", std::nullopt, e.what());
    }
  }

  void checkMark() {
    const std::string file = "indices/" + tag_index::kMarkFile.string();
    auto content = readText(dir_ / file);
    if (!content) return;  // a missing mark is rebuilt by the next materialize
    auto read = tag_index::parseMark(*content);
    if (read.status == tag_index::MarkStatus::damaged) {
      add(file, std::nullopt, "damaged (its first line is not a mark with a valid checksum)");
    } else if (read.status == tag_index::MarkStatus::valid && read.mark.posted > head_) {
      add(file, read.mark.posted,
          "says the lists are written up to position " + std::to_string(read.mark.posted) +
              ", after the ledger's head " + std::to_string(head_));
    }
  }

  void checkEventFolder() {
    const std::string extension = serializer_->fileExtension();
    std::vector<std::pair<Position, std::string>> after;
    std::error_code ec;
    for (fs::directory_iterator it(dir_ / "events", ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      Position p = 0;
      bool canonical = false;
      if (name.size() > extension.size() &&
          name.compare(name.size() - extension.size(), extension.size(), extension) == 0) {
        std::string digits = name.substr(0, name.size() - extension.size());
        std::size_t nonZero = digits.find_first_not_of('0');
        auto parsed = nonZero == std::string::npos
                          ? std::nullopt
                          : tag_index::parsePosition(digits.substr(nonZero));
        if (parsed) {
          p = *parsed;
          canonical = eventFileName(p, extension) == name;
        }
      }
      if (!canonical) {
        add("events/" + name, std::nullopt, "unexpected file in the events folder");
      } else if (p > head_) {
        after.emplace_back(p, name);
      }
    }
    std::sort(after.begin(), after.end());
    for (const auto& [p, name] : after) {
      add("events/" + name, p,
          "event file after the ledger's head " + std::to_string(head_) +
              " (the ledger is behind, or an append never committed)");
    }
  }

  void checkEvents() {
    events_.assign(head_, std::nullopt);
    Progress progress("verify", head_);
    for (Position p = 1; p <= head_; ++p) {
      const std::string file = eventFile(p);
      auto bytes = readText(dir_ / file);
      if (!bytes) {
        add(file, p,
            "missing (the ledger's head is " + std::to_string(head_) + ", so it is committed)");
        continue;
      }
      try {
        SequencedEvent event = serializer_->deserialize(*bytes);
        if (event.position != p) {
          add(file, p, "holds position " + std::to_string(event.position));
          continue;
        }
        events_[p - 1] =
            sdk::IndexedEvent{p, std::move(event.event.eventType), std::move(event.event.tags)};
        ++readable_;
      } catch (const Error& e) {
        add(file, p, std::string("cannot be read: ") + e.what());
      }
      progress.update(p);
    }
  }

  bool unreadable(Position p) const { return p >= 1 && p <= head_ && !events_[p - 1]; }

  // The positions each type and tag must list, from the events.
  void expectedLists(std::map<std::string, std::vector<Position>>& types,
                     std::map<Tag, std::vector<Position>>& tags) const {
    for (const auto& event : events_) {
      if (!event) continue;
      types[event->eventType].push_back(event->position);
      std::set<Tag> seen;
      for (const auto& tag : event->tags) {
        if (seen.insert(tag).second) tags[tag].push_back(event->position);
      }
    }
  }

  // Any index plugin: its answers for every type and tag must be the events' positions.
  void checkIndexAnswers() {
    std::map<std::string, std::vector<Position>> types;
    std::map<Tag, std::vector<Position>> tags;
    expectedLists(types, tags);
    auto compare = [&](const std::string& what, const Query& query,
                       const std::vector<Position>& expected) {
      try {
        auto got = index_->positions(query, {}, head_);
        std::erase_if(got, [&](Position p) { return unreadable(p); });
        reportDifference("indices", what, expected, got);
      } catch (const Error& e) {
        add("indices", std::nullopt, what + ": " + e.what());
      }
    };
    for (const auto& [type, expected] : types) {
      compare("event type '" + type + "'", Query::fromEventTypes({type}), expected);
    }
    for (const auto& [tag, expected] : tags) {
      compare("tag '" + tag.key + "=" + tag.value + "'", Query::fromTags({tag}), expected);
    }
  }

  void reportDifference(const std::string& file, const std::string& what,
                        const std::vector<Position>& expected, const std::vector<Position>& got) {
    std::vector<Position> missing, extra, beyond;
    std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(),
                        std::back_inserter(missing));
    std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(),
                        std::back_inserter(extra));
    std::erase_if(extra, [&](Position p) {
      if (p <= head_) return false;
      beyond.push_back(p);
      return true;
    });
    std::string prefix = what.empty() ? "" : what + ": ";
    if (!missing.empty()) {
      add(file, missing.front(), prefix + "lacks positions " + listPositions(missing));
    }
    if (!extra.empty()) {
      add(file, extra.front(),
          prefix + "lists positions whose events do not match: " + listPositions(extra));
    }
    if (!beyond.empty()) {
      add(file, beyond.front(),
          prefix + "lists positions after the ledger's head " + std::to_string(head_) + ": " +
              listPositions(beyond));
    }
  }

  void checkPositionsFile() {
    const std::string file = "indices/" + tag_index::kPositionsFile.string();
    auto content = readText(dir_ / file);
    if (!content) {
      if (head_ > 0) add(file, std::nullopt, "missing");
      return;
    }
    const std::string header = tag_index::positionsHeader();
    if (content->compare(0, header.size(), header) != 0) {
      add(file, std::nullopt, "does not start with '" + header.substr(0, header.size() - 1) + "'");
      return;
    }
    std::size_t at = header.size();
    Position last = 0;
    while (at < content->size()) {
      std::size_t end = content->find('\n', at);
      if (end == std::string::npos) {
        add(file, last + 1, "ends with a torn line after position " + std::to_string(last));
        break;
      }
      auto line = tag_index::parsePositionLine(std::string_view(*content).substr(at, end - at));
      at = end + 1;
      if (!line) {
        add(file, last + 1, "damaged line after position " + std::to_string(last));
        return;
      }
      if (line->position != last + 1) {
        add(file, line->position,
            "line of position " + std::to_string(line->position) + " follows position " +
                std::to_string(last));
        return;
      }
      last = line->position;
      if (last > head_) {
        add(file, last,
            "lists positions after the ledger's head " + std::to_string(head_) + " (from " +
                std::to_string(last) + ")");
        return;
      }
      const auto& event = events_[last - 1];
      if (!event) continue;
      // A tag migration adds tags to the events and lists, not to this file: its tags are the
      // event's first ones.
      bool tagsAgree = line->tags.size() <= event->tags.size() &&
                       std::equal(line->tags.begin(), line->tags.end(), event->tags.begin());
      if (line->eventType != event->eventType || !tagsAgree) {
        add(file, last,
            "the line of position " + std::to_string(last) + " does not match the event (type '" +
                line->eventType + "')");
      }
    }
    if (last < head_) {
      add(file, last + 1,
          "ends at position " + std::to_string(last) + ", the ledger's head is " +
              std::to_string(head_));
    }
  }

  void checkListFile(const fs::path& relative, const std::string& header,
                     const std::vector<Position>& expected) {
    const std::string file = "indices/" + relative.string();
    auto content = readText(dir_ / "indices" / relative);
    if (!content) {
      add(file, expected.empty() ? std::nullopt : std::optional<Position>(expected.front()),
          "missing (should list " + listPositions(expected) + ")");
      return;
    }
    std::vector<Position> got;
    try {
      got = tag_index::parsePostingFile(*content, header, std::numeric_limits<Position>::max(),
                                        dir_ / "indices" / relative);
    } catch (const Error& e) {
      add(file, std::nullopt, e.what());
      return;
    }
    std::string canonical = header;
    for (Position p : got) canonical += std::to_string(p) + "\n";
    if (*content != canonical) {
      add(file, std::nullopt,
          content->size() > canonical.size() &&
                  content->compare(0, canonical.size(), canonical) == 0
              ? "has a torn line or garbage after its last entry"
              : "is damaged (its header or lines are not what the index writes)");
    }
    std::erase_if(got, [&](Position p) { return unreadable(p); });
    reportDifference(file, "", expected, got);
  }

  void checkTagIndexFiles() {
    checkMark();
    checkPositionsFile();
    std::map<std::string, std::vector<Position>> types;
    std::map<Tag, std::vector<Position>> tags;
    expectedLists(types, tags);
    std::set<fs::path> known;
    for (const auto& [type, expected] : types) {
      auto relative = tag_index::typeFilePath(type);
      known.insert(relative);
      checkListFile(relative, tag_index::typeHeader(type), expected);
    }
    for (const auto& [tag, expected] : tags) {
      auto relative = tag_index::tagFilePath(tag);
      known.insert(relative);
      checkListFile(relative, tag_index::tagHeader(tag), expected);
    }
    // Lists of no committed type or tag.
    for (const auto& folder : {tag_index::kTypesFolder, tag_index::kTagsFolder}) {
      std::vector<fs::path> strays;
      std::error_code ec;
      for (fs::directory_iterator it(dir_ / "indices" / folder, ec), end; !ec && it != end;
           it.increment(ec)) {
        fs::path relative = folder / it->path().filename();
        if (known.count(relative) == 0 && !onlyUnreadable(dir_ / "indices" / relative)) {
          strays.push_back(relative);
        }
      }
      std::sort(strays.begin(), strays.end());
      for (const auto& relative : strays) {
        add("indices/" + relative.string(), std::nullopt,
            "no committed event has the type or tag of this list");
      }
    }
  }

  // Whether every entry of a list file is the position of an event that could not be read (so
  // the list is explained by that event).
  bool onlyUnreadable(const fs::path& path) const {
    auto content = readText(path);
    if (!content) return false;
    std::istringstream lines(*content);
    std::string line;
    std::getline(lines, line);  // header
    bool any = false;
    while (std::getline(lines, line)) {
      auto p = tag_index::parsePosition(line);
      if (!p || !unreadable(*p)) return false;
      any = true;
    }
    return any;
  }

  detail::StoreConfig config_;
  fs::path dir_;
  std::shared_ptr<sdk::Serializer> serializer_;
  std::shared_ptr<sdk::Index> index_;
  Position head_ = 0;
  std::uint64_t readable_ = 0;
  std::vector<std::optional<sdk::IndexedEvent>> events_;  // [p - 1], nullopt when unreadable
  std::vector<Problem> problems_;
};

struct VerifyArgs {
  StoreArgs store;
};

// Opening and closing the store finishes what an interrupted append left and writes the event
// and posting files still only in the journal, so that the files can be checked. A store that
// cannot be opened or read is a problem in itself: the message, when it fails.
std::optional<std::string> settle(const detail::StoreConfig& config) {
  try {
    auto store = openEventStore(config);
    store->readLast(Query::all(), {});
  } catch (const Error& e) {
    return e.what();
  }
  return std::nullopt;
}

void runVerify(const VerifyArgs& args, int& status) {
  auto config = resolveConfig(args.store);
  try {
    requireExistingStore(config);
  } catch (const CorruptionError&) {
    // Events without a ledger: the checks below say what is wrong.
  }
  auto unusable = settle(config);
  Verifier verifier(config);
  if (unusable) verifier.noteUnusable(*unusable);
  verifier.run();
  const auto& problems = verifier.problems();
  status = problems.empty() ? kExitOk : kExitVerifyFailed;
  if (args.store.json) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    auto string = [&](const std::string& s) {
      w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    };
    w.StartObject();
    w.Key("store");
    string(fs::absolute(verifier.dir()).lexically_normal().string());
    w.Key("head");
    w.Uint64(verifier.head());
    w.Key("eventsRead");
    w.Uint64(verifier.readable());
    w.Key("ok");
    w.Bool(problems.empty());
    w.Key("problems");
    w.StartArray();
    for (const auto& problem : problems) {
      w.StartObject();
      w.Key("file");
      string(problem.file);
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
    std::cout << problem.file << ": "
              << (problem.position ? "position " + std::to_string(*problem.position) + ": " : "")
              << problem.message << '\n';
  }
  if (problems.empty()) {
    std::cout << "ok: " << plural(verifier.head(), "event")
              << ", the ledger and the index agree with the event files\n";
  } else {
    std::cout << plural(problems.size(), "problem") << " found in "
              << fs::absolute(verifier.dir()).lexically_normal().string() << '\n';
  }
}

// ---- reindex ----

struct ReindexArgs {
  StoreArgs store;
  std::size_t batch = 1000;
};

// Tells every process that has the store open to drop its in-memory index: the storage resets
// its index when the ledger's tagRevision changes (as after a tag migration).
void bumpTagRevision(sdk::FileSystem& files, const fs::path& path, bool sync) {
  auto ledger = plugins::file_storage::readLedger(files, path);
  if (!ledger) throw Error("ledger '" + path.string() + "' vanished during reindex");
  ++ledger->tagRevision;
  plugins::file_storage::writeLedger(files, path, *ledger, sync);
}

void runReindex(const ReindexArgs& args) {
  auto config = resolveConfig(args.store);
  requireExistingStore(config);
  const fs::path dir = storeDirectory(config);
  // A damaged index may be what stops recovery; the rebuild below replaces it.
  if (auto unusable = settle(config)) {
    std::cerr << "opossum: note: opening the store failed (" << *unusable << ")\n";
  }
  auto serializer = createSerializer(config, config.serializer);
  auto files = sdk::posixFileSystem();
  auto lock = plugins::file_storage::lockStoreFolder(*files, dir,
                                                     config.options.crossProcessLockTimeout, {});
  auto head = readLedgerHead(dir / "ledger.json");
  if (!head) throw Error("no store at '" + dir.string() + "' (no ledger.json)");

  // Built beside the live index and swapped in at the end: readers keep the old one meanwhile.
  const fs::path building = dir / "indices.reindex";
  const fs::path old = dir / "indices.old";
  files->removeAll(building);
  // An old index an interrupted reindex left aside goes back when there is no other.
  if (!fs::exists(dir / "indices") && fs::exists(old)) files->rename(old, dir / "indices");
  files->removeAll(old);
  std::set<std::string> types;
  std::set<Tag> tags;
  {
    auto index = createIndex(config, building);
    Progress progress("reindex", *head);
    std::vector<sdk::IndexedEvent> batch;
    for (Position p = 1; p <= *head; ++p) {
      const fs::path path = dir / "events" / eventFileName(p, serializer->fileExtension());
      auto bytes = readText(path);
      if (!bytes) {
        files->removeAll(building);
        throw CorruptionError("cannot reindex: event file '" + path.string() +
                              "' is missing (run 'opossum verify')");
      }
      SequencedEvent event;
      try {
        event = serializer->deserialize(*bytes);
      } catch (const Error& e) {
        files->removeAll(building);
        throw CorruptionError("cannot reindex: event file '" + path.string() + "': " + e.what());
      }
      if (event.position != p) {
        files->removeAll(building);
        throw CorruptionError("cannot reindex: event file '" + path.string() + "' holds position " +
                              std::to_string(event.position));
      }
      types.insert(event.event.eventType);
      tags.insert(event.event.tags.begin(), event.event.tags.end());
      batch.push_back({p, std::move(event.event.eventType), std::move(event.event.tags)});
      if (batch.size() >= args.batch || p == *head) {
        index->add(batch);
        batch.clear();
        progress.update(p);
      }
    }
    index->materialize(*head);
  }
  // An empty store's index writes nothing; the swap below still needs its folder.
  files->createDirectories(building);
  if (config.options.flushEventsImmediately) files->syncFileSystem(dir);
  if (fs::exists(dir / "indices")) files->rename(dir / "indices", old);
  files->rename(building, dir / "indices");
  files->removeAll(old);
  files->syncDirectory(dir);
  bumpTagRevision(*files, dir / "ledger.json", config.options.flushEventsImmediately);
  if (args.store.json) {
    std::cout << "{\"events\":" << *head << ",\"eventTypes\":" << types.size()
              << ",\"tags\":" << tags.size() << "}\n";
  } else {
    std::cout << "reindexed " << plural(*head, "event") << " ("
              << plural(types.size(), "event type") << ", " << plural(tags.size(), "tag") << ")\n";
  }
}

// ---- recover ----

struct RecoverArgs {
  StoreArgs store;
  bool truncate = false;
};

void runRecover(const RecoverArgs& args, int& status) {
  auto config = resolveConfig(args.store);
  const fs::path dir = storeDirectory(config);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error("no store folder at '" + dir.string() + "'");
  sdk::StorageContext context;
  context.storeDirectory = dir;
  context.flushEventsImmediately = config.options.flushEventsImmediately;
  context.writeProtectEventFiles = config.options.writeProtectEventFiles;
  context.crossProcessLockTimeout = config.options.crossProcessLockTimeout;
  context.serializer = createSerializer(config, config.serializer);
  context.index = createIndex(config, dir / "indices");
  context.fileSystem = sdk::posixFileSystem();
  auto report = plugins::file_storage::repairStore(
      context, [&](const fs::path& folder) { return createIndex(config, folder); },
      {args.truncate});
  // The repaired store must pass the whole check; what it reports is what is still wrong.
  Verifier verifier(config);
  verifier.run();
  const auto& problems = verifier.problems();
  status = report.lost.empty() && problems.empty() ? kExitOk : kExitVerifyFailed;
  if (args.store.json) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    auto strings = [&](const char* key, const std::vector<std::string>& values) {
      w.Key(key);
      w.StartArray();
      for (const auto& v : values) w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
      w.EndArray();
    };
    w.StartObject();
    w.Key("store");
    std::string store = fs::absolute(dir).lexically_normal().string();
    w.String(store.c_str(), static_cast<rapidjson::SizeType>(store.size()));
    w.Key("head");
    w.Uint64(report.head);
    strings("actions", report.actions);
    strings("lost", report.lost);
    w.Key("movedAsideTo");
    std::string aside = report.asideFolder.string();
    w.String(aside.c_str(), static_cast<rapidjson::SizeType>(aside.size()));
    std::vector<std::string> remaining;
    for (const auto& problem : problems) remaining.push_back(problem.file + ": " + problem.message);
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
    std::cout << "still wrong: " << problem.file << ": " << problem.message << '\n';
  }
  if (!report.changed) {
    std::cout << "nothing was changed in " << fs::absolute(dir).lexically_normal().string() << '\n';
    return;
  }
  std::cout << "recovered " << fs::absolute(dir).lexically_normal().string() << ": "
            << plural(report.head, "event")
            << (report.lost.empty() ? ", nothing lost" : ", some events lost (above)");
  if (!report.asideFolder.empty()) {
    std::cout << "; damaged files are in " << report.asideFolder.string();
  }
  std::cout << '\n';
}

}  // namespace

void registerVerifyCommands(CLI::App& app, int& status) {
  {
    auto args = std::make_shared<VerifyArgs>();
    auto* cmd = app.add_subcommand(
        "verify", "integrity check of the event files, ledger and index (exit 4: problems)");
    addStoreOptions(*cmd, args->store);
    cmd->footer(
        "Checks: every position 1..head present and readable and holding its own position, no\n"
        "stray event files after the head, the ledger, and every index list against the events.\n"
        "Example:\n  opossum verify --root ./data --store shop || opossum reindex --root ./data "
        "--store shop");
    cmd->callback([args, &status] { runVerify(*args, status); });
  }
  {
    auto args = std::make_shared<ReindexArgs>();
    auto* cmd = app.add_subcommand(
        "reindex", "rebuild the derived indexes from the event files (under the store lock)");
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
        "rebuild a damaged store from its journal and event files (ledger, manifest, index); "
        "exit 4: something was lost");
    addStoreOptions(*cmd, args->store);
    cmd->add_flag("--truncate", args->truncate,
                  "when no copy of some position is left, move the events after it aside "
                  "(positions have no gaps); without it such a store is left unchanged");
    cmd->footer(
        "Under the store lock: reads every event from the journal and the event files, writes\n"
        "the event files only the journal holds, rebuilds the index, the manifest and the ledger,\n"
        "and moves damaged files into damaged/<time>/ in the store folder (nothing is deleted).\n"
        "Then runs the checks of 'verify'.\n"
        "Example:\n  opossum verify --root ./data --store shop || opossum recover --root ./data "
        "--store shop");
    cmd->callback([args, &status] { runRecover(*args, status); });
  }
}

}  // namespace opossum::cli
