// The corruption matrix: every file of a store, every kind of damage. No damaged file may cost
// acknowledged events or give silently wrong answers (SPEC §2: CorruptionError names the file).
//
// A store with known content is built once per serializer (journal kept at 4 KiB so that it
// wraps: the oldest events then live only in their files, the newest also in the journal). For
// each row (file, damage) a copy is damaged and then exercised through the public API in a child
// process (a crash or a hang must not take the test down). Each case must end in
//   (a) typed errors (opossum::Error) with every acknowledged event that survived the damage still
//       on disk (in its event file or in journal.log), or
//   (b) correct answers: the store repaired itself.
// Never: a crash, a hang, an exception that is not an opossum::Error, missing or extra events, a
// condition that passes although the data must make it fail, or acknowledged events lost other
// than by the destruction of their only copy (then the error must name the damaged file).
//
// Every case also runs `opossum verify` on its own copy: whenever the API fails or answers wrongly,
// verify must exit 4. The `opossum recover` column is a separate test case, tagged [recover].
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "cli_runner.hpp"
#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::Cli;
using opossum::test::CliResult;
using opossum::test::compactJson;
using opossum::test::readWhole;
using opossum::test::TempDir;
using opossum::test::writeWhole;
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------------
// The store and its oracle

constexpr int kEventCount = 42;
constexpr Position kMidway = 21;         // the state saved for rollbacks: positions 1..21
const Tag kCondTag{"cart", "c1"};        // tags/cart=c1.idx
const std::string kCondType = "closed";  // event-types/closed.idx

struct Expected {
  Position position;
  DomainEvent event;
};

// Event i (0-based): five per cart, carts c1..c4 in turn; payloads padded so that the 4 KiB
// journal wraps twice.
DomainEvent eventFor(int i) {
  std::string type = i % 5 == 0 ? "opened" : (i % 5 == 4 ? "closed" : "added");
  std::vector<Tag> tags{{"cart", "c" + std::to_string((i / 5) % 4 + 1)}};
  if (type == "added") tags.push_back({"sku", "s" + std::to_string(i % 7)});
  std::string json = "{\"i\":" + std::to_string(i) + ",\"note\":\"" + std::string(40, 'x') + "\"}";
  return DomainEvent{type, json, tags};
}

std::vector<Expected> builtEvents() {
  std::vector<Expected> all;
  for (int i = 0; i < kEventCount; ++i) all.push_back({static_cast<Position>(i + 1), eventFor(i)});
  return all;
}

// Batches of 1, 2, 3, 4, 5, 1, ... events; one batch ends exactly at kMidway.
std::vector<std::vector<int>> batches() {
  std::vector<std::vector<int>> out;
  int next = 0;
  int size = 1;
  while (next < kEventCount) {
    std::vector<int> batch;
    int end = std::min(kEventCount, next + size);
    if (next < static_cast<int>(kMidway) && end > static_cast<int>(kMidway)) end = kMidway;
    for (int i = next; i < end; ++i) batch.push_back(i);
    next = end;
    size = size % 5 + 1;
    out.push_back(batch);
  }
  return out;
}

std::string extension(const std::string& serializer) {
  return serializer == "cbor" ? ".cbor" : ".json";
}

fs::path eventFile(Position p, const std::string& serializer) {
  char name[32];
  std::snprintf(name, sizeof name, "%09llu", static_cast<unsigned long long>(p));
  return fs::path("events") / (name + extension(serializer));
}

// A config for the store `shop` under `root`. The journal stays at 4 KiB (no growth), so it is
// reused from its start several times while the store is built. No syncs: damage, not power
// loss, is under test, and a hundred cases must run in seconds.
fs::path writeConfig(const fs::path& dir, const fs::path& root, const std::string& serializer) {
  fs::create_directories(dir);
  fs::path file = dir / ("opossum-" + serializer + ".json");
  std::ofstream out(file);
  out << R"({"store": {"name": "shop", "rootPath": ")" << root.string()
      << R"(", "flushEventsImmediately": false, "crossProcessLockTimeoutMs": 3000},)"
      << R"("plugins": {"path": [")" << opossum::test::pluginDir().string() << R"("],)"
      << R"("storage": {"name": "file-per-event", "journalCapacityBytes": 4096,)"
      << R"( "journalMaxBytes": 4096}, "serializer": {"name": ")" << serializer << R"("},)"
      << R"("index": {"name": "tag-index"}}, "logging": {"level": "off"}})";
  return file;
}

// Runs `body` in a child process with a deadline. "" when it exited 0, else what happened.
std::string runChild(const std::function<int()>& body, std::chrono::seconds timeout) {
  pid_t pid = opossum::test::forkChild(body);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int raw = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &raw, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &raw, 0);
      return "hang (killed after " + std::to_string(timeout.count()) + " s)";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFSIGNALED(raw)) return "crash (signal " + std::to_string(WTERMSIG(raw)) + ")";
  if (WEXITSTATUS(raw) != 0) return "child exit " + std::to_string(WEXITSTATUS(raw));
  return "";
}

// `opossum args...` with a deadline (the runner's own wait has none).
CliResult runCli(Cli& cli, const std::vector<std::string>& args, std::chrono::seconds timeout) {
  pid_t pid = cli.start(args);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return cli.wait(pid);
}

// Builds the store in a child (no store threads ever run in the test process, which forks).
// Saves `mid/` (the store closed after kMidway) for rollbacks; returns the store folder.
void buildStore(const fs::path& base, const std::string& serializer) {
  fs::path config = writeConfig(base, base / "root", serializer);
  std::string failure = runChild(
      [&] {
        auto list = batches();
        auto store = createEventStoreFromConfig(config);
        Position head = 0;
        for (const auto& batch : list) {
          std::vector<NewEvent> events;
          for (int i : batch) events.push_back(NewEvent{eventFor(i), {}});
          head = store->append(events);
          if (head == kMidway) {
            // Closed, so that every file of the first half is written, then saved whole.
            store.reset();
            fs::create_directories(base / "mid");
            fs::copy(base / "root" / "shop", base / "mid" / "shop", fs::copy_options::recursive);
            store = createEventStoreFromConfig(config);
          }
        }
        return head == kEventCount ? 0 : 1;
      },
      std::chrono::seconds(30));
  REQUIRE(failure == "");
}

// ---------------------------------------------------------------------------------------------
// The matrix

enum class Damage {
  remove,
  truncateToZero,
  truncateToHalf,
  cutLastByte,
  appendGarbage,
  flipMiddleByte,
  sameSizeGarbage,
  rollback,       // the file as it was at kMidway (a valid older copy)
  idxExtraLine,   // a valid-looking entry of a position that does not belong to the list
  idxRemoveLine,  // one entry removed
  emptyFolder,    // a folder replaced by an empty one
};

const char* damageName(Damage d) {
  switch (d) {
    case Damage::remove:
      return "delete";
    case Damage::truncateToZero:
      return "truncate to 0";
    case Damage::truncateToHalf:
      return "truncate to half";
    case Damage::cutLastByte:
      return "cut last byte";
    case Damage::appendGarbage:
      return "append garbage";
    case Damage::flipMiddleByte:
      return "flip middle byte";
    case Damage::sameSizeGarbage:
      return "same-size garbage";
    case Damage::rollback:
      return "roll back to midway copy";
    case Damage::idxExtraLine:
      return "extra valid-looking line";
    case Damage::idxRemoveLine:
      return "remove one line";
    case Damage::emptyFolder:
      return "replace by empty folder";
  }
  return "?";
}

// What the spec fixes for a row beyond the general rule.
enum class Expect {
  aOrB,                     // (a) typed error with nothing destroyed, or (b) correct answers
  corruptionNamingRecover,  // CorruptionError naming the file and `opossum recover`; touches
                            // nothing
};

struct Row {
  std::string target;  // relative to the store folder; "events/first|middle|last" by position
  Damage damage;
  Expect expect = Expect::aOrB;
};

const std::vector<Damage> kByteDamages{
    Damage::remove,        Damage::truncateToZero, Damage::truncateToHalf, Damage::cutLastByte,
    Damage::appendGarbage, Damage::flipMiddleByte, Damage::sameSizeGarbage};

std::vector<Row> matrix() {
  std::vector<Row> rows;
  auto add = [&](const std::string& target, std::vector<Damage> damages) {
    for (Damage d : damages) rows.push_back({target, d});
  };
  for (Damage d : kByteDamages) {
    // A missing ledger must not re-initialise the store (issue item 1).
    rows.push_back(
        {"ledger.json", d, d == Damage::remove ? Expect::corruptionNamingRecover : Expect::aOrB});
  }
  rows.push_back({"ledger.json", Damage::rollback});
  add("manifest.json", kByteDamages);
  add("journal.log", kByteDamages);
  add("journal.log", {Damage::rollback});
  for (const char* which : {"events/first", "events/middle", "events/last"}) {
    add(which, kByteDamages);
  }
  add("indices/positions/positions.log", kByteDamages);
  add("indices/positions/positions.log", {Damage::rollback});
  add("indices/positions/posted.mark", kByteDamages);
  add("indices/event-types/closed.idx", kByteDamages);
  add("indices/event-types/closed.idx", {Damage::idxExtraLine, Damage::idxRemoveLine});
  add("indices/tags/cart=c1.idx", kByteDamages);
  add("indices/tags/cart=c1.idx", {Damage::idxExtraLine, Damage::idxRemoveLine, Damage::rollback});
  add("indices", {Damage::remove, Damage::emptyFolder});
  return rows;
}

// The rows whose files the serializer writes or names (the index files do not depend on it).
std::vector<Row> serializerRows() {
  std::vector<Row> rows;
  for (const auto& row : matrix()) {
    if (row.target.rfind("events/", 0) == 0 || row.target == "journal.log" ||
        row.target == "manifest.json") {
      rows.push_back(row);
    }
  }
  return rows;
}

std::string rowLabel(const Row& row) { return row.target + " / " + damageName(row.damage); }

fs::path resolve(const std::string& target, const std::string& serializer) {
  if (target == "events/first") return eventFile(1, serializer);
  if (target == "events/middle") return eventFile(kMidway, serializer);
  if (target == "events/last") return eventFile(kEventCount, serializer);
  return target;
}

std::string garbage(std::size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  unsigned x = seed * 2654435761u + 1;
  for (auto& c : bytes) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>((x >> 16) & 0xff);
  }
  return bytes;
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string joinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

// Applies the damage to `store/<file>`; `mid` is the store as saved at kMidway.
void applyDamage(const fs::path& store, const fs::path& mid, const fs::path& file, Damage damage) {
  const fs::path path = store / file;
  REQUIRE(fs::exists(path));
  if (damage == Damage::remove) {
    fs::remove_all(path);
    return;
  }
  if (damage == Damage::emptyFolder) {
    fs::remove_all(path);
    fs::create_directory(path);
    return;
  }
  if (damage == Damage::rollback) {
    REQUIRE(fs::exists(mid / file));
    fs::copy_file(mid / file, path, fs::copy_options::overwrite_existing);
    return;
  }
  std::string bytes = readWhole(path);
  REQUIRE(!bytes.empty());
  switch (damage) {
    case Damage::truncateToZero:
      bytes.clear();
      break;
    case Damage::truncateToHalf:
      bytes.resize(bytes.size() / 2);
      break;
    case Damage::cutLastByte:
      bytes.pop_back();
      break;
    case Damage::appendGarbage:
      bytes += garbage(37, 7);
      break;
    case Damage::flipMiddleByte:
      bytes[bytes.size() / 2] ^= static_cast<char>(0xff);
      break;
    case Damage::sameSizeGarbage:
      bytes = garbage(bytes.size(), 11);
      break;
    case Damage::idxExtraLine: {
      // The first position missing from the list, inserted in order: it looks like an entry.
      auto lines = splitLines(bytes);
      REQUIRE(lines.size() >= 3);
      std::set<Position> entries;
      for (std::size_t i = 1; i < lines.size(); ++i) entries.insert(std::stoull(lines[i]));
      Position extra = 1;
      while (entries.count(extra)) ++extra;
      REQUIRE(extra <= static_cast<Position>(kEventCount));
      std::size_t at = 1;
      while (at < lines.size() && std::stoull(lines[at]) < extra) ++at;
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), std::to_string(extra));
      bytes = joinLines(lines);
      break;
    }
    case Damage::idxRemoveLine: {
      auto lines = splitLines(bytes);
      REQUIRE(lines.size() >= 3);
      lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(1 + (lines.size() - 1) / 2));
      bytes = joinLines(lines);
      break;
    }
    default:
      break;
  }
  writeWhole(path, bytes);
}

// ---------------------------------------------------------------------------------------------
// Exercising a store through the public API (in the child)

std::string errorClass(const Error& e) {
  if (dynamic_cast<const CorruptionError*>(&e)) return "CorruptionError";
  if (dynamic_cast<const IoError*>(&e)) return "IoError";
  if (dynamic_cast<const ConfigError*>(&e)) return "ConfigError";
  if (dynamic_cast<const LockTimeoutError*>(&e)) return "LockTimeoutError";
  if (dynamic_cast<const InvalidArgumentError*>(&e)) return "InvalidArgumentError";
  if (dynamic_cast<const PluginError*>(&e)) return "PluginError";
  if (dynamic_cast<const AppendConditionFailedError*>(&e)) return "AppendConditionFailedError";
  if (dynamic_cast<const CancelledError*>(&e)) return "CancelledError";
  return "Error";
}

std::string oneLine(std::string text) {
  for (auto& c : text) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  return text;
}

std::string positionList(const std::vector<Position>& positions) {
  std::string out;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (i == 8) return out + ",... (" + std::to_string(positions.size()) + ")";
    out += (i ? "," : "") + std::to_string(positions[i]);
  }
  return out;
}

// "" when `actual` is exactly `expected`, else a short description.
std::string difference(const std::vector<Expected>& expected,
                       const std::vector<SequencedEvent>& actual, bool descending = false) {
  std::map<Position, const Expected*> want;
  for (const auto& e : expected) want[e.position] = &e;
  std::set<Position> seen;
  std::vector<Position> extra, differing, missing;
  for (const auto& a : actual) {
    seen.insert(a.position);
    auto it = want.find(a.position);
    if (it == want.end()) {
      extra.push_back(a.position);
      continue;
    }
    const DomainEvent& w = it->second->event;
    if (a.event.eventType != w.eventType || a.event.tags != w.tags ||
        compactJson(a.event.event) != compactJson(w.event)) {
      differing.push_back(a.position);
    }
  }
  for (const auto& e : expected) {
    if (!seen.count(e.position)) missing.push_back(e.position);
  }
  std::string out;
  if (!missing.empty()) out += "missing " + positionList(missing) + "; ";
  if (!extra.empty()) out += "extra " + positionList(extra) + "; ";
  if (!differing.empty()) out += "different " + positionList(differing) + "; ";
  if (out.empty()) {
    for (std::size_t i = 1; i < actual.size(); ++i) {
      bool inOrder = descending ? actual[i].position < actual[i - 1].position
                                : actual[i].position > actual[i - 1].position;
      if (!inOrder) return descending ? "not in descending order" : "not in ascending order";
    }
  }
  return out;
}

std::vector<Expected> matching(const std::vector<Expected>& all, const Query& query) {
  std::vector<Expected> out;
  for (const auto& e : all) {
    if (query.matches(e.event)) out.push_back(e);
  }
  return out;
}

std::string lastDifference(const std::vector<Expected>& all, const Query& query,
                           const std::optional<SequencedEvent>& actual) {
  auto want = matching(all, query);
  if (want.empty()) return actual ? "an event where there is none" : "";
  if (!actual) return "nothing, expected position " + std::to_string(want.back().position);
  return difference({want.back()}, {*actual});
}

// The results of one exercise: one line per step, "name\tkind\tdetail" (kind: ok, wrong,
// typed:<Class>, untyped, skipped).
class Steps {
 public:
  explicit Steps(fs::path file) : out_(file) {}
  template <class F>
  bool run(const std::string& name, F&& body) {
    try {
      std::string wrong = body();
      write(name, wrong.empty() ? "ok" : "wrong", wrong);
      return true;
    } catch (const Error& e) {
      write(name, "typed:" + errorClass(e), e.what());
    } catch (const std::exception& e) {
      write(name, "untyped", e.what());
    } catch (...) {
      write(name, "untyped", "not a std::exception");
    }
    return false;
  }
  void skip(const std::string& name) { write(name, "skipped", ""); }

 private:
  void write(const std::string& name, const std::string& kind, const std::string& detail) {
    out_ << name << '\t' << kind << '\t' << oneLine(detail) << '\n';
    out_.flush();
  }
  std::ofstream out_;
};

NewEvent extraEvent(int n) {
  return NewEvent{DomainEvent{"added", "{\"extra\":" + std::to_string(n) + "}", {{"cart", "c9"}}},
                  {}};
}

// Opens, reads, appends and reopens the store of `config`; every step is recorded in `results`.
// `foreignConfig` names the same store with the other serializer: it must not write there.
int exercise(const fs::path& config, const fs::path& foreignConfig, const fs::path& results) {
  Steps steps(results);
  std::vector<Expected> oracle = builtEvents();
  std::shared_ptr<Store> store;
  // An event acknowledged at position p becomes part of the oracle.
  auto acknowledge = [&](Position p, const NewEvent& e) -> std::string {
    Position want = oracle.empty() ? 1 : oracle.back().position + 1;
    oracle.push_back({p, e.event});
    return p == want ? ""
                     : "acknowledged at position " + std::to_string(p) + ", expected " +
                           std::to_string(want);
  };
  if (!steps.run("open", [&] {
        store = createEventStoreFromConfig(config);
        return std::string();
      })) {
    for (const char* name : {"read all", "read by type", "read by tag", "read desc by tag+type",
                             "readLast tag", "readLast type", "condition tag", "condition type",
                             "append", "reopen read all", "foreign serializer"}) {
      steps.skip(name);
    }
    return 0;
  }
  steps.run("read all", [&] { return difference(oracle, store->read(Query::all())); });
  steps.run("read by type", [&] {
    auto q = Query::fromEventTypes({kCondType});
    return difference(matching(oracle, q), store->read(q));
  });
  steps.run("read by tag", [&] {
    auto q = Query::fromTags({kCondTag});
    return difference(matching(oracle, q), store->read(q));
  });
  steps.run("read desc by tag+type", [&] {
    auto q = Query::fromItems({QueryItem{{"added"}, {Tag{"sku", "s3"}}}});
    auto want = matching(oracle, q);
    std::reverse(want.begin(), want.end());
    return difference(want, store->read(q, ReadOptions{true, std::nullopt, std::nullopt}), true);
  });
  steps.run("readLast tag", [&] {
    auto q = Query::fromTags({kCondTag});
    return lastDifference(oracle, q, store->readLast(q));
  });
  steps.run("readLast type", [&] {
    auto q = Query::fromEventTypes({kCondType});
    return lastDifference(oracle, q, store->readLast(q));
  });
  // The true data holds events of this tag and type, so both conditions must fail.
  for (auto [name, query] : {std::pair{"condition tag", Query::fromTags({kCondTag})},
                             std::pair{"condition type", Query::fromEventTypes({kCondType})}}) {
    steps.run(name, [&, query = query] {
      NewEvent e = extraEvent(static_cast<int>(oracle.size()));
      try {
        Position p = store->append({e}, AppendCondition{query, std::nullopt});
        acknowledge(p, e);
        return "the condition passed (appended at " + std::to_string(p) + ")";
      } catch (const AppendConditionFailedError&) {
        return std::string();
      }
    });
  }
  steps.run("append", [&] {
    NewEvent e = extraEvent(static_cast<int>(oracle.size()));
    return acknowledge(store->append({e}), e);
  });
  store.reset();
  steps.run("reopen read all", [&] {
    store = createEventStoreFromConfig(config);
    return difference(oracle, store->read(Query::all()));
  });
  store.reset();
  // The store must keep knowing its format: a store object of the other serializer must not
  // write into it (a missing manifest once let a CBOR append into a JSON store).
  steps.run("foreign serializer", [&] {
    try {
      auto foreign = createEventStoreFromConfig(foreignConfig);
      Position p = foreign->append({extraEvent(-1)});
      return "a store of the other serializer appended at position " + std::to_string(p);
    } catch (const Error&) {
      return std::string();  // refused, as it must be
    }
  });
  return 0;
}

struct Step {
  std::string name, kind, detail;
};

std::vector<Step> readSteps(const fs::path& file) {
  std::vector<Step> steps;
  for (const auto& line : splitLines(readWhole(file))) {
    auto a = line.find('\t');
    auto b = line.find('\t', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    steps.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------
// What is on disk: which acknowledged events still have a copy

struct Pristine {
  std::map<Position, std::string> eventBytes;  // the event files of the built store
};

// JSON event files end with a newline that carries no data.
bool sameEvent(std::string found, std::string original, const std::string& serializer) {
  if (serializer == "json") {
    while (!found.empty() && std::isspace(static_cast<unsigned char>(found.back())))
      found.pop_back();
    while (!original.empty() && std::isspace(static_cast<unsigned char>(original.back()))) {
      original.pop_back();
    }
  }
  return found == original;
}

// The acknowledged events of the built store that still have an intact copy in `store`: their
// event file, or their bytes inside journal.log (a record holds the event files' bytes).
std::set<Position> survivors(const fs::path& store, const Pristine& pristine,
                             const std::string& serializer) {
  std::string journal = readWhole(store / "journal.log");
  std::set<Position> out;
  for (const auto& [p, bytes] : pristine.eventBytes) {
    fs::path file = store / eventFile(p, serializer);
    if ((fs::exists(file) && sameEvent(readWhole(file), bytes, serializer)) ||
        journal.find(bytes) != std::string::npos) {
      out.insert(p);
    }
  }
  return out;
}

std::vector<Position> minus(const std::set<Position>& a, const std::set<Position>& b) {
  std::vector<Position> out;
  for (Position p : a) {
    if (!b.count(p)) out.push_back(p);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One case

struct Outcome {
  std::string label;
  std::string process;  // "" or crash/hang
  std::vector<Step> steps;
  std::vector<Position> destroyedByDamage;  // no intact copy left after the damage
  std::vector<Position> lostAfterward;      // had a copy after the damage, none after the exercise
  bool touched = false;                     // the store folder changed (names or sizes)
  int verifyStatus = -1;
  std::string verifyText;
  std::vector<std::string> problems;  // empty: the case passes
  std::string summary;                // what happens, in a few words
  long long apiMs = 0, verifyMs = 0;
};

long long msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

struct Bench {
  std::string serializer;
  fs::path base;  // built store in base/root/shop, midway copy in base/mid/shop
  Pristine pristine;

  fs::path built() const { return base / "root" / "shop"; }
  fs::path mid() const { return base / "mid" / "shop"; }
  std::string foreign() const { return serializer == "json" ? "cbor" : "json"; }

  // A damaged copy of the store at `dir/root/shop`; returns its config.
  fs::path damagedCopy(const fs::path& dir, const Row& row) const {
    fs::remove_all(dir);
    fs::create_directories(dir / "root");
    fs::copy(built(), dir / "root" / "shop", fs::copy_options::recursive);
    applyDamage(dir / "root" / "shop", mid(), resolve(row.target, serializer), row.damage);
    writeConfig(dir, dir / "root", foreign());
    return writeConfig(dir, dir / "root", serializer);
  }
  fs::path foreignConfig(const fs::path& dir) const {
    return dir / ("opossum-" + foreign() + ".json");
  }
};

void load(Bench& bench) {
  buildStore(bench.base, bench.serializer);
  for (Position p = 1; p <= static_cast<Position>(kEventCount); ++p) {
    fs::path file = bench.built() / eventFile(p, bench.serializer);
    REQUIRE(fs::exists(file));
    bench.pristine.eventBytes[p] = readWhole(file);
  }
}

bool allOk(const std::vector<Step>& steps) {
  for (const auto& s : steps) {
    if (s.kind != "ok") return false;
  }
  return !steps.empty();
}

// Runs the API part of a case on `dir` (already damaged) and judges it.
Outcome runCase(const Bench& bench, const Row& row, const fs::path& dir, const fs::path& config) {
  Outcome o;
  o.label = rowLabel(row);
  const fs::path store = dir / "root" / "shop";
  const std::string file = resolve(row.target, bench.serializer).filename().string();
  const auto before = opossum::test::snapshot(store);
  const auto afterDamage = survivors(store, bench.pristine, bench.serializer);
  std::set<Position> all;
  for (const auto& [p, bytes] : bench.pristine.eventBytes) all.insert(p);
  o.destroyedByDamage = minus(all, afterDamage);

  const fs::path results = dir / "steps.txt";
  const fs::path foreign = bench.foreignConfig(dir);
  const auto start = std::chrono::steady_clock::now();
  o.process =
      runChild([&] { return exercise(config, foreign, results); }, std::chrono::seconds(15));
  o.apiMs = msSince(start);
  o.steps = readSteps(results);
  o.lostAfterward = minus(afterDamage, survivors(store, bench.pristine, bench.serializer));
  o.touched = opossum::test::snapshot(store) != before;

  // Judge.
  if (!o.process.empty()) o.problems.push_back(o.process);
  std::vector<std::string> typed;
  bool namesFile = false;
  bool namesRecover = false;
  for (const auto& s : o.steps) {
    if (s.kind == "wrong") o.problems.push_back("silently wrong: " + s.name + ": " + s.detail);
    if (s.kind == "untyped") o.problems.push_back("untyped exception: " + s.name + ": " + s.detail);
    if (s.kind.rfind("typed:", 0) == 0) {
      typed.push_back(s.name + ": " + s.kind.substr(6));
      namesFile = namesFile || s.detail.find(file) != std::string::npos;
      namesRecover = namesRecover || s.detail.find("opossum recover") != std::string::npos;
    }
  }
  if (!o.lostAfterward.empty()) {
    o.problems.push_back("acknowledged events lost after the damage: " +
                         positionList(o.lostAfterward));
  }
  if (!o.destroyedByDamage.empty() && !typed.empty() && !namesFile) {
    o.problems.push_back("the only copy of " + positionList(o.destroyedByDamage) +
                         " was destroyed, but no error names " + file);
  }
  if (!o.destroyedByDamage.empty() && typed.empty() && o.process.empty()) {
    o.problems.push_back("the only copy of " + positionList(o.destroyedByDamage) +
                         " was destroyed, and no error says so");
  }
  if (row.expect == Expect::corruptionNamingRecover) {
    bool corruption = !o.steps.empty() && o.steps.front().kind == "typed:CorruptionError";
    if (!corruption || !namesFile || !namesRecover) {
      o.problems.push_back("expected a CorruptionError at open naming " + file +
                           " and `opossum recover`");
    }
    if (o.touched) o.problems.push_back("the store folder was changed");
  }

  // Summary.
  if (!o.process.empty()) {
    o.summary = o.process;
  } else if (allOk(o.steps)) {
    o.summary = "(b) correct answers";
  } else if (o.problems.empty()) {
    o.summary = "(a) typed: ";
    std::map<std::string, std::vector<std::string>> byClass;
    for (const auto& s : o.steps) {
      if (s.kind.rfind("typed:", 0) == 0) byClass[s.kind.substr(6)].push_back(s.name);
    }
    for (const auto& [cls, names] : byClass) {
      o.summary += cls + " (";
      for (std::size_t i = 0; i < names.size(); ++i) o.summary += (i ? ", " : "") + names[i];
      o.summary += ") ";
    }
  } else {
    o.summary = "FAIL";
  }
  return o;
}

std::string describe(const Outcome& o) {
  std::string text = o.label + ": " + o.summary;
  if (!o.destroyedByDamage.empty()) {
    text += " [only copy destroyed: " + positionList(o.destroyedByDamage) + "]";
  }
  text += "\n";
  for (const auto& p : o.problems) text += "    problem: " + p + "\n";
  for (const auto& s : o.steps) {
    if (s.kind != "ok" && s.kind != "skipped") {
      text += "    " + s.name + ": " + s.kind +
              (s.detail.empty() ? "" : " - " + s.detail.substr(0, 240)) + "\n";
    }
  }
  text += "    verify: exit " + std::to_string(o.verifyStatus) + " - " +
          oneLine(o.verifyText).substr(0, 200) + "\n";
  text += "    time: api " + std::to_string(o.apiMs) + " ms, verify " + std::to_string(o.verifyMs) +
          " ms\n";
  return text;
}

void runMatrix(const std::string& serializer, const std::vector<Row>& rows) {
  TempDir tmp;
  Bench bench{serializer, tmp / "bench", {}};
  load(bench);
  Cli cli(tmp.path());

  std::string table;
  int failing = 0;
  for (const auto& row : rows) {
    const fs::path dir = tmp / "case";
    const fs::path config = bench.damagedCopy(dir / "api", row);
    const fs::path verifyConfig = bench.damagedCopy(dir / "verify", row);
    Outcome o = runCase(bench, row, dir / "api", config);

    const auto verifyStart = std::chrono::steady_clock::now();
    CliResult v =
        runCli(cli, {"verify", "--config", verifyConfig.string()}, std::chrono::seconds(20));
    o.verifyStatus = v.status;
    o.verifyMs = msSince(verifyStart);
    o.verifyText = v.out + v.err;
    const bool apiClean = o.problems.empty() && allOk(o.steps);
    if (!apiClean && v.status != 4) {
      o.problems.push_back("the API fails or answers wrongly, but `opossum verify` exits " +
                           std::to_string(v.status));
    }
    if (v.status != 0 && v.status != 4) {
      o.problems.push_back("`opossum verify` exits " + std::to_string(v.status));
    }
    if (!o.problems.empty() && o.summary.rfind("FAIL", 0) != 0 && o.process.empty()) {
      o.summary = "FAIL (" + o.summary + ")";
    }
    if (!o.problems.empty()) ++failing;
    table += describe(o);

    INFO(serializer << ": " << describe(o));
    CHECK(o.problems.empty());
  }
  // Printed whole (not through WARN, which wraps lines): the table the fixes are checked against.
  std::cout << "corruption matrix (" << serializer << ")\n" << table << std::flush;
  WARN("corruption matrix (" << serializer << "): " << rows.size() - failing << " of "
                             << rows.size() << " cases pass");
}

// The recover column: after `opossum recover` the store answers correctly whenever the only
// copy of the data survived; when it did not, recover exits 4 and says what was lost.
void runRecoverColumn(const std::string& serializer, const std::vector<Row>& rows) {
  TempDir tmp;
  Bench bench{serializer, tmp / "bench", {}};
  load(bench);
  Cli cli(tmp.path());
  std::string table;
  int failing = 0;
  for (const auto& row : rows) {
    const fs::path dir = tmp / "case";
    const fs::path config = bench.damagedCopy(dir, row);
    const fs::path store = dir / "root" / "shop";
    std::set<Position> all;
    for (const auto& [p, bytes] : bench.pristine.eventBytes) all.insert(p);
    const auto destroyed = minus(all, survivors(store, bench.pristine, bench.serializer));
    const std::string file = resolve(row.target, serializer).filename().string();

    CliResult r = runCli(cli, {"recover", "--config", config.string()}, std::chrono::seconds(30));
    std::vector<std::string> problems;
    std::string what = rowLabel(row) + ": recover exit " + std::to_string(r.status);
    if (destroyed.empty()) {
      if (r.status != 0) {
        problems.push_back("recover exits " + std::to_string(r.status) + ": " +
                           oneLine(r.err + r.out).substr(0, 200));
      } else {
        std::string process =
            runChild([&] { return exercise(config, bench.foreignConfig(dir), dir / "steps.txt"); },
                     std::chrono::seconds(15));
        if (!process.empty()) problems.push_back("after recover: " + process);
        for (const auto& s : readSteps(dir / "steps.txt")) {
          if (s.kind != "ok") {
            problems.push_back("after recover: " + s.name + ": " + s.kind + " " + s.detail);
          }
        }
        what += problems.empty() ? ", then correct answers" : "";
      }
    } else if (r.status != 4 || (r.out + r.err).find(file) == std::string::npos) {
      problems.push_back("the only copy of " + positionList(destroyed) +
                         " was destroyed: expected exit 4 and a message naming " + file +
                         ", got exit " + std::to_string(r.status));
    }
    for (const auto& p : problems) what += "\n    problem: " + p;
    table += what + "\n";
    if (!problems.empty()) ++failing;
    INFO(serializer << ": " << what);
    CHECK(problems.empty());
  }
  std::cout << "recover column (" << serializer << ")\n" << table << std::flush;
  WARN("recover column (" << serializer << "): " << rows.size() - failing << " of " << rows.size()
                          << " cases pass");
}

}  // namespace

TEST_CASE("corruption matrix (json): every file and every damage", "[corruption-matrix]") {
  runMatrix("json", matrix());
}

TEST_CASE("corruption matrix (cbor): the files the serializer writes, every damage",
          "[corruption-matrix][cbor]") {
  runMatrix("cbor", serializerRows());
}

TEST_CASE("corruption matrix (json): the `opossum recover` column",
          "[corruption-matrix][recover]") {
  runRecoverColumn("json", matrix());
}
