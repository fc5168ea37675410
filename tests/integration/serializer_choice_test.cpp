// Choosing the serializer in the config file: a store keeps the format it was created with (the
// manifest refuses another), and the "json" and "cbor" serializers give the same read results
// from the same events, the CBOR files being smaller.
#include <catch2/catch.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::jsonMismatch;
using opossum::test::makeEvent;
using opossum::test::TempDir;

namespace fs = std::filesystem;

namespace {

// A config file in `dir` opening store `name` under `root` with the given serializer.
fs::path writeConfig(const fs::path& dir, const fs::path& root, const std::string& name,
                     const std::string& serializer) {
  const fs::path file = dir / (name + "-" + serializer + ".json");
  std::ofstream out(file);
  out << R"({"store": {"name": ")" << name << R"(", "rootPath": ")" << root.string() << R"("},)"
      << R"("plugins": {"path": [")" << opossum::test::pluginDir().string() << R"("],)"
      << R"("storage": {"name": "file-per-event"}, "serializer": {"name": ")" << serializer
      << R"("}, "index": {"name": "tag-index"}}})";
  return file;
}

// Every file below `dir` with its contents, and every folder (as "<dir>").
std::map<std::string, std::string> contents(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = fs::relative(entry.path(), dir).string();
    if (entry.is_directory()) {
      out[name] = "<dir>";
    } else {
      std::ifstream in(entry.path(), std::ios::binary);
      out[name] = std::string(std::istreambuf_iterator<char>(in), {});
    }
  }
  return out;
}

Timestamp nanos(std::int64_t n) {
  return Timestamp{std::chrono::duration_cast<Timestamp::duration>(std::chrono::nanoseconds{n})};
}

// The shortest text of a double that reads back the same and still reads as a double.
std::string doubleText(double d) {
  char text[40];
  auto [end, ec] = std::to_chars(text, text + 38, d);
  std::string out(text, end);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

struct Generated {
  std::vector<NewEvent> events;
  std::vector<bool> canonical;  // the payload is compact with numbers in their shortest spelling
};

// Several hundred varied events: unicode and escapes, integers of every size, doubles, nested
// payloads, every combination of metadata. Odd events spell their payload the way people do
// (whitespace, 1.50, 1E+2, -0); even ones in the compact form both serializers read back.
Generated variedEvents(int count) {
  std::mt19937_64 random(20261130);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  const std::vector<std::string> types = {"OrderPlaced", "ItemAdded",        "Zahlung erhalten",
                                          "注文",        "Über-Event 🦫", "Note"};
  const std::vector<std::string> names = {"plain",
                                          "josé",
                                          "日本語テキスト",
                                          "emoji 🦫🦦",
                                          "quote \\\"q\\\"",
                                          "back\\\\slash",
                                          "ctl \\n\\t\\u0001",
                                          "\\u00e9\\u2713",
                                          "",
                                          "<html>&amp;"};
  Generated out;
  for (int i = 0; i < count; ++i) {
    const bool canonical = i % 2 == 0;
    const std::string sep = canonical ? "" : " ";
    const std::string nl = canonical ? "" : "\n  ";
    auto member = [&](const std::string& key, const std::string& value) {
      return nl + "\"" + key + "\"" + sep + ":" + sep + value;
    };
    const auto cents = static_cast<std::int64_t>(random() % 1'000'000);
    const double amount = static_cast<double>(cents) / 100.0;
    const auto count64 = static_cast<std::int64_t>(random());
    const std::uint64_t big = random() | (1ULL << 63);
    std::string styledAmount = doubleText(amount);
    if (!canonical) {
      // Other spellings of the same double.
      switch (i % 3) {
        case 0:
          styledAmount += "0";  // 12.50 for 12.5
          break;
        case 1:
          styledAmount = std::to_string(cents * 10) + "E-3";  // 12500E-3 for 12.5
          break;
        default:
          break;
      }
    }
    std::string lines = "[";
    for (std::size_t l = 0, n = pick(4); l < n; ++l) {
      if (l > 0) lines += "," + sep;
      lines += "{" + member("sku", "\"SKU-" + std::to_string(pick(1000)) + "\"") + "," +
               member("qty", std::to_string(static_cast<int>(pick(20)) - 5)) + "," +
               member("price", doubleText(static_cast<double>(pick(100000)) / 8.0)) + "}";
    }
    lines += "]";
    std::string payload =
        "{" + member("i", std::to_string(i)) + "," +
        member("name", "\"" + names[pick(names.size())] + "\"") + "," +
        member("amount", styledAmount) + "," + member("count", std::to_string(count64)) + "," +
        member("big", std::to_string(big)) + "," + member("ok", i % 3 == 0 ? "true" : "false") +
        "," + member("none", "null") + "," + member("lines", lines) + "," +
        member("nested", "{\"a\":{\"b\":[1,[2.5,[\"x\",{}]]],\"ü\":[]}}") + "," +
        member("exp", canonical ? "1e+300" : "1E300") + "," +
        member("zero", canonical ? "0" : "-0") + "}";
    std::vector<Tag> tags = {{"order", "o-" + std::to_string(i % 37)}};
    if (i % 4 == 0) tags.push_back({"customer", names[pick(3)] + "-" + std::to_string(i % 11)});
    if (i % 5 == 0) tags.push_back({"flag", ""});
    if (i % 7 == 0) tags.push_back({"ключ", "значение 🦫"});
    Metadata metadata;
    // Explicit timestamps so both stores hold the same ones; some before 1970.
    metadata.timestamp = nanos(static_cast<std::int64_t>(random() % 4'000'000'000'000'000'000ULL) -
                               1'000'000'000'000'000'000LL);
    if (i % 2 == 0) metadata.correlationId = "corr-" + std::to_string(i / 2);
    if (i % 3 == 0) metadata.causationId = "cause-Ü-" + std::to_string(i);
    if (i % 5 == 1) metadata.operationId = "";
    if (i % 6 == 2) metadata.userId = "user \"" + std::to_string(i % 9) + "\"";
    out.events.push_back(makeEvent(types[pick(types.size())], payload, tags, metadata));
    out.canonical.push_back(canonical);
  }
  return out;
}

void appendInBatches(Store& store, const std::vector<NewEvent>& events) {
  std::size_t at = 0, batch = 1;
  while (at < events.size()) {
    const std::size_t n = std::min(batch, events.size() - at);
    store.append(std::vector<NewEvent>(events.begin() + static_cast<std::ptrdiff_t>(at),
                                       events.begin() + static_cast<std::ptrdiff_t>(at + n)));
    at += n;
    batch = batch % 17 + 1;
  }
}

// "" when the two stores gave the same events: every field equal, payloads equal as JSON values
// (same kind and value of every number).
std::string difference(const std::vector<SequencedEvent>& json,
                       const std::vector<SequencedEvent>& cbor) {
  if (json.size() != cbor.size()) {
    return std::to_string(json.size()) + " events from json, " + std::to_string(cbor.size()) +
           " from cbor";
  }
  for (std::size_t i = 0; i < json.size(); ++i) {
    const SequencedEvent& a = json[i];
    const SequencedEvent& b = cbor[i];
    const std::string at = " at index " + std::to_string(i);
    if (a.position != b.position) return "positions differ" + at;
    if (a.event.eventType != b.event.eventType) return "event types differ" + at;
    if (a.event.tags != b.event.tags) return "tags differ" + at;
    if (!(a.metadata == b.metadata)) return "metadata differ" + at;
    if (std::string d = jsonMismatch(a.event.event, b.event.event); !d.empty()) {
      return "payloads differ" + at + ": " + d;
    }
  }
  return "";
}

double averageFileSize(const fs::path& eventsDir, const std::string& extension,
                       std::size_t& files) {
  std::uintmax_t total = 0;
  files = 0;
  for (const auto& entry : fs::directory_iterator(eventsDir)) {
    if (entry.path().extension() != extension) continue;
    total += entry.file_size();
    ++files;
  }
  return files == 0 ? 0 : static_cast<double>(total) / static_cast<double>(files);
}

}  // namespace

TEST_CASE("a store refuses a config with another serializer, changing nothing",
          "[serializer-choice]") {
  TempDir dir;
  const fs::path root = dir / "root";
  for (const auto& [created, other] : {std::pair<std::string, std::string>{"json", "cbor"},
                                       std::pair<std::string, std::string>{"cbor", "json"}}) {
    INFO("store created with " << created << ", opened with " << other);
    const std::string name = "made-with-" + created;
    {
      auto store = createEventStoreFromConfig(writeConfig(dir.path(), root, name, created));
      store->append({makeEvent("Opened", R"({"a":1.5})", {{"k", "v"}}), makeEvent("Closed")});
    }
    const fs::path storeDir = root / name;
    const auto before = contents(storeDir);
    REQUIRE(before.count("events/000000002." + created) == 1);

    std::string message;
    try {
      createEventStoreFromConfig(writeConfig(dir.path(), root, name, other));
    } catch (const ConfigError& e) {
      message = e.what();
    } catch (const std::exception& e) {
      FAIL("wrong error type: " << e.what());
    }
    INFO("message: " << message);
    REQUIRE_FALSE(message.empty());
    CHECK(message.find(storeDir.string()) != std::string::npos);
    CHECK(message.find("opossum-" + created) != std::string::npos);
    CHECK(message.find("opossum-" + other) != std::string::npos);
    CHECK(contents(storeDir) == before);

    // The right config still opens it, with everything in place.
    auto store = createEventStoreFromConfig(writeConfig(dir.path(), root, name, created));
    auto all = store->read(Query::all());
    REQUIRE(all.size() == 2);
    CHECK(jsonMismatch(R"({"a":1.5})", all[0].event.event) == "");
    CHECK(all[0].event.tags == std::vector<Tag>{{"k", "v"}});
    CHECK(all[1].event.eventType == "Closed");
  }
}

TEST_CASE("json and cbor stores built from the same events read the same", "[serializer-choice]") {
  TempDir dir;
  const fs::path root = dir / "root";
  const Generated generated = variedEvents(600);
  auto json = createEventStoreFromConfig(writeConfig(dir.path(), root, "same-json", "json"));
  auto cbor = createEventStoreFromConfig(writeConfig(dir.path(), root, "same-cbor", "cbor"));
  appendInBatches(*json, generated.events);
  appendInBatches(*cbor, generated.events);

  const auto fromJson = json->read(Query::all());
  const auto fromCbor = cbor->read(Query::all());
  REQUIRE(fromJson.size() == generated.events.size());
  REQUIRE(difference(fromJson, fromCbor) == "");

  std::size_t exact = 0;
  for (std::size_t i = 0; i < generated.events.size(); ++i) {
    const NewEvent& written = generated.events[i];
    INFO("event " << i << ": " << written.event.event);
    // Both equal what was written.
    CHECK(fromCbor[i].position == i + 1);
    CHECK(fromCbor[i].event.eventType == written.event.eventType);
    CHECK(fromCbor[i].event.tags == written.event.tags);
    CHECK(fromCbor[i].metadata == written.metadata);
    CHECK(jsonMismatch(written.event.event, fromCbor[i].event.event) == "");
    // JSON keeps the spelling of numbers, CBOR keeps their values: the texts are the same exactly
    // when the payload was written compact with numbers in their shortest form (strings are
    // escaped alike by both).
    if (generated.canonical[i]) {
      CHECK(fromCbor[i].event.event == fromJson[i].event.event);
      ++exact;
    }
  }
  CHECK(exact == generated.events.size() / 2);

  // The same answers to queries, in both directions, with bounds.
  std::vector<std::pair<Query, ReadOptions>> reads;
  reads.push_back({Query::fromEventTypes({"ItemAdded", "注文"}), {}});
  reads.push_back({Query::fromTags({{"order", "o-5"}}), {}});
  reads.push_back({Query::fromTags({{"ключ", "значение 🦫"}, {"flag", ""}}), {}});
  reads.push_back({Query::fromItems({QueryItem{{"Note"}, {}}, QueryItem{{}, {{"order", "o-1"}}}}),
                   ReadOptions{true, 100, 25}});
  reads.push_back({Query::all(), ReadOptions{true, std::nullopt, 50}});
  reads.push_back({Query::all(), ReadOptions{false, 550, std::nullopt}});
  for (std::size_t q = 0; q < reads.size(); ++q) {
    INFO("read " << q);
    const auto a = json->read(reads[q].first, reads[q].second);
    const auto b = cbor->read(reads[q].first, reads[q].second);
    CHECK_FALSE(a.empty());
    CHECK(difference(a, b) == "");
    const auto lastA = json->readLast(reads[q].first);
    const auto lastB = cbor->readLast(reads[q].first);
    REQUIRE(lastA);
    REQUIRE(lastB);
    CHECK(difference({*lastA}, {*lastB}) == "");
  }

  // CBOR event files are smaller. Closed, the stores have written every file.
  json.reset();
  cbor.reset();
  std::size_t jsonFiles = 0, cborFiles = 0;
  const double jsonAverage = averageFileSize(root / "same-json" / "events", ".json", jsonFiles);
  const double cborAverage = averageFileSize(root / "same-cbor" / "events", ".cbor", cborFiles);
  CHECK(jsonFiles == generated.events.size());
  CHECK(cborFiles == generated.events.size());
  std::cout << "average event file size over " << jsonFiles << " events: json " << jsonAverage
            << " bytes, cbor " << cborAverage << " bytes (cbor/json = " << cborAverage / jsonAverage
            << ")" << std::endl;
  WARN("average event file size: json " << jsonAverage << " bytes, cbor " << cborAverage
                                        << " bytes, ratio " << cborAverage / jsonAverage);
  CHECK(cborAverage < jsonAverage);
}
