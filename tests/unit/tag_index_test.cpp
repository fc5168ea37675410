// White-box tests of the tag-index: file names, file formats, the mark and the tail, lazy loading,
// cost of catching up, and recovery; plus the SDK index conformance suite on the implementation
// linked directly.
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "index_file_names.hpp"
#include "line_format.hpp"
#include "mark_file.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/conformance/index_suite.hpp"
#include "opossum/sdk/file_names.hpp"
#include "opossum/sdk/file_system.hpp"
#include "posting_list.hpp"
#include "tag_index.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using opossum::CorruptionError;
using opossum::Position;
using opossum::Query;
using opossum::QueryItem;
using opossum::ReadOptions;
using opossum::Tag;
using opossum::sdk::IndexContext;
using opossum::sdk::IndexedEvent;
namespace ti = opossum::plugins::tag_index;

std::shared_ptr<ti::TagIndex> makeIndex(
    const fs::path& dir,
    std::shared_ptr<opossum::sdk::FileSystem> fileSystem = opossum::sdk::posixFileSystem(),
    opossum::sdk::PluginOptions options = {}) {
  return std::make_shared<ti::TagIndex>(IndexContext{dir, std::move(fileSystem), nullptr, options});
}

std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeText(const fs::path& path, const std::string& text, bool append = false) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out << text;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Counts what is read through the file-system seam.
class CountingFileSystem : public opossum::sdk::FileSystemWrapper {
 public:
  CountingFileSystem() : FileSystemWrapper(opossum::sdk::posixFileSystem()) {}

  class CountingFile : public opossum::sdk::ReadableFile {
   public:
    CountingFile(std::unique_ptr<opossum::sdk::ReadableFile> file, CountingFileSystem& owner)
        : file_(std::move(file)), owner_(owner) {}
    std::string readAt(std::uint64_t offset, std::size_t length) override {
      std::string data = file_->readAt(offset, length);
      owner_.bytesRead += data.size();
      return data;
    }
    std::uint64_t size() override { return file_->size(); }
    const fs::path& path() const override { return file_->path(); }

   private:
    std::unique_ptr<opossum::sdk::ReadableFile> file_;
    CountingFileSystem& owner_;
  };

  std::unique_ptr<opossum::sdk::ReadableFile> openReadable(const fs::path& p) override {
    ++calls;
    auto file = FileSystemWrapper::openReadable(p);
    if (!file) return nullptr;
    return std::make_unique<CountingFile>(std::move(file), *this);
  }
  std::optional<std::string> readFile(const fs::path& p) override {
    ++calls;
    auto data = FileSystemWrapper::readFile(p);
    if (data) bytesRead += data->size();
    return data;
  }

  std::atomic<std::size_t> calls{0};
  std::atomic<std::size_t> bytesRead{0};
};

// Records every file that is opened for writing, replaced or removed.
class RecordingFileSystem : public opossum::sdk::FileSystemWrapper {
 public:
  RecordingFileSystem() : FileSystemWrapper(opossum::sdk::posixFileSystem()) {}

  std::unique_ptr<opossum::sdk::WritableFile> openWritable(const fs::path& p,
                                                           opossum::sdk::OpenMode m) override {
    note(p);
    return FileSystemWrapper::openWritable(p, m);
  }
  void replaceFile(const fs::path& p, std::string_view d, bool s) override {
    note(p);
    FileSystemWrapper::replaceFile(p, d, s);
  }
  bool remove(const fs::path& p) override {
    note(p);
    return FileSystemWrapper::remove(p);
  }
  void syncFileSystem(const fs::path& p) override {
    ++syncs;
    FileSystemWrapper::syncFileSystem(p);
  }

  // The names written since the last call, relative to `dir`.
  std::set<std::string> take(const fs::path& dir) {
    std::lock_guard lock(mutex_);
    std::set<std::string> out;
    for (const auto& p : written_) out.insert(p.lexically_relative(dir).string());
    written_.clear();
    return out;
  }
  std::atomic<std::size_t> syncs{0};

 private:
  void note(const fs::path& p) {
    std::lock_guard lock(mutex_);
    written_.push_back(p);
  }
  std::mutex mutex_;
  std::vector<fs::path> written_;
};

// Every posting file's content by name.
std::map<std::string, std::string> postingFiles(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const char* folder : {"event-types", "tags"}) {
    if (!fs::exists(dir / folder)) continue;
    for (const auto& entry : fs::directory_iterator(dir / folder)) {
      out[std::string(folder) + "/" + entry.path().filename().string()] = readText(entry.path());
    }
  }
  return out;
}

ti::Mark markOf(const fs::path& dir) {
  auto read = ti::parseMark(readText(dir / "positions/posted.mark"));
  REQUIRE(read.status == ti::MarkStatus::valid);
  return read.mark;
}

void writeMarkFile(const fs::path& dir, const ti::Mark& mark) {
  writeText(dir / "positions/posted.mark", ti::formatMarkLine(mark));
}

std::vector<Position> ofTag(ti::TagIndex& index, const Tag& tag, Position head) {
  return index.positions(Query::fromTags({tag}), {}, head);
}

std::vector<Position> ofType(ti::TagIndex& index, const std::string& type, Position head) {
  return index.positions(Query::fromEventTypes({type}), {}, head);
}

}  // namespace

TEST_CASE("tag-index implementation conforms", "[index][tag-index]") {
  opossum::sdk::conformance::checkIndexConformance(
      [](const fs::path& dir, std::shared_ptr<opossum::sdk::FileSystem> files) {
        return makeIndex(dir, std::move(files));
      });
}

TEST_CASE("sha256 matches the FIPS 180-4 examples", "[index][tag-index]") {
  REQUIRE(opossum::sdk::sha256Hex("") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  REQUIRE(opossum::sdk::sha256Hex("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(opossum::sdk::sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  REQUIRE(opossum::sdk::sha256Hex(std::string(1000000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("index file names are injective, case-safe and short", "[index][tag-index]") {
  REQUIRE(opossum::sdk::encodeFileName("abc-_09") == "abc-_09");
  REQUIRE(opossum::sdk::encodeFileName("A") == "%41");
  REQUIRE(opossum::sdk::encodeFileName("a=b/c.%") == "a%3Db%2Fc%2E%25");
  REQUIRE(opossum::sdk::encodeFileName("\xC3\xBC") == "%C3%BC");
  REQUIRE(ti::tagFilePath({"a=b", "c"}) != ti::tagFilePath({"a", "b=c"}));
  REQUIRE(ti::tagFilePath({"k", ""}) == fs::path("tags/k=.idx"));
  REQUIRE(ti::typeFilePath("..") == fs::path("event-types/%2E%2E.idx"));

  const std::vector<Tag> tags = {{"k", "A"},   {"k", "a"},  {"K", "a"},   {"k", "%41"},
                                 {"k", "%"},   {"k", "%4"}, {"k=", ""},   {"k", "="},
                                 {"k", "Ab"},  {"k", "aB"}, {"k", "ab"},  {"", "k"},
                                 {"k", ".."},  {"k", "."},  {"k", "x/y"}, {"k", "x%2Fy"},
                                 {"k", "a~b"}, {"a", "b"},  {"a", "b\n"}, {"a\n", "b"}};
  std::set<std::string> names;
  std::set<std::string> folded;  // as a case-insensitive file system sees them
  for (const auto& tag : tags) {
    names.insert(ti::tagFilePath(tag).string());
    folded.insert(lower(ti::tagFilePath(tag).string()));
  }
  REQUIRE(names.size() == tags.size());
  REQUIRE(folded.size() == tags.size());

  SECTION("long names are shortened with a hash of the whole name") {
    const std::string longKey(1024, 'Q');
    Tag a{longKey, std::string(1023, 'v') + "a"};
    Tag b{longKey, std::string(1023, 'v') + "b"};
    Tag c{longKey, std::string(1023, 'v') + "A"};
    std::set<std::string> longNames;
    for (const auto& tag : {a, b, c}) {
      std::string name = ti::tagFilePath(tag).filename().string();
      INFO(name);
      REQUIRE(name.size() <= 200);
      REQUIRE(name.find('~') != std::string::npos);
      // A readable prefix, then '~', then 64 hex digits of the full encoded name.
      REQUIRE(name.rfind("%51%51%51", 0) == 0);
      std::string hash = name.substr(name.find('~') + 1, 64);
      REQUIRE(hash == opossum::sdk::sha256Hex(opossum::sdk::encodeFileName(tag.key) + "=" +
                                              opossum::sdk::encodeFileName(tag.value)));
      longNames.insert(lower(name));
    }
    REQUIRE(longNames.size() == 3);
    // Never cut inside a %XX triple.
    for (std::size_t shift = 0; shift < 3; ++shift) {
      std::string name = opossum::sdk::shortenFileName(std::string(shift, 'x') +
                                                       opossum::sdk::encodeFileName(longKey));
      std::string prefix = name.substr(0, name.find('~'));
      REQUIRE(prefix.size() >= 115);
      REQUIRE(prefix.substr(shift).size() % 3 == 0);
    }
    // Names up to the limit stay as they are.
    REQUIRE(opossum::sdk::shortenFileName(std::string(200, 'x')) == std::string(200, 'x'));
    REQUIRE(opossum::sdk::shortenFileName(std::string(201, 'x')).size() == 120 + 1 + 64);
  }
}

TEST_CASE("positions lines round-trip and torn lines are refused", "[index][tag-index]") {
  IndexedEvent e{12, "Item \"Added\"\n", {{"k\\", "v\t\x01"}, {"empty", ""}, {"u", "日本"}}};
  std::string line;
  ti::appendPositionLine(line, e);
  REQUIRE(line.back() == '\n');
  REQUIRE(line.find('\n') == line.size() - 1);
  auto parsed = ti::parsePositionLine(std::string_view(line).substr(0, line.size() - 1));
  REQUIRE(parsed);
  REQUIRE(parsed->position == 12);
  REQUIRE(parsed->eventType == e.eventType);
  REQUIRE(parsed->tags == e.tags);
  for (std::size_t cut = 0; cut + 1 < line.size(); ++cut) {
    INFO(cut);
    REQUIRE_FALSE(ti::parsePositionLine(std::string_view(line).substr(0, cut)));
  }
  REQUIRE(ti::parsePositionLine(R"([1,"T",[]])"));
  REQUIRE(ti::parsePositionLine(R"([2,"\u00e9\ud83d\udc00",[["a","b"]]])")->eventType ==
          "\xC3\xA9\xF0\x9F\x90\x80");
  REQUIRE_FALSE(ti::parsePositionLine(R"([01,"T",[]])"));
  REQUIRE_FALSE(ti::parsePositionLine(R"([1,"T",[]]x)"));
  REQUIRE_FALSE(ti::parsePositionLine(std::string("[1,\"T\0\",[]]", 11)));
  REQUIRE_FALSE(ti::parsePosition(""));
  REQUIRE_FALSE(ti::parsePosition("18446744073709551616"));
  REQUIRE(ti::parsePosition("18446744073709551615") == 18446744073709551615ULL);
}

TEST_CASE("posting files: header checked, in-flight and torn tails ignored", "[index][tag-index]") {
  const std::string header = ti::tagHeader({"k", "v"});
  REQUIRE(header == "opossum-tag-index 2 tag \"k\" \"v\"\n");
  REQUIRE(ti::parsePostingFile(header + "1\n5\n9\n", header, 9, "f") ==
          std::vector<Position>{1, 5, 9});
  REQUIRE(ti::parsePostingFile(header + "1\n5\n9\n", header, 8, "f") ==
          std::vector<Position>{1, 5});
  REQUIRE(ti::parsePostingFile(header + "1\n5\n9", header, 9, "f") == std::vector<Position>{1, 5});
  REQUIRE(ti::parsePostingFile(header + "1\n5\n\0\0\n7x\n", header, 9, "f") ==
          std::vector<Position>{1, 5});
  REQUIRE(ti::parsePostingFile(header.substr(0, 10), header, 9, "f").empty());
  REQUIRE(ti::parsePostingFile("", header, 9, "f").empty());
  REQUIRE_THROWS_AS(ti::parsePostingFile(ti::tagHeader({"k", "w"}) + "1\n", header, 9, "f"),
                    CorruptionError);
  REQUIRE_THROWS_AS(ti::parsePostingFile(header + "1\nxx\n5\n", header, 9, "f"), CorruptionError);
  REQUIRE_THROWS_AS(ti::parsePostingFile(header + "5\n1\n", header, 9, "f"), CorruptionError);
  REQUIRE_THROWS_AS(ti::parsePostingFile(header + "5\n5\n", header, 9, "f"), CorruptionError);
}

TEST_CASE("tag-index files are human-readable and exactly as documented", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto index = makeIndex(dir);
  std::vector<IndexedEvent> events = {{1, "Opened", {{"cart", "C1"}}},
                                      {2, "Added", {{"cart", "C1"}, {"sku", "x=y"}}},
                                      {3, "Opened", {{"cart", "c1"}}}};
  index->add(events);
  REQUIRE(readText(dir / "positions/positions.log") ==
          "opossum-tag-index 2 positions\n"
          "[1,\"Opened\",[[\"cart\",\"C1\"]]]\n"
          "[2,\"Added\",[[\"cart\",\"C1\"],[\"sku\",\"x=y\"]]]\n"
          "[3,\"Opened\",[[\"cart\",\"c1\"]]]\n");
  REQUIRE(postingFiles(dir).empty());  // add() defers them
  index->materialize(3);
  REQUIRE(readText(dir / "event-types/%4Fpened.idx") ==
          "opossum-tag-index 2 type \"Opened\"\n1\n3\n");
  REQUIRE(readText(dir / "tags/cart=%431.idx") ==
          "opossum-tag-index 2 tag \"cart\" \"C1\"\n1\n2\n");
  REQUIRE(readText(dir / "tags/cart=c1.idx") == "opossum-tag-index 2 tag \"cart\" \"c1\"\n3\n");
  REQUIRE(readText(dir / "tags/sku=x%3Dy.idx") == "opossum-tag-index 2 tag \"sku\" \"x=y\"\n2\n");
  // The CRC-32 (as zlib computes it) of the line before it.
  REQUIRE(readText(dir / "positions/posted.mark") ==
          "opossum-tag-index 2 posted 00000000000000000003 00000000000000000003 3e445925\n");
  REQUIRE(ti::parseMark(readText(dir / "positions/posted.mark")).mark == ti::Mark{3, 3});
}

TEST_CASE("a file that belongs to another tag or format is refused", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  writer->add(std::vector<IndexedEvent>{{1, "T", {{"k", "v"}}}});
  writer->materialize(1);

  SECTION("a posting file whose header names another tag (a hash collision)") {
    writeText(dir / "tags/k=v.idx", ti::tagHeader({"k", "w"}) + "1\n");
    REQUIRE_THROWS_AS(makeIndex(dir)->positions(Query::fromTags({{"k", "v"}}), {}, 1),
                      CorruptionError);
  }
  SECTION("a posting file of another format version") {
    writeText(dir / "event-types/%54.idx", "opossum-tag-index 1 type \"T\"\n1\n");
    REQUIRE_THROWS_AS(makeIndex(dir)->positions(Query::fromEventTypes({"T"}), {}, 1),
                      CorruptionError);
  }
  SECTION("a positions file of another implementation") {
    writeText(dir / "positions/positions.log", "some-other-index 1 positions\n[1,\"T\",[]]\n");
    REQUIRE_THROWS_AS(makeIndex(dir)->positions(Query::fromEventTypes({"T"}), {}, 1),
                      CorruptionError);
    REQUIRE_THROWS_AS(makeIndex(dir)->truncateAfter(1), CorruptionError);
  }
  SECTION("a mark that is damaged") {
    std::string mark = readText(dir / "positions/posted.mark");
    mark[40] = mark[40] == '1' ? '2' : '1';
    writeText(dir / "positions/posted.mark", mark);
    REQUIRE_THROWS_AS(makeIndex(dir)->positions(Query::fromEventTypes({"T"}), {}, 1),
                      CorruptionError);
    REQUIRE_THROWS_AS(makeIndex(dir)->materialize(1), CorruptionError);
    REQUIRE_THROWS_AS(makeIndex(dir)->truncateAfter(1), CorruptionError);
  }
  SECTION("a positions file that lacks committed positions") {
    REQUIRE_THROWS_AS(makeIndex(dir)->truncateAfter(5), CorruptionError);
    REQUIRE_THROWS_AS(makeIndex(dir)->add(std::vector<IndexedEvent>{{7, "T", {}}}),
                      CorruptionError);
  }
}

TEST_CASE("lists are loaded lazily, only for the types and tags asked", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  std::vector<IndexedEvent> events;
  for (Position p = 1; p <= 50; ++p) {
    events.push_back({p, p % 2 ? "Odd" : "Even", {{"n", std::to_string(p % 7)}, {"all", "x"}}});
  }
  writer->add(events);
  REQUIRE_FALSE(writer->isTypeLoaded("Odd"));  // adding does not load

  auto reader = makeIndex(dir);
  REQUIRE_FALSE(reader->isTypeLoaded("Odd"));
  REQUIRE_FALSE(reader->isTagLoaded({"n", "3"}));
  REQUIRE(reader->positions(Query::all(), {}, 50).size() == 50);
  REQUIRE_FALSE(reader->isTagLoaded({"all", "x"}));
  REQUIRE(reader->positions(Query::fromTags({{"n", "3"}}), {}, 50) ==
          std::vector<Position>{3, 10, 17, 24, 31, 38, 45});
  REQUIRE(reader->isTagLoaded({"n", "3"}));
  REQUIRE_FALSE(reader->isTagLoaded({"n", "4"}));
  REQUIRE_FALSE(reader->isTypeLoaded("Odd"));
  REQUIRE(reader->positions(Query::fromItems({QueryItem{{"Odd"}, {{"n", "3"}}}}),
                            ReadOptions{true, std::nullopt, 2},
                            50) == std::vector<Position>{45, 31});
  REQUIRE(reader->isTypeLoaded("Odd"));
  REQUIRE_FALSE(reader->isTypeLoaded("Even"));
  // A list that has no file yet is known to be empty and is kept current from then on.
  REQUIRE(reader->positions(Query::fromTags({{"new", "1"}}), {}, 50).empty());
  writer->add(std::vector<IndexedEvent>{{51, "Odd", {{"new", "1"}}}});
  REQUIRE(reader->positions(Query::fromTags({{"new", "1"}}), {}, 51) == std::vector<Position>{51});
  reader->reset();
  REQUIRE_FALSE(reader->isTagLoaded({"n", "3"}));
  REQUIRE(reader->positions(Query::fromTags({{"new", "1"}}), {}, 51) == std::vector<Position>{51});
}

TEST_CASE("catching up and answering cost the new work, not the store", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  constexpr Position kEvents = 20000;
  std::vector<IndexedEvent> events;
  for (Position p = 1; p <= kEvents; ++p) {
    events.push_back({p, "Added", {{"cart", "c" + std::to_string(p % 100)}, {"all", "x"}}});
  }
  writer->add(events);
  writer->materialize(kEvents);
  const auto positionsSize = fs::file_size(dir / "positions/positions.log");

  auto counting = std::make_shared<CountingFileSystem>();
  auto reader = makeIndex(dir, counting);
  // First use: only the end of the positions file and the asked list are read.
  REQUIRE(reader->positions(Query::fromTags({{"cart", "c7"}}), ReadOptions{true, std::nullopt, 1},
                            kEvents) == std::vector<Position>{19907});
  REQUIRE(counting->bytesRead < positionsSize / 4);
  // Nothing new committed: answered from memory without touching files.
  std::size_t calls = counting->calls;
  REQUIRE(reader->positions(Query::fromTags({{"cart", "c7"}}), ReadOptions{false, 19000, 1},
                            kEvents) == std::vector<Position>{19007});
  REQUIRE(counting->calls == calls);
  // Another process commits one event: only its line is read.
  writer->add(std::vector<IndexedEvent>{{kEvents + 1, "Added", {{"cart", "c7"}}}});
  std::size_t before = counting->bytesRead;
  REQUIRE(reader->positions(Query::fromTags({{"cart", "c7"}}), ReadOptions{true, std::nullopt, 1},
                            kEvents + 1) == std::vector<Position>{kEvents + 1});
  REQUIRE(counting->bytesRead - before < 200);
  // An AND of a long list and a short one, and a condition check on the long one.
  REQUIRE(reader->positions(Query::fromTags({{"all", "x"}, {"cart", "c7"}}),
                            ReadOptions{false, 19500, std::nullopt}, kEvents + 1) ==
          std::vector<Position>{19507, 19607, 19707, 19807, 19907});
  REQUIRE(reader->positions(Query::fromTags({{"all", "x"}}), ReadOptions{false, 19999, 1},
                            kEvents + 1) == std::vector<Position>{20000});
}

TEST_CASE("recovery without a trace in the positions file needs fullRecoveryScan",
          "[index][tag-index]") {
  // A power loss can keep a posting file's append and lose the mark's and the positions file's;
  // with fullRecoveryScan the next materialize() checks every posting file.
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  writer->add(std::vector<IndexedEvent>{{1, "T", {{"k", "v"}}}, {2, "T", {}}});
  writer->materialize(2);
  writeText(dir / "tags/k=v.idx", "3\n", true);
  writeText(dir / "tags/k=w.idx", ti::tagHeader({"k", "w"}) + "3\n", false);
  auto index = makeIndex(dir, opossum::sdk::posixFileSystem(), {{"fullRecoveryScan", "true"}});
  index->truncateAfter(2);
  // A materialize() of another process may be writing them: they are left for the next one.
  REQUIRE(fs::exists(dir / "tags/k=w.idx"));
  REQUIRE(fs::exists(dir / "positions/scan.request"));
  index->add(std::vector<IndexedEvent>{{3, "T", {{"k", "x"}}}});
  REQUIRE(ofTag(*index, {"k", "w"}, 3).empty());  // beyond the mark: not trusted
  index->materialize(3);
  REQUIRE(readText(dir / "tags/k=v.idx") == ti::tagHeader({"k", "v"}) + "1\n");
  REQUIRE_FALSE(fs::exists(dir / "tags/k=w.idx"));
  REQUIRE_FALSE(fs::exists(dir / "positions/scan.request"));
  REQUIRE(ofTag(*index, {"k", "v"}, 3) == std::vector<Position>{1});
  REQUIRE(ofTag(*makeIndex(dir), {"k", "w"}, 3).empty());
  REQUIRE(ofTag(*makeIndex(dir), {"k", "x"}, 3) == std::vector<Position>{3});
}

TEST_CASE("add refuses a batch with gaps and heals leftovers of a failed add",
          "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto index = makeIndex(dir);
  REQUIRE_THROWS_AS(index->add(std::vector<IndexedEvent>{{1, "T", {}}, {3, "T", {}}}),
                    opossum::InvalidArgumentError);
  index->add(std::vector<IndexedEvent>{{1, "T", {{"k", "v"}}}});
  index->add(std::vector<IndexedEvent>{{2, "T", {{"k", "v"}}}});  // not committed
  // The storage adds position 2 again (its first attempt failed before the commit).
  index->add(std::vector<IndexedEvent>{{2, "U", {{"k", "w"}}}});
  REQUIRE(index->positions(Query::fromTags({{"k", "v"}}), {}, 2) == std::vector<Position>{1});
  auto fresh = makeIndex(dir);
  REQUIRE(fresh->positions(Query::fromTags({{"k", "v"}}), {}, 2) == std::vector<Position>{1});
  REQUIRE(fresh->positions(Query::fromTags({{"k", "w"}}), {}, 2) == std::vector<Position>{2});
  REQUIRE(fresh->positions(Query::fromEventTypes({"T"}), {}, 2) == std::vector<Position>{1});
}

TEST_CASE("the mark: fixed first line with a CRC, garbage after it ignored", "[index][tag-index]") {
  const std::string line = ti::formatMarkLine({12, 15});
  REQUIRE(line.size() == ti::kMarkLineSize);
  REQUIRE(line.rfind("opossum-tag-index 2 posted 00000000000000000012 00000000000000000015 ", 0) ==
          0);
  REQUIRE(line.back() == '\n');
  REQUIRE(ti::formatMarkLine({0, 0}).size() == ti::kMarkLineSize);
  REQUIRE(ti::formatMarkLine({18446744073709551615ULL, 18446744073709551615ULL}).size() ==
          ti::kMarkLineSize);
  REQUIRE(ti::parseMark(line).status == ti::MarkStatus::valid);
  REQUIRE(ti::parseMark(line).mark == ti::Mark{12, 15});
  REQUIRE(ti::parseMark(line + "#~garbage\n]\n\x01\xff\n2").mark == ti::Mark{12, 15});
  REQUIRE(ti::parseMark(line + std::string(7, '\0')).status == ti::MarkStatus::valid);
  // Never written back (a power loss): blank, not damaged.
  REQUIRE(ti::parseMark("").status == ti::MarkStatus::blank);
  REQUIRE(ti::parseMark(std::string(78, '\0')).status == ti::MarkStatus::blank);
  REQUIRE(ti::parseMark(std::string(30, '\0')).status == ti::MarkStatus::blank);
  // Any change of a byte, a torn line, W below P, another version: damaged.
  for (std::size_t i = 0; i < line.size(); ++i) {
    std::string changed = line;
    changed[i] = changed[i] == '7' ? '8' : '7';
    INFO(i);
    REQUIRE(ti::parseMark(changed).status == ti::MarkStatus::damaged);
  }
  REQUIRE(ti::parseMark(line.substr(0, 77)).status == ti::MarkStatus::damaged);
  REQUIRE(ti::parseMark(line.substr(0, 40)).status == ti::MarkStatus::damaged);
  REQUIRE(ti::parseMark(ti::formatMarkLine({15, 12})).status == ti::MarkStatus::damaged);
  std::string v1 = line;
  v1[18] = '1';
  REQUIRE(ti::parseMark(v1).status == ti::MarkStatus::damaged);
}

TEST_CASE("add() writes the positions file only, materialize() the posting files up to its mark",
          "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto files = std::make_shared<RecordingFileSystem>();
  auto index = makeIndex(dir, files);
  std::vector<IndexedEvent> events;
  for (Position p = 1; p <= 6; ++p) {
    events.push_back({p, p % 2 ? "Odd" : "Even", {{"n", std::to_string(p % 3)}, {"all", ""}}});
  }
  index->add(events);
  REQUIRE(files->take(dir) == std::set<std::string>{"positions/positions.log"});
  REQUIRE(postingFiles(dir).empty());
  REQUIRE_FALSE(fs::exists(dir / "positions/posted.mark"));

  index->materialize(4);
  REQUIRE(markOf(dir) == ti::Mark{4, 4});
  const std::string odd = ti::typeHeader("Odd");
  const std::string all = ti::tagHeader({"all", ""});
  REQUIRE(postingFiles(dir) == std::map<std::string, std::string>{
                                   {"event-types/%45ven.idx", ti::typeHeader("Even") + "2\n4\n"},
                                   {"event-types/%4Fdd.idx", odd + "1\n3\n"},
                                   {"tags/all=.idx", all + "1\n2\n3\n4\n"},
                                   {"tags/n=0.idx", ti::tagHeader({"n", "0"}) + "3\n"},
                                   {"tags/n=1.idx", ti::tagHeader({"n", "1"}) + "1\n4\n"},
                                   {"tags/n=2.idx", ti::tagHeader({"n", "2"}) + "2\n"}});
  auto written = files->take(dir);
  REQUIRE(written.count("positions/posted.mark") == 1);
  // A new posting file is written in the staging folder and renamed into place.
  REQUIRE(written.count(".staging/n=0.idx") == 1);
  REQUIRE(written.count("tags/n=0.idx") == 0);
  REQUIRE(fs::is_empty(dir / ".staging"));
  REQUIRE(files->syncs == 0);  // the storage makes them durable

  index->materialize(3);  // below the mark: nothing to do
  index->materialize(4);
  REQUIRE(files->take(dir).empty());

  index->materialize(6);
  REQUIRE(markOf(dir) == ti::Mark{6, 6});
  REQUIRE(readText(dir / "event-types/%4Fdd.idx") == odd + "1\n3\n5\n");
  REQUIRE(readText(dir / "tags/all=.idx") == all + "1\n2\n3\n4\n5\n6\n");
  // Only the lists of positions 5 and 6, the mark, and their counts.
  REQUIRE(files->take(dir) == std::set<std::string>{"positions/posted.mark", "positions/lists.log",
                                                    "event-types/%45ven.idx",
                                                    "event-types/%4Fdd.idx", "tags/all=.idx",
                                                    "tags/n=0.idx", "tags/n=2.idx"});
}

TEST_CASE("the tail: what this instance read after the mark, per type and tag",
          "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  std::vector<IndexedEvent> events;
  for (Position p = 1; p <= 10; ++p) {
    // A duplicate tag on one event counts once.
    events.push_back(
        {p, p % 2 ? "Odd" : "Even", {{"n", std::to_string(p % 3)}, {"n", "x"}, {"n", "x"}}});
  }
  writer->add(events);
  REQUIRE(writer->tailBase() == 0);
  REQUIRE(writer->typeTail("Odd") == std::vector<Position>{1, 3, 5, 7, 9});
  REQUIRE(writer->tagTail({"n", "x"}) == std::vector<Position>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  REQUIRE(writer->tailEntries() == 30);

  auto early = makeIndex(dir);  // starts before anything is materialized
  REQUIRE(ofType(*early, "Odd", 10) == std::vector<Position>{1, 3, 5, 7, 9});
  REQUIRE(early->tailBase() == 0);
  REQUIRE(early->tailEntries() == 30);

  writer->materialize(6);  // trims the writer's own tail
  REQUIRE(writer->tailBase() == 6);
  REQUIRE(writer->typeTail("Odd") == std::vector<Position>{7, 9});
  REQUIRE(writer->typeTail("Even") == std::vector<Position>{8, 10});
  REQUIRE(writer->tagTail({"n", "0"}) == std::vector<Position>{9});
  REQUIRE(writer->tailEntries() == 12);

  // A fresh instance starts its tail at the mark: (6, 10], read backwards from the end.
  auto fresh = makeIndex(dir);
  REQUIRE(ofType(*fresh, "Even", 10) == std::vector<Position>{2, 4, 6, 8, 10});
  REQUIRE(fresh->tailBase() == 6);
  REQUIRE(fresh->tailEntries() == 12);
  REQUIRE(fresh->tagTail({"n", "1"}) == std::vector<Position>{7, 10});
  // Asked for an older head, it never reads posting files beyond it.
  auto behind = makeIndex(dir);
  REQUIRE(ofType(*behind, "Even", 4) == std::vector<Position>{2, 4});
  REQUIRE(behind->tailBase() == 4);
  REQUIRE(behind->tailEntries() == 0);
  REQUIRE(ofType(*behind, "Even", 10) == std::vector<Position>{2, 4, 6, 8, 10});
  REQUIRE(behind->typeTail("Even") == std::vector<Position>{6, 8, 10});

  // add() and catching up append to the tail; lists loaded before stay exact.
  writer->add(std::vector<IndexedEvent>{{11, "Odd", {{"n", "2"}}}, {12, "Even", {}}});
  REQUIRE(writer->typeTail("Odd") == std::vector<Position>{7, 9, 11});
  REQUIRE(ofType(*fresh, "Odd", 12) == std::vector<Position>{1, 3, 5, 7, 9, 11});
  REQUIRE(fresh->typeTail("Odd") == std::vector<Position>{7, 9, 11});
  REQUIRE(ofTag(*early, {"n", "2"}, 12) == std::vector<Position>{2, 5, 8, 11});
  REQUIRE(early->tailBase() == 0);  // it has not looked at the mark again yet

  fresh->reset();
  REQUIRE(fresh->tailEntries() == 0);
  REQUIRE(ofTag(*fresh, {"n", "2"}, 12) == std::vector<Position>{2, 5, 8, 11});
}

TEST_CASE("a long-running reader drops the tail that others materialized", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  auto reader = makeIndex(dir);
  auto lagging = makeIndex(dir);
  constexpr Position kEvents = ti::TagIndex::kTailCheck + 500;
  std::vector<IndexedEvent> events;
  for (Position p = 1; p <= kEvents; ++p) {
    events.push_back({p, "T", {{"cart", "c" + std::to_string(p % 10)}}});
  }
  auto count = [&](const std::string& cart, Position head) {
    std::vector<Position> out;
    for (const auto& e : events) {
      if (e.position <= head && e.tags[0].value == cart) out.push_back(e.position);
    }
    return out;
  };
  writer->add(std::span(events).subspan(0, 100));
  REQUIRE(ofTag(*reader, {"cart", "c3"}, 100) == count("c3", 100));
  REQUIRE(ofTag(*lagging, {"cart", "c3"}, 100) == count("c3", 100));
  REQUIRE(reader->tailBase() == 0);
  writer->add(std::span(events).subspan(100));
  writer->materialize(kEvents - 200);
  // Catching up past kTailCheck tail positions, a reader reads the mark again.
  REQUIRE(ofTag(*reader, {"cart", "c3"}, kEvents) == count("c3", kEvents));
  REQUIRE(reader->tailBase() == kEvents - 200);
  REQUIRE(reader->tailEntries() == 2 * 200);
  REQUIRE(ofTag(*reader, {"cart", "c4"}, kEvents) == count("c4", kEvents));
  // One that has read less than the mark drops its tail up to what it has read only.
  REQUIRE(ofTag(*lagging, {"cart", "c3"}, kEvents - 300) == count("c3", kEvents - 300));
  REQUIRE(lagging->tailBase() == kEvents - 300);
  REQUIRE(lagging->tailEntries() == 0);
  REQUIRE(ofTag(*lagging, {"cart", "c5"}, kEvents) == count("c5", kEvents));
  // The writer drops its own tail when it materializes.
  REQUIRE(writer->tailBase() == kEvents - 200);
}

TEST_CASE("an interrupted materialize() is cut back to the mark first", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  writer->add(std::vector<IndexedEvent>{{1, "T", {{"k", "a"}}},
                                        {2, "T", {{"k", "a"}}},
                                        {3, "U", {{"k", "a"}, {"k", "new"}}},
                                        {4, "T", {{"k", "b"}}},
                                        {5, "U", {{"k", "a"}}},
                                        {6, "T", {}}});
  writer->materialize(2);
  // What a materialize(5) that crashed may leave: the mark {2, 5}, some entries of (2, 5], a
  // torn line, a list created for position 3.
  writeMarkFile(dir, {2, 5});
  writeText(dir / "tags/k=a.idx", "3\n5", true);
  writeText(dir / "tags/k=new.idx", ti::tagHeader({"k", "new"}) + "3\n");
  writeText(dir / "event-types/%54.idx", "4\n", true);
  const auto crashed = postingFiles(dir);

  // Readers trust only the entries <= P.
  auto reader = makeIndex(dir);
  REQUIRE(ofTag(*reader, {"k", "a"}, 6) == std::vector<Position>{1, 2, 3, 5});
  REQUIRE(ofTag(*reader, {"k", "new"}, 6) == std::vector<Position>{3});
  REQUIRE(ofType(*reader, "T", 6) == std::vector<Position>{1, 2, 4, 6});

  // The usual recovery of an interrupted append (head >= W) leaves the posting files alone.
  auto files = std::make_shared<RecordingFileSystem>();
  auto recovering = makeIndex(dir, files);
  recovering->add(std::vector<IndexedEvent>{{7, "T", {{"k", "a"}}}});  // never committed
  files->take(dir);
  recovering->truncateAfter(6);
  // No list: only the positions file, and the lists' counts dropped (a crash may have kept
  // entries and counts unevenly).
  REQUIRE(files->take(dir) ==
          std::set<std::string>{"positions/positions.log", "positions/lists.log"});
  REQUIRE(postingFiles(dir) == crashed);
  REQUIRE(markOf(dir) == ti::Mark{2, 5});

  SECTION("the next materialize() repairs, then writes") {
    recovering->materialize(4);
    REQUIRE(markOf(dir) == ti::Mark{4, 4});
    REQUIRE(readText(dir / "tags/k=a.idx") == ti::tagHeader({"k", "a"}) + "1\n2\n3\n");
    REQUIRE(readText(dir / "tags/k=new.idx") == ti::tagHeader({"k", "new"}) + "3\n");
    REQUIRE(readText(dir / "event-types/%54.idx") == ti::typeHeader("T") + "1\n2\n4\n");
    REQUIRE(readText(dir / "tags/k=b.idx") == ti::tagHeader({"k", "b"}) + "4\n");
    REQUIRE_FALSE(fs::exists(dir / "event-types/%55.idx.tmp"));
    recovering->materialize(6);
    REQUIRE(readText(dir / "tags/k=a.idx") == ti::tagHeader({"k", "a"}) + "1\n2\n3\n5\n");
  }
  SECTION("a materialize() below W repairs all of (P, W]") {
    // Position 5 names k=a and U, which materialize(3) does not write.
    writeText(dir / "event-types/%55.idx", ti::typeHeader("U") + "3\n5\n");
    recovering->materialize(3);
    REQUIRE(markOf(dir) == ti::Mark{3, 3});
    REQUIRE(readText(dir / "tags/k=a.idx") == ti::tagHeader({"k", "a"}) + "1\n2\n3\n");
    REQUIRE(readText(dir / "event-types/%55.idx") == ti::typeHeader("U") + "3\n");
    REQUIRE(readText(dir / "event-types/%54.idx") == ti::typeHeader("T") + "1\n2\n");
  }
  SECTION("a truncateAfter() below W cuts to min(P, head)") {
    // Committed positions lost in a power loss: 4 and later are appended again.
    makeIndex(dir)->truncateAfter(3);
    REQUIRE(markOf(dir) == ti::Mark{2, 2});
    REQUIRE(readText(dir / "tags/k=a.idx") == ti::tagHeader({"k", "a"}) + "1\n2\n");
    REQUIRE_FALSE(fs::exists(dir / "tags/k=new.idx"));
    REQUIRE(readText(dir / "event-types/%54.idx") == ti::typeHeader("T") + "1\n2\n");
    REQUIRE(readText(dir / "positions/positions.log").find("[4,") == std::string::npos);
    auto again = makeIndex(dir);
    again->add(std::vector<IndexedEvent>{{4, "U", {{"k", "c"}}}});
    REQUIRE(ofTag(*again, {"k", "new"}, 4) == std::vector<Position>{3});
    again->materialize(4);
    REQUIRE(readText(dir / "tags/k=new.idx") == ti::tagHeader({"k", "new"}) + "3\n");
    REQUIRE(ofType(*makeIndex(dir), "U", 4) == std::vector<Position>{3, 4});
    REQUIRE(ofType(*makeIndex(dir), "T", 4) == std::vector<Position>{1, 2});
  }
  // Every way gives the exact answers, also to instances that started before.
  REQUIRE(ofTag(*reader, {"k", "a"}, 6) == std::vector<Position>{1, 2, 3, 5});
  REQUIRE(ofTag(*makeIndex(dir), {"k", "a"}, 3) == std::vector<Position>{1, 2, 3});
}

TEST_CASE("a power loss's tail that reads as a smaller position is cut with the rest",
          "[index][tag-index]") {
  // Unsynced appends may reach the disk as any bytes: here "16" of a lost entry as "1".
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  writer->add(std::vector<IndexedEvent>{{1, "T", {{"k", "a"}}},
                                        {2, "T", {}},
                                        {3, "T", {{"k", "a"}}},
                                        {4, "T", {{"k", "a"}}},
                                        {5, "T", {{"k", "a"}}},
                                        {6, "T", {{"k", "a"}}}});
  writer->materialize(6);
  const std::string before = readText(dir / "tags/k=a.idx");
  REQUIRE(before == ti::tagHeader({"k", "a"}) + "1\n3\n4\n5\n6\n");
  writeText(dir / "tags/k=a.idx", before.substr(0, before.size() - 2) + "1\n@");
  // Position 6 was lost (head 5 < W 6): the lists are cut to what is known to be complete.
  makeIndex(dir)->truncateAfter(5);
  REQUIRE(readText(dir / "tags/k=a.idx") == ti::tagHeader({"k", "a"}) + "1\n3\n4\n5\n");
  REQUIRE(ofTag(*makeIndex(dir), {"k", "a"}, 5) == std::vector<Position>{1, 3, 4, 5});
}

TEST_CASE("entries after the mark that it does not name are cut before appending",
          "[index][tag-index]") {
  // After a power loss the mark can lag behind the posting files (it is not synced): the files
  // may hold entries of (P, W] for a W the mark lost.
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  writer->add(std::vector<IndexedEvent>{
      {1, "T", {{"k", "a"}}}, {2, "T", {}}, {3, "T", {{"k", "a"}}}, {4, "T", {{"k", "a"}}}});
  writer->materialize(2);
  writeText(dir / "tags/k=a.idx", "3\n", true);
  writeText(dir / "event-types/%54.idx", "3\n4", true);
  REQUIRE(markOf(dir) == ti::Mark{2, 2});
  auto index = makeIndex(dir);
  index->materialize(4);
  REQUIRE(readText(dir / "tags/k=a.idx") == ti::tagHeader({"k", "a"}) + "1\n3\n4\n");
  REQUIRE(readText(dir / "event-types/%54.idx") == ti::typeHeader("T") + "1\n2\n3\n4\n");
  REQUIRE(ofTag(*makeIndex(dir), {"k", "a"}, 4) == std::vector<Position>{1, 3, 4});
}

TEST_CASE("a blank mark beside posting files: they are rebuilt from the positions file",
          "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  writer->add(std::vector<IndexedEvent>{{1, "T", {{"k", "a"}}}, {2, "U", {{"k", "a"}}}});
  writer->materialize(2);
  writer->add(std::vector<IndexedEvent>{{3, "T", {}}});
  // The mark lost its content; the files hold entries the positions file does not confirm.
  SECTION("empty") { writeText(dir / "positions/posted.mark", ""); }
  SECTION("zeros") { writeText(dir / "positions/posted.mark", std::string(78, '\0')); }
  SECTION("missing") { fs::remove(dir / "positions/posted.mark"); }
  writeText(dir / "tags/k=a.idx", "5\n", true);
  writeText(dir / "tags/k=b.idx", ti::tagHeader({"k", "b"}) + "1\n");
  auto reader = makeIndex(dir);
  REQUIRE(reader->readMark() == ti::Mark{0, ti::kUnknownPosition});
  REQUIRE(ofTag(*reader, {"k", "a"}, 3) == std::vector<Position>{1, 2});
  REQUIRE(ofTag(*reader, {"k", "b"}, 3).empty());
  REQUIRE(reader->tailBase() == 0);
  makeIndex(dir)->materialize(2);
  REQUIRE(markOf(dir) == ti::Mark{2, 2});
  REQUIRE(postingFiles(dir) == std::map<std::string, std::string>{
                                   {"event-types/%54.idx", ti::typeHeader("T") + "1\n"},
                                   {"event-types/%55.idx", ti::typeHeader("U") + "2\n"},
                                   {"tags/k=a.idx", ti::tagHeader({"k", "a"}) + "1\n2\n"}});
  REQUIRE(ofTag(*makeIndex(dir), {"k", "a"}, 3) == std::vector<Position>{1, 2});
}

TEST_CASE("a missing mark without posting files is a folder with nothing materialized",
          "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto index = makeIndex(dir);
  REQUIRE(index->readMark() == ti::Mark{0, 0});
  index->add(std::vector<IndexedEvent>{{1, "T", {}}});
  REQUIRE(index->readMark() == ti::Mark{0, 0});
  index->truncateAfter(1);
  REQUIRE_FALSE(fs::exists(dir / "positions/posted.mark"));
  index->truncateAfter(0);
  REQUIRE(index->positions(Query::all(), {}, 0).empty());
  // Position 1 was taken back: a head that still claims it finds the index without it.
  REQUIRE_THROWS_AS(index->positions(Query::all(), {}, 1), opossum::CorruptionError);
}

TEST_CASE("addTags needs the posting files written up to its positions", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto writer = makeIndex(dir);
  std::vector<IndexedEvent> events;
  for (Position p = 1; p <= 10; ++p) events.push_back({p, "T", {{"n", std::to_string(p % 2)}}});
  writer->add(events);
  auto migrating = makeIndex(dir);
  REQUIRE(ofTag(*migrating, {"n", "0"}, 10).size() == 5);  // its tail holds (0, 10]
  writer->materialize(5);
  const std::vector<IndexedEvent> additions = {{3, "", {{"added", "yes"}}},
                                               {8, "", {{"added", "yes"}, {"n", "0"}}}};
  REQUIRE_THROWS_AS(migrating->addTags(additions), opossum::InvalidArgumentError);
  REQUIRE_FALSE(fs::exists(dir / "tags/added=yes.idx"));
  writer->materialize(10);
  migrating->addTags(additions);
  // Its tail no longer covers what the posting files hold, so a list loaded now sees the tags.
  REQUIRE(migrating->tailBase() == 10);
  REQUIRE(ofTag(*migrating, {"added", "yes"}, 10) == std::vector<Position>{3, 8});
  REQUIRE(ofTag(*makeIndex(dir), {"added", "yes"}, 10) == std::vector<Position>{3, 8});
  writer->add(std::vector<IndexedEvent>{{11, "T", {{"added", "yes"}}}});
  REQUIRE(ofTag(*migrating, {"added", "yes"}, 11) == std::vector<Position>{3, 8, 11});
  writer->materialize(11);
  REQUIRE(readText(dir / "tags/added=yes.idx") == ti::tagHeader({"added", "yes"}) + "3\n8\n11\n");
}

namespace {

// Calls `hook` with the path of each posting file opened for writing, before opening it.
class HookFileSystem : public opossum::sdk::FileSystemWrapper {
 public:
  explicit HookFileSystem(std::function<void(const fs::path&)> hook)
      : FileSystemWrapper(opossum::sdk::posixFileSystem()), hook_(std::move(hook)) {}
  std::unique_ptr<opossum::sdk::WritableFile> openWritable(const fs::path& p,
                                                           opossum::sdk::OpenMode m) override {
    if (p.extension() == ".idx") hook_(p);
    return FileSystemWrapper::openWritable(p, m);
  }

 private:
  std::function<void(const fs::path&)> hook_;
};

}  // namespace

TEST_CASE("materialize() announces W in the mark before it writes an entry", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  std::vector<ti::Mark> seen;
  auto index = makeIndex(
      dir, std::make_shared<HookFileSystem>([&](const fs::path&) { seen.push_back(markOf(dir)); }));
  index->add(std::vector<IndexedEvent>{{1, "T", {{"k", "a"}}}, {2, "U", {}}, {3, "T", {}}});
  index->materialize(2);
  REQUIRE(seen == std::vector<ti::Mark>{{0, 2}, {0, 2}, {0, 2}});
  seen.clear();
  index->materialize(3);
  REQUIRE(seen == std::vector<ti::Mark>{{2, 3}});
  REQUIRE(markOf(dir) == ti::Mark{3, 3});
}

TEST_CASE("readers are not blocked while materialize() writes", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  std::shared_ptr<ti::TagIndex> index;
  std::future<std::vector<Position>> reader;
  bool inTime = false;
  index =
      makeIndex(dir, std::make_shared<HookFileSystem>([&](const fs::path&) {
                  if (reader.valid()) return;
                  // The writing instance answers another thread meanwhile, through its lock,
                  // after learning what another process added.
                  reader = std::async(std::launch::async, [&] { return ofType(*index, "T", 4); });
                  inTime = reader.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
                }));
  index->add(std::vector<IndexedEvent>{{1, "T", {{"k", "a"}}}, {2, "U", {}}, {3, "T", {}}});
  makeIndex(dir)->add(std::vector<IndexedEvent>{{4, "T", {}}});
  index->materialize(3);
  REQUIRE(reader.valid());
  REQUIRE(inTime);
  REQUIRE(reader.get() == std::vector<Position>{1, 3, 4});
  REQUIRE(ofType(*makeIndex(dir), "T", 4) == std::vector<Position>{1, 3, 4});
}

TEST_CASE("addTags rewrites a list that ends with a torn or garbage line", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  auto index = makeIndex(dir);
  index->add(
      std::vector<IndexedEvent>{{1, "T", {{"k", "a"}}}, {2, "T", {{"k", "a"}}}, {3, "T", {}}});
  index->materialize(3);
  SECTION("garbage line") { writeText(dir / "tags/k=a.idx", "#~garbage\n", true); }
  SECTION("torn line") { writeText(dir / "tags/k=a.idx", "3", true); }
  index->addTags(std::vector<IndexedEvent>{{3, "", {{"k", "a"}}}});
  REQUIRE(readText(dir / "tags/k=a.idx") == ti::tagHeader({"k", "a"}) + "1\n2\n3\n");
  REQUIRE(ofTag(*makeIndex(dir), {"k", "a"}, 3) == std::vector<Position>{1, 2, 3});
}
