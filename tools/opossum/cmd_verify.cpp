// verify (integrity check) and reindex (rebuild the derived indexes from the events).
//
// Both read the file-per-event layout (plugins/storage_file/README.md): events/<%09d><ext>,
// ledger.json, indices/. Events are decoded by the store's serializer plugin and the index is
// rebuilt by the store's index plugin; only verify's file-level index check knows the tag-index
// format, through that plugin's own name and line helpers (plugins/index_tag/README.md).
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli_support.hpp"
#include "commands.hpp"
#include "index_file_names.hpp"
#include "ledger.hpp"
#include "line_format.hpp"
#include "opossum/errors.hpp"
#include "posting_list.hpp"
#include "store_access.hpp"

namespace opossum::cli {

namespace {

namespace tag_index = plugins::tag_index;

std::string eventFileName(Position position, const std::string& extension) {
  char name[32];
  std::snprintf(name, sizeof name, "%09" PRIu64, position);
  return name + extension;
}

std::optional<std::string> readText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "3 4 5", at most ten of them.
std::string listPositions(const std::vector<Position>& positions) {
  std::string out;
  for (std::size_t i = 0; i < positions.size() && i < 10; ++i) {
    out += (i ? " " : "") + std::to_string(positions[i]);
  }
  if (positions.size() > 10) out += " ... (" + std::to_string(positions.size()) + " in all)";
  return out;
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

  void run() {
    auto files = sdk::posixFileSystem();
    // No append runs meanwhile: files after the head are strays, not an append in flight.
    auto lock = files->lock(dir_ / ".store.lock", config_.options.crossProcessLockTimeout, {});
    checkLedger();
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
// and posting files still only in the journal, so that the files can be checked.
void settle(const detail::StoreConfig& config) {
  try {
    openEventStore(config);
  } catch (const Error& e) {
    // Damage that stops the store from opening is what the checks report.
    std::cerr << "opossum: note: opening the store failed (" << e.what() << ")\n";
  }
}

void runVerify(const VerifyArgs& args, int& status) {
  auto config = resolveConfig(args.store);
  requireExistingStore(config);
  settle(config);
  Verifier verifier(config);
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
  settle(config);
  auto serializer = createSerializer(config, config.serializer);
  auto files = sdk::posixFileSystem();
  auto lock = files->lock(dir / ".store.lock", config.options.crossProcessLockTimeout, {});
  auto head = readLedgerHead(dir / "ledger.json");
  if (!head) throw Error("no store at '" + dir.string() + "' (no ledger.json)");

  // Built beside the live index and swapped in at the end: readers keep the old one meanwhile.
  const fs::path building = dir / "indices.reindex";
  const fs::path old = dir / "indices.old";
  files->removeAll(building);
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
}

}  // namespace opossum::cli
