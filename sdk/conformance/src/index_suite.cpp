#include "opossum/sdk/conformance/index_suite.hpp"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "opossum/errors.hpp"
#include "scratch_dir.hpp"

namespace opossum::sdk::conformance {

namespace {

namespace fs = std::filesystem;
using detail::ScratchDir;

IndexedEvent event(Position position, std::string type, std::vector<Tag> tags = {}) {
  return IndexedEvent{position, std::move(type), std::move(tags)};
}

bool itemMatches(const QueryItem& item, const IndexedEvent& e) {
  if (!item.eventTypes.empty() && std::find(item.eventTypes.begin(), item.eventTypes.end(),
                                            e.eventType) == item.eventTypes.end()) {
    return false;
  }
  for (const auto& tag : item.tags) {
    if (std::find(e.tags.begin(), e.tags.end(), tag) == e.tags.end()) return false;
  }
  return true;
}

bool queryMatches(const Query& query, const IndexedEvent& e) {
  if (query.items().empty()) return true;
  return std::any_of(query.items().begin(), query.items().end(),
                     [&](const QueryItem& item) { return itemMatches(item, e); });
}

std::string describe(const Query& query) {
  std::string text = "query{";
  for (const auto& item : query.items()) {
    text += " item(types:";
    for (const auto& t : item.eventTypes) text += " '" + t.substr(0, 40) + "'";
    text += "; tags:";
    for (const auto& t : item.tags)
      text += " '" + t.key.substr(0, 40) + "'='" + t.value.substr(0, 40) + "'";
    text += ")";
  }
  return text + " }";
}

std::string describe(const ReadOptions& o, Position head) {
  return std::string("options{descending=") + (o.descending ? "true" : "false") +
         " from=" + (o.fromPosition ? std::to_string(*o.fromPosition) : "none") +
         " maxCount=" + (o.maxCount ? std::to_string(*o.maxCount) : "none") +
         "} head=" + std::to_string(head);
}

// What an index must answer: a brute-force scan of every event added.
class Model {
 public:
  void add(const std::vector<IndexedEvent>& events) {
    for (const auto& e : events) events_.push_back(e);
  }
  void truncateAfter(Position head) {
    events_.erase(std::remove_if(events_.begin(), events_.end(),
                                 [&](const IndexedEvent& e) { return e.position > head; }),
                  events_.end());
  }
  void clear() { events_.clear(); }
  void addTags(const std::vector<IndexedEvent>& additions) {
    for (const auto& addition : additions) {
      for (auto& e : events_) {
        if (e.position != addition.position) continue;
        for (const auto& tag : addition.tags) {
          if (std::find(e.tags.begin(), e.tags.end(), tag) == e.tags.end()) e.tags.push_back(tag);
        }
      }
    }
  }

  std::vector<Position> expected(const Query& query, const ReadOptions& options,
                                 Position head) const {
    std::vector<Position> out;
    for (const auto& e : events_) {
      if (e.position > head) continue;
      if (options.fromPosition && e.position <= *options.fromPosition) continue;
      if (queryMatches(query, e)) out.push_back(e.position);
    }
    if (options.descending) std::reverse(out.begin(), out.end());
    if (options.maxCount && out.size() > *options.maxCount) out.resize(*options.maxCount);
    return out;
  }

 private:
  std::vector<IndexedEvent> events_;
};

void requireSame(Index& index, const Model& model, const Query& query, const ReadOptions& options,
                 Position head) {
  INFO(describe(query) << " " << describe(options, head));
  REQUIRE(index.positions(query, options, head) == model.expected(query, options, head));
}

void requireSameForAllOptions(Index& index, const Model& model, const std::vector<Query>& queries,
                              const std::vector<Position>& heads,
                              const std::vector<Position>& froms) {
  const std::vector<std::optional<std::size_t>> counts = {std::nullopt, 0, 1, 2, 5, 1000};
  for (const auto& query : queries) {
    for (Position head : heads) {
      for (bool descending : {false, true}) {
        for (const auto& count : counts) {
          requireSame(index, model, query, ReadOptions{descending, std::nullopt, count}, head);
          for (Position from : froms) {
            requireSame(index, model, query, ReadOptions{descending, from, count}, head);
          }
        }
      }
    }
  }
}

// A mixed set of events: positions first..last with types and tags that repeat with different
// periods, so ANDs and ORs have non-trivial answers.
std::vector<IndexedEvent> sampleEvents(Position first, Position last, const std::string& flavour) {
  static const std::vector<std::string> types = {"CartOpened", "ItemAdded", "ItemRemoved",
                                                 "CartClosed"};
  std::vector<IndexedEvent> out;
  for (Position p = first; p <= last; ++p) {
    IndexedEvent e;
    e.position = p;
    e.eventType = types[(p * 7 + flavour.size()) % types.size()];
    e.tags.push_back({"cart", "c" + std::to_string(p % 5)});
    if (p % 3 == 0) e.tags.push_back({"sku", "s" + std::to_string(p % 4)});
    if (p % 4 == 1) e.tags.push_back({"flag", ""});
    if (!flavour.empty() && p % 2 == 0) e.tags.push_back({"flavour", flavour});
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Query> sampleQueries() {
  return {
      Query::all(),
      Query(),
      Query::fromEventTypes({"ItemAdded"}),
      Query::fromEventTypes({"ItemAdded", "CartClosed"}),
      Query::fromEventTypes({"NoSuchType"}),
      Query::fromTags({{"cart", "c1"}}),
      Query::fromTags({{"cart", "c1"}, {"sku", "s2"}}),
      Query::fromTags({{"cart", "c2"}, {"flag", ""}}),
      Query::fromTags({{"cart", "c1"}, {"cart", "c2"}}),
      Query::fromTags({{"cart", "nope"}}),
      Query::fromTags({{"flavour", "x"}}),
      Query::fromTags({{"flavour", "y"}}),
      Query::fromItems({QueryItem{{"ItemAdded", "ItemRemoved"}, {{"cart", "c3"}}}}),
      Query::fromItems({QueryItem{{"ItemAdded"}, {{"cart", "c1"}}}, QueryItem{{"CartClosed"}, {}},
                        QueryItem{{}, {{"sku", "s0"}, {"cart", "c0"}}}}),
      Query::fromItems({QueryItem{{"ItemAdded"}, {}}, QueryItem{{"ItemAdded"}, {}}}),
      Query::fromItems({QueryItem{{"NoSuchType"}, {{"cart", "c1"}}}}),
      Query::fromItems({QueryItem{{"ItemAdded"}, {{"cart", "c1"}}}, QueryItem{}}),
  };
}

void addBoth(Index& index, Model& model, const std::vector<IndexedEvent>& events) {
  index.add(events);
  model.add(events);
}

// Appends `tail` to every file under `dir`, as a write torn by a crash would leave it.
void tearEveryFile(const fs::path& dir, const std::string& tail) {
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ofstream out(entry.path(), std::ios::binary | std::ios::app);
    out << tail;
    REQUIRE(out.good());
    ++files;
  }
  REQUIRE(files > 0);
}

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

// Fails one write, the n-th after arm(n) among the calls that change files. An append writes half
// of its bytes first (a write torn by a crash); the others change nothing (an in-place write of a
// small record lies in one sector, which a crash does not tear).
class FailingFileSystem : public FileSystemWrapper {
 public:
  explicit FailingFileSystem(std::shared_ptr<FileSystem> target)
      : FileSystemWrapper(std::move(target)) {}

  void arm(std::size_t n) {
    std::lock_guard lock(mutex_);
    countdown_ = n;
    armed_ = true;
    fired_ = false;
  }
  bool fired() const {
    std::lock_guard lock(mutex_);
    return fired_;
  }
  // Whether the current call is the one to fail.
  bool hit() {
    std::lock_guard lock(mutex_);
    if (!armed_) return false;
    if (countdown_ > 0) {
      --countdown_;
      return false;
    }
    armed_ = false;
    fired_ = true;
    return true;
  }

  class File : public WritableFile {
   public:
    File(std::unique_ptr<WritableFile> file, FailingFileSystem& owner)
        : file_(std::move(file)), owner_(owner) {}
    void append(std::string_view data) override {
      if (owner_.hit()) {
        file_->append(data.substr(0, data.size() / 2));
        throw IoError("injected failure appending to '" + path().string() + "'");
      }
      file_->append(data);
    }
    void writeAt(std::uint64_t offset, std::string_view data) override {
      if (owner_.hit()) throw IoError("injected failure writing '" + path().string() + "'");
      file_->writeAt(offset, data);
    }
    void sync() override { file_->sync(); }
    void truncate(std::uint64_t size) override {
      if (owner_.hit()) throw IoError("injected failure truncating '" + path().string() + "'");
      file_->truncate(size);
    }
    std::uint64_t size() override { return file_->size(); }
    const fs::path& path() const override { return file_->path(); }

   private:
    std::unique_ptr<WritableFile> file_;
    FailingFileSystem& owner_;
  };

  std::unique_ptr<WritableFile> openWritable(const fs::path& p, OpenMode m) override {
    if (hit()) throw IoError("injected failure opening '" + p.string() + "'");
    return std::make_unique<File>(FileSystemWrapper::openWritable(p, m), *this);
  }
  void replaceFile(const fs::path& p, std::string_view d, bool s) override {
    if (hit()) throw IoError("injected failure replacing '" + p.string() + "'");
    FileSystemWrapper::replaceFile(p, d, s);
  }
  void rename(const fs::path& f, const fs::path& t) override {
    if (hit()) throw IoError("injected failure renaming '" + f.string() + "'");
    FileSystemWrapper::rename(f, t);
  }
  bool remove(const fs::path& p) override {
    if (hit()) throw IoError("injected failure removing '" + p.string() + "'");
    return FileSystemWrapper::remove(p);
  }

 private:
  mutable std::mutex mutex_;
  std::size_t countdown_ = 0;
  bool armed_ = false;
  bool fired_ = false;
};

// Readers in threads check every answer against the events committed so far.
class Race {
 public:
  Race(std::vector<IndexedEvent> all, std::vector<Query> queries)
      : all_(std::move(all)), queries_(std::move(queries)) {}

  std::atomic<Position> committed{0};
  std::atomic<bool> done{false};

  void fail(const std::string& what) {
    std::lock_guard lock(mutex_);
    if (failure_.empty()) failure_ = what;
  }
  std::string failure() {
    std::lock_guard lock(mutex_);
    return failure_;
  }

  void read(const std::shared_ptr<Index>& target, int seed) {
    std::size_t round = 0;
    while (!done.load()) {
      Position head = committed.load();
      const Query& q = queries_[(round++ * 7 + seed) % queries_.size()];
      ReadOptions o{round % 2 == 0,
                    round % 3 == 0 ? std::optional<Position>(head / 2) : std::nullopt,
                    round % 5 == 0 ? std::optional<std::size_t>(1) : std::nullopt};
      std::vector<Position> expected;
      for (const auto& e : all_) {
        if (e.position <= head && (!o.fromPosition || e.position > *o.fromPosition) &&
            queryMatches(q, e)) {
          expected.push_back(e.position);
        }
      }
      if (o.descending) std::reverse(expected.begin(), expected.end());
      if (o.maxCount && expected.size() > *o.maxCount) expected.resize(*o.maxCount);
      std::vector<Position> got;
      try {
        got = target->positions(q, o, head);
      } catch (const std::exception& e) {
        fail(std::string("positions threw: ") + e.what());
        return;
      }
      if (got != expected) {
        fail("wrong answer for " + describe(q) + " " + describe(o, head));
        return;
      }
    }
  }

 private:
  std::vector<IndexedEvent> all_;
  std::vector<Query> queries_;
  std::mutex mutex_;
  std::string failure_;
};

void runSuite(const IndexFactoryWithFiles& makeWithFiles, bool injectsFaults);

}  // namespace

void checkIndexConformance(const IndexFactoryWithFiles& make) { runSuite(make, true); }

void checkIndexConformance(const IndexFactory& make) {
  runSuite([&](const fs::path& dir, const std::shared_ptr<FileSystem>&) { return make(dir); },
           false);
}

namespace {

void runSuite(const IndexFactoryWithFiles& makeWithFiles, bool injectsFaults) {
  ScratchDir scratch("index");
  // Like {store}/indices, not created: the index creates it when it writes.
  const fs::path dir = scratch.path() / "indices";
  const auto posix = posixFileSystem();
  auto make = [&](const fs::path& folder) { return makeWithFiles(folder, posix); };
  std::shared_ptr<Index> index = make(dir);
  REQUIRE(index != nullptr);
  Model model;
  const auto queries = sampleQueries();

  SECTION("names its format and version") {
    REQUIRE_FALSE(index->formatName().empty());
    REQUIRE(index->formatVersion() > 0);
  }

  SECTION("an empty index matches nothing") {
    for (const auto& query : queries) {
      REQUIRE(index->positions(query, {}, 0).empty());
      REQUIRE(index->positions(query, ReadOptions{true, std::nullopt, 1}, 0).empty());
    }
  }

  SECTION("answers types, tags, AND, OR, fromPosition, order and maxCount like a full scan") {
    addBoth(*index, model, sampleEvents(1, 40, ""));
    addBoth(*index, model, sampleEvents(41, 41, "x"));
    addBoth(*index, model, sampleEvents(42, 60, "x"));
    requireSameForAllOptions(*index, model, queries, {0, 1, 2, 30, 59, 60},
                             {0, 1, 2, 17, 59, 60, 61, 1000});
    // Spot checks that do not rely on the model.
    REQUIRE(index->positions(Query::all(), {}, 60).size() == 60);
    REQUIRE(index->positions(Query::all(), ReadOptions{true, 57, std::nullopt}, 60) ==
            std::vector<Position>{60, 59, 58});
    REQUIRE(index->positions(Query::fromTags({{"cart", "c1"}}), ReadOptions{false, 1, 2}, 60) ==
            std::vector<Position>{6, 11});
    REQUIRE(index->positions(Query::fromTags({{"cart", "c1"}}), ReadOptions{true, 6, 1}, 60) ==
            std::vector<Position>{56});
    REQUIRE(index->positions(Query::all(), ReadOptions{false, std::nullopt, 0}, 60).empty());
  }

  SECTION("entries beyond head are invisible (an append in flight)") {
    addBoth(*index, model, sampleEvents(1, 10, ""));
    addBoth(*index, model, sampleEvents(11, 20, "x"));
    // The same instance, then another one that loads its lists while the append is in flight.
    requireSameForAllOptions(*index, model, queries, {10}, {0, 5});
    auto other = make(dir);
    requireSameForAllOptions(*other, model, queries, {7, 10}, {0, 5});
    // Once committed, the other instance sees the rest.
    requireSameForAllOptions(*other, model, queries, {15, 20}, {0, 10});
  }

  SECTION("another instance on the same folder sees what this one adds, and the reverse") {
    auto other = make(dir);
    addBoth(*index, model, sampleEvents(1, 20, ""));
    requireSameForAllOptions(*other, model, queries, {20}, {0, 10});
    addBoth(*index, model, sampleEvents(21, 35, "x"));
    // The other one writes next (as another process would, under the store lock), without
    // having read what this one added since.
    addBoth(*other, model, sampleEvents(36, 50, "y"));
    requireSameForAllOptions(*other, model, queries, {27, 35, 50}, {0, 25});
    requireSameForAllOptions(*index, model, queries, {50}, {0, 30});
    addBoth(*index, model, sampleEvents(51, 51, ""));
    requireSameForAllOptions(*other, model, queries, {51}, {0, 50});
  }

  SECTION("a new instance after a restart reloads everything from the files") {
    addBoth(*index, model, sampleEvents(1, 30, "x"));
    index = nullptr;  // this instance is gone (a restart or a crash)
    auto restarted = make(dir);
    requireSameForAllOptions(*restarted, model, queries, {30}, {0, 10, 29});
    addBoth(*restarted, model, sampleEvents(31, 40, "y"));
    auto again = make(dir);
    requireSameForAllOptions(*again, model, queries, {40}, {0, 35});
  }

  SECTION("tags and types are case-sensitive, also in the files") {
    std::vector<IndexedEvent> events = {
        event(1, "Order", {{"k", "A"}}),  event(2, "order", {{"k", "a"}}),
        event(3, "ORDER", {{"K", "a"}}),  event(4, "Order", {{"K", "A"}}),
        event(5, "order", {{"k", "Ab"}}), event(6, "Order", {{"k", "aB"}}),
    };
    addBoth(*index, model, events);
    std::vector<Query> caseQueries;
    for (const auto& e : events) {
      caseQueries.push_back(Query::fromTags(e.tags));
      caseQueries.push_back(Query::fromEventTypes({e.eventType}));
    }
    for (const auto& q : caseQueries) REQUIRE(index->positions(q, {}, 6).size() >= 1);
    REQUIRE(index->positions(Query::fromTags({{"k", "A"}}), {}, 6) == std::vector<Position>{1});
    REQUIRE(index->positions(Query::fromEventTypes({"order"}), {}, 6) ==
            std::vector<Position>{2, 5});
    requireSameForAllOptions(*index, model, caseQueries, {6}, {0, 3});
    auto restarted = make(dir);
    requireSameForAllOptions(*restarted, model, caseQueries, {6}, {0, 3});
    index->materialize(6);  // what add() deferred is written now
    requireSameForAllOptions(*index, model, caseQueries, {6}, {0, 3});
    requireSameForAllOptions(*make(dir), model, caseQueries, {6}, {0, 3});
  }

  SECTION("tags with separators, escapes, unicode and 1,024-byte keys and values stay apart") {
    const std::string longKey = repeat('K', 1023);
    const std::vector<Tag> tags = {
        {"a=b", "c"},
        {"a", "b=c"},
        {"a", "b"},
        {"path", "x/y"},
        {"path", "x%2Fy"},
        {"dots", ".."},
        {"dots", "."},
        {"..", "dots"},
        {"pct", "%41"},
        {"pct", "A"},
        {"pct", "%"},
        {"empty", ""},
        {"quote", "\"\\\n\t"},
        {"unicode", "Grüße 日本 \xF0\x9F\x90\x80"},
        {"unicode",
         "Gr\xC3\x9C\xC3\x9F"
         "e"},
        {longKey + "a", repeat('v', 1024)},
        {longKey + "b", repeat('v', 1024)},
        {"long", repeat('V', 1023) + "a"},
        {"long", repeat('V', 1023) + "b"},
        {"long", "a" + repeat('V', 1023)},
        {"long", repeat('%', 1024)},
        {repeat('x', 1024), repeat('=', 1024)},
    };
    std::vector<IndexedEvent> events;
    Position p = 0;
    for (const auto& tag : tags) events.push_back(event(++p, "T", {tag}));
    // Event types with the same troubles.
    events.push_back(event(++p, "a/b", {}));
    events.push_back(event(++p, "a%2Fb", {}));
    events.push_back(event(++p, "..", {}));
    events.push_back(event(++p, repeat('E', 255) + "1", {}));
    events.push_back(event(++p, repeat('E', 255) + "2", {}));
    events.push_back(event(++p, "Typ\xC3\xA9", {tags[0], tags[1], tags[15]}));
    addBoth(*index, model, events);

    std::vector<Query> special;
    for (const auto& e : events) {
      special.push_back(Query::fromEventTypes({e.eventType}));
      for (const auto& tag : e.tags) special.push_back(Query::fromTags({tag}));
    }
    special.push_back(Query::fromTags({tags[0], tags[1]}));
    const Position head = p;
    for (const auto& q : special) {
      INFO(describe(q));
      REQUIRE(index->positions(q, {}, head) == model.expected(q, {}, head));
    }
    SECTION("as added") {}
    SECTION("once materialized") { index->materialize(head); }
    auto restarted = make(dir);
    for (const auto& q : special) {
      INFO(describe(q));
      REQUIRE(index->positions(q, {}, head) == model.expected(q, {}, head));
      REQUIRE(restarted->positions(q, {}, head) == model.expected(q, {}, head));
      REQUIRE(restarted->positions(q, ReadOptions{true, std::nullopt, 1}, head) ==
              model.expected(q, ReadOptions{true, std::nullopt, 1}, head));
    }
    // The folder holds no file outside it.
    REQUIRE(fs::exists(dir));
    for (const auto& entry : fs::recursive_directory_iterator(dir.parent_path())) {
      auto relative = entry.path().lexically_relative(dir);
      REQUIRE_FALSE(relative.empty());
      REQUIRE(*relative.begin() != "..");
    }
  }

  SECTION("truncateAfter drops the entries of an interrupted append") {
    addBoth(*index, model, sampleEvents(1, 20, ""));
    SECTION("nothing materialized") {}
    SECTION("materialized up to 12") { index->materialize(12); }
    SECTION("materialized up to the head") { index->materialize(20); }
    auto other = make(dir);
    requireSameForAllOptions(*other, model, queries, {20}, {0});
    index->add(sampleEvents(21, 30, "x"));  // never committed
    index->truncateAfter(20);
    requireSameForAllOptions(*index, model, queries, {20}, {0, 19});
    auto fresh = make(dir);
    requireSameForAllOptions(*fresh, model, queries, {20}, {0, 19});
    // The same positions again, with other types and tags.
    addBoth(*index, model, sampleEvents(21, 30, "y"));
    requireSameForAllOptions(*index, model, queries, {30}, {0, 20, 25});
    requireSameForAllOptions(*other, model, queries, {25, 30}, {0, 20});
    requireSameForAllOptions(*fresh, model, queries, {30}, {0, 20});
    auto restarted = make(dir);
    requireSameForAllOptions(*restarted, model, queries, {30}, {0, 20});
    fresh->materialize(30);
    requireSameForAllOptions(*index, model, queries, {30}, {0, 20, 25});
    requireSameForAllOptions(*other, model, queries, {30}, {0, 20});
    requireSameForAllOptions(*make(dir), model, queries, {30}, {0, 20});
  }

  SECTION("truncateAfter by a new instance (recovery after a crash), also of torn files") {
    addBoth(*index, model, sampleEvents(1, 20, ""));
    Position materialized = 0;
    SECTION("nothing materialized") {}
    SECTION("materialized up to 9") { materialized = 9; }
    SECTION("materialized up to the head") { materialized = 20; }
    if (materialized > 0) index->materialize(materialized);
    index->add(sampleEvents(21, 24, "x"));  // the crashed append
    std::string tail;
    SECTION("clean tail") {}
    SECTION("torn line") { tail = "2"; }
    SECTION("torn line of zeros") { tail = std::string(7, '\0'); }
    SECTION("garbage lines") { tail = "#~garbage\n]\n\x01\xff\n2"; }
    if (!tail.empty()) tearEveryFile(dir, tail);
    index = nullptr;  // this instance is gone (a restart or a crash)
    auto recovering = make(dir);
    recovering->truncateAfter(20);
    requireSameForAllOptions(*recovering, model, queries, {20}, {0, 10});
    addBoth(*recovering, model, sampleEvents(21, 30, "y"));
    requireSameForAllOptions(*recovering, model, queries, {30}, {0, 20});
    auto restarted = make(dir);
    requireSameForAllOptions(*restarted, model, queries, {30}, {0, 20});
    recovering->materialize(30);
    requireSameForAllOptions(*recovering, model, queries, {30}, {0, 20});
    requireSameForAllOptions(*restarted, model, queries, {30}, {0, 20});
    requireSameForAllOptions(*make(dir), model, queries, {30}, {0, 20});
  }

  SECTION("truncateAfter below materialized positions (events lost in a power loss)") {
    addBoth(*index, model, sampleEvents(1, 30, ""));
    SECTION("materialized up to the head") { index->materialize(30); }
    SECTION("materialized up to 25") { index->materialize(25); }
    SECTION("materialized up to 15, then up to the head") {
      index->materialize(15);
      index->materialize(30);
    }
    index = nullptr;  // the power loss
    auto recovering = make(dir);
    recovering->truncateAfter(18);
    model.truncateAfter(18);
    requireSameForAllOptions(*recovering, model, queries, {18}, {0, 10});
    requireSameForAllOptions(*make(dir), model, queries, {18}, {0, 10});
    // The lost positions again, with other types and tags.
    addBoth(*recovering, model, sampleEvents(19, 36, "y"));
    requireSameForAllOptions(*recovering, model, queries, {36}, {0, 18});
    requireSameForAllOptions(*make(dir), model, queries, {36}, {0, 18});
    recovering->materialize(36);
    requireSameForAllOptions(*recovering, model, queries, {36}, {0, 18});
    requireSameForAllOptions(*make(dir), model, queries, {36}, {0, 18});
  }

  SECTION("a committed head the index lacks is a CorruptionError, never a shorter answer") {
    addBoth(*index, model, sampleEvents(1, 10, ""));
    index->materialize(6);
    // A committed position always reached the index first (add() runs before the commit), so
    // positions missing below the head mean damaged files: an answer without them would let an
    // append condition pass.
    for (const auto& q : queries) {
      REQUIRE_THROWS_AS(index->positions(q, {}, 12), CorruptionError);
      REQUIRE_THROWS_AS(make(dir)->positions(q, {}, 12), CorruptionError);
    }
    requireSameForAllOptions(*index, model, queries, {10}, {0, 5});
  }

  SECTION("truncateAfter(0) empties the index") {
    index->add(sampleEvents(1, 5, "x"));
    tearEveryFile(dir, "1");
    index->truncateAfter(0);
    for (const auto& q : queries) REQUIRE(index->positions(q, {}, 0).empty());
    addBoth(*index, model, sampleEvents(1, 8, "y"));
    requireSameForAllOptions(*index, model, queries, {8}, {0});
    requireSameForAllOptions(*make(dir), model, queries, {8}, {0});
  }

  SECTION("addTags adds tags to committed positions, idempotently") {
    addBoth(*index, model, sampleEvents(1, 30, ""));
    auto other = make(dir);
    auto tagQueries = queries;
    tagQueries.push_back(Query::fromTags({{"added", "yes"}}));
    tagQueries.push_back(Query::fromTags({{"added", "yes"}, {"cart", "c0"}}));
    tagQueries.push_back(Query::fromItems({QueryItem{{"ItemAdded"}, {{"added", "yes"}}},
                                           QueryItem{{}, {{"flag", ""}, {"cart", "c1"}}}}));
    requireSameForAllOptions(*other, model, tagQueries, {30}, {0});
    requireSameForAllOptions(*index, model, tagQueries, {30}, {0});
    // The storage writes what add() deferred before it migrates tags.
    SECTION("materialized by the migrating instance") { index->materialize(30); }
    SECTION("materialized by another instance") { other->materialize(30); }
    // A new tag; an existing tag on positions before and after its entries; the same tag twice.
    const std::vector<IndexedEvent> additions = {
        event(3, "", {{"added", "yes"}, {"cart", "c1"}}),
        event(10, "", {{"added", "yes"}}),
        event(2, "", {{"cart", "c1"}, {"flag", ""}}),
        event(30, "", {{"added", "yes"}, {"flag", ""}, {"added", "yes"}}),
        event(29, "", {{"cart", "c1"}}),
    };
    index->addTags(additions);
    model.addTags(additions);
    requireSameForAllOptions(*index, model, tagQueries, {30}, {0, 5});
    // Recovery may apply the same migration again.
    index->addTags(additions);
    requireSameForAllOptions(*index, model, tagQueries, {30}, {0, 5});
    other->reset();  // the storage tells other users to reload
    requireSameForAllOptions(*other, model, tagQueries, {30}, {0, 5});
    addBoth(*other, model, sampleEvents(31, 40, "x"));
    requireSameForAllOptions(*index, model, tagQueries, {40}, {0, 29});
    requireSameForAllOptions(*make(dir), model, tagQueries, {40}, {0, 29});
  }

  SECTION("reset forgets a deleted store") {
    addBoth(*index, model, sampleEvents(1, 20, "x"));
    auto other = make(dir);
    requireSameForAllOptions(*other, model, queries, {20}, {0});
    fs::remove_all(dir);
    model.clear();
    index->reset();
    other->reset();
    for (const auto& q : queries) REQUIRE(index->positions(q, {}, 0).empty());
    addBoth(*index, model, sampleEvents(1, 6, "y"));
    requireSameForAllOptions(*index, model, queries, {6}, {0, 3});
    requireSameForAllOptions(*other, model, queries, {6}, {0, 3});
  }

  SECTION("readers run while one writer adds") {
    constexpr Position kLast = 1200;
    const auto all = sampleEvents(1, kLast, "x");
    Race race(all, queries);
    auto other = make(dir);
    std::vector<std::thread> readers;
    for (int i = 0; i < 3; ++i) readers.emplace_back([&, i] { race.read(index, i); });
    readers.emplace_back([&] { race.read(other, 3); });
    for (Position p = 1; p <= kLast; p += 12) {
      Position end = std::min(kLast, p + 11);
      index->add(std::vector<IndexedEvent>(all.begin() + (p - 1), all.begin() + end));
      race.committed.store(end);
    }
    race.done.store(true);
    for (auto& t : readers) t.join();
    REQUIRE(race.failure().empty());
    model.add(all);
    requireSameForAllOptions(*other, model, queries, {kLast}, {kLast / 2});
  }

  SECTION("answers are the same before and after materialize(), and from fresh instances") {
    addBoth(*index, model, sampleEvents(1, 40, ""));
    auto early = make(dir);  // loads its lists before anything is materialized
    requireSameForAllOptions(*early, model, queries, {40}, {0, 20});
    std::shared_ptr<Index> materializer = index;
    SECTION("materialized by the instance that adds") {}
    SECTION("materialized by an instance that has read nothing yet") { materializer = make(dir); }
    auto check = [&](Position head, const std::vector<Position>& froms) {
      requireSameForAllOptions(*index, model, queries, {head}, froms);
      requireSameForAllOptions(*early, model, queries, {head}, froms);
      requireSameForAllOptions(*make(dir), model, queries, {head}, froms);
    };
    check(40, {0, 20});
    materializer->materialize(17);  // a part of what is committed
    check(40, {0, 17, 30});
    materializer->materialize(10);  // below what is written: nothing to do
    materializer->materialize(17);  // again: nothing to do
    check(40, {0, 17});
    materializer->materialize(40);
    check(40, {0, 17, 39});
    addBoth(*index, model, sampleEvents(41, 60, "x"));
    check(60, {0, 40});
    materializer->materialize(60);
    check(60, {0, 40, 59});
    // A fresh instance asked for heads below what is written still hides the later positions.
    auto behind = make(dir);
    requireSameForAllOptions(*behind, model, queries, {1, 35, 45, 60}, {0, 20});
  }

  SECTION("readers and add() run while materialize() runs") {
    constexpr Position kLast = 900;
    const auto all = sampleEvents(1, kLast, "y");
    Race race(all, queries);
    auto other = make(dir);
    std::shared_ptr<Index> materializer = index;
    SECTION("materialized by the instance that adds") {}
    SECTION("materialized by another instance") { materializer = make(dir); }
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) threads.emplace_back([&, i] { race.read(index, i); });
    threads.emplace_back([&] { race.read(other, 2); });
    threads.emplace_back([&] {
      while (!race.done.load()) {
        try {
          materializer->materialize(race.committed.load());
        } catch (const std::exception& e) {
          race.fail(std::string("materialize threw: ") + e.what());
          return;
        }
        std::this_thread::yield();
      }
    });
    for (Position p = 1; p <= kLast; p += 9) {
      Position end = std::min(kLast, p + 8);
      index->add(std::vector<IndexedEvent>(all.begin() + (p - 1), all.begin() + end));
      race.committed.store(end);
    }
    race.done.store(true);
    for (auto& t : threads) t.join();
    REQUIRE(race.failure().empty());
    model.add(all);
    materializer->materialize(kLast);
    requireSameForAllOptions(*index, model, queries, {kLast}, {kLast / 2});
    requireSameForAllOptions(*other, model, queries, {kLast}, {kLast / 2});
    requireSameForAllOptions(*make(dir), model, queries, {kLast}, {0, kLast / 2});
  }

  if (injectsFaults) {
    SECTION("an interrupted materialize() is repaired by the next one and by another instance") {
      // Each round interrupts a later write of materialize(): it fails, and an append is torn.
      const auto first = sampleEvents(1, 30, "");
      const auto second = sampleEvents(31, 45, "x");
      bool finished = false;
      for (std::size_t n = 0; n < 1000 && !finished; ++n) {
        for (bool powerLoss : {false, true}) {
          INFO("materialize() interrupted at its write number "
               << n << (powerLoss ? ", then positions after 20 lost" : ""));
          const fs::path folder = dir.parent_path() / ("interrupted-" + std::to_string(n)) /
                                  (powerLoss ? "lost" : "kept") / "indices";
          Model expected;
          expected.add(first);
          expected.add(second);
          auto failing = std::make_shared<FailingFileSystem>(posix);
          auto writer = makeWithFiles(folder, failing);
          writer->add(first);
          writer->materialize(12);  // an earlier run that completed
          writer->add(second);
          failing->arm(n);
          try {
            writer->materialize(40);
          } catch (const Error&) {
            // The failure injected (IoError), or what the index made of it.
          }
          finished = !failing->fired();  // it completed before reaching write number n
          requireSameForAllOptions(*writer, expected, queries, {45}, {0, 12, 40});
          auto restarted = make(folder);
          requireSameForAllOptions(*restarted, expected, queries, {45}, {0, 12, 40});
          if (powerLoss) {
            // Committed positions after 20 are lost (the non-durable mode); recovery cuts the
            // index back to them (no materialize() runs meanwhile) and they come again.
            writer = nullptr;
            restarted = make(folder);
            restarted->truncateAfter(20);
            expected.truncateAfter(20);
            const auto again = sampleEvents(21, 45, "w");
            restarted->add(again);
            expected.add(again);
            requireSameForAllOptions(*restarted, expected, queries, {45}, {0, 12, 20});
            requireSameForAllOptions(*make(folder), expected, queries, {45}, {0, 12, 20});
            restarted->materialize(45);
            requireSameForAllOptions(*restarted, expected, queries, {45}, {0, 12, 20});
            requireSameForAllOptions(*make(folder), expected, queries, {45}, {0, 12, 20, 40});
            continue;
          }
          // The next materialize(): by the same instance (the storage tries again), or by
          // another one (the process died).
          (n % 2 == 0 ? writer : restarted)->materialize(40);
          requireSameForAllOptions(*writer, expected, queries, {45}, {0, 12, 40});
          requireSameForAllOptions(*restarted, expected, queries, {45}, {0, 12, 40});
          requireSameForAllOptions(*make(folder), expected, queries, {45}, {0, 40});
          // A crashed append after it, its recovery, and more.
          restarted->add(sampleEvents(46, 48, "z"));
          auto recovering = make(folder);
          recovering->truncateAfter(45);
          const auto third = sampleEvents(46, 52, "y");
          recovering->add(third);
          expected.add(third);
          requireSameForAllOptions(*make(folder), expected, queries, {52}, {0, 40});
          recovering->materialize(52);
          requireSameForAllOptions(*recovering, expected, queries, {52}, {0, 40});
          requireSameForAllOptions(*make(folder), expected, queries, {52}, {0, 12, 40});
        }
        std::error_code ec;
        fs::remove_all(dir.parent_path() / ("interrupted-" + std::to_string(n)), ec);
      }
      REQUIRE(finished);
    }
  }
}

}  // namespace

}  // namespace opossum::sdk::conformance
