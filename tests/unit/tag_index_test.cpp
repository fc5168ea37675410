// White-box tests of the tag-index: file names, file formats, lazy loading, cost of catching up,
// and recovery; plus the SDK index conformance suite on the implementation linked directly.
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "index_file_names.hpp"
#include "line_format.hpp"
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

}  // namespace

TEST_CASE("tag-index implementation conforms", "[index][tag-index]") {
  opossum::sdk::conformance::checkIndexConformance(
      [](const fs::path& dir) { return makeIndex(dir); });
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
  REQUIRE(header == "opossum-tag-index 1 tag \"k\" \"v\"\n");
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
          "opossum-tag-index 1 positions\n"
          "[1,\"Opened\",[[\"cart\",\"C1\"]]]\n"
          "[2,\"Added\",[[\"cart\",\"C1\"],[\"sku\",\"x=y\"]]]\n"
          "[3,\"Opened\",[[\"cart\",\"c1\"]]]\n");
  REQUIRE(readText(dir / "event-types/%4Fpened.idx") ==
          "opossum-tag-index 1 type \"Opened\"\n1\n3\n");
  REQUIRE(readText(dir / "tags/cart=%431.idx") ==
          "opossum-tag-index 1 tag \"cart\" \"C1\"\n1\n2\n");
  REQUIRE(readText(dir / "tags/cart=c1.idx") == "opossum-tag-index 1 tag \"cart\" \"c1\"\n3\n");
  REQUIRE(readText(dir / "tags/sku=x%3Dy.idx") == "opossum-tag-index 1 tag \"sku\" \"x=y\"\n2\n");
}

TEST_CASE("a file that belongs to another tag or format is refused", "[index][tag-index]") {
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  makeIndex(dir)->add(std::vector<IndexedEvent>{{1, "T", {{"k", "v"}}}});

  SECTION("a posting file whose header names another tag (a hash collision)") {
    writeText(dir / "tags/k=v.idx", ti::tagHeader({"k", "w"}) + "1\n");
    REQUIRE_THROWS_AS(makeIndex(dir)->positions(Query::fromTags({{"k", "v"}}), {}, 1),
                      CorruptionError);
  }
  SECTION("a posting file of another format version") {
    writeText(dir / "event-types/%54.idx", "opossum-tag-index 2 type \"T\"\n1\n");
    REQUIRE_THROWS_AS(makeIndex(dir)->positions(Query::fromEventTypes({"T"}), {}, 1),
                      CorruptionError);
  }
  SECTION("a positions file of another implementation") {
    writeText(dir / "positions/positions.log", "some-other-index 1 positions\n[1,\"T\",[]]\n");
    REQUIRE_THROWS_AS(makeIndex(dir)->positions(Query::fromEventTypes({"T"}), {}, 1),
                      CorruptionError);
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
  // A power loss can keep a posting file's append and lose the positions file's one; a full
  // scan finds such entries.
  opossum::test::TempDir temp;
  const fs::path dir = temp / "indices";
  makeIndex(dir)->add(std::vector<IndexedEvent>{{1, "T", {{"k", "v"}}}, {2, "T", {}}});
  writeText(dir / "tags/k=v.idx", "3\n", true);
  writeText(dir / "tags/k=w.idx", ti::tagHeader({"k", "w"}) + "3\n", false);
  auto index = makeIndex(dir, opossum::sdk::posixFileSystem(), {{"fullRecoveryScan", "true"}});
  index->truncateAfter(2);
  REQUIRE(readText(dir / "tags/k=v.idx") == ti::tagHeader({"k", "v"}) + "1\n");
  REQUIRE_FALSE(fs::exists(dir / "tags/k=w.idx"));
  index->add(std::vector<IndexedEvent>{{3, "T", {{"k", "x"}}}});
  REQUIRE(index->positions(Query::fromTags({{"k", "v"}}), {}, 3) == std::vector<Position>{1});
  REQUIRE(index->positions(Query::fromTags({{"k", "w"}}), {}, 3).empty());
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
