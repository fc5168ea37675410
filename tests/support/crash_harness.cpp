#include "crash_harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "child_process.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

namespace opossum::test {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStoreName = "crash";
const char* const kTypes[] = {"Alpha", "Beta", "Gamma", "Delta"};
const Tag kTags[] = {{"color", "red"},   {"color", "green"}, {"shape", "round"},
                     {"Shape", "round"}, {"flag", ""},       {"region", "eu-west"}};

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int batchSize(std::uint64_t batch) {
  std::uint64_t h = mix(batch);
  // Mostly small batches, sometimes up to 20 events.
  return (h & 3) == 0 ? 1 + static_cast<int>((h >> 8) % 20) : 1 + static_cast<int>((h >> 8) % 4);
}

NewEvent crashEvent(std::uint64_t batch, int index, int size) {
  std::uint64_t h = mix(batch * 64 + static_cast<std::uint64_t>(index) + 1);
  std::uint64_t h2 = mix(h);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  std::string json = "{\"batch\":" + std::to_string(batch) + ",\"index\":" + std::to_string(index) +
                     ",\"size\":" + std::to_string(size) + ",\"data\":\"" + hex +
                     "\",\"text\":\"ü-" + std::to_string(h % 1000) +
                     "\",\"num\":" + std::to_string(static_cast<long long>(h % 100000) - 50000) +
                     ",\"nested\":{\"a\":[1,2.5,{\"b\":null}]}";
  if ((h >> 40) % 8 == 0) json += ",\"pad\":\"" + std::string(400 + h % 300, 'x') + "\"";
  json += "}";
  std::vector<Tag> tags;
  for (int k = 0; k < 6; ++k) {
    if (((h2 >> (k * 3)) & 7) < 2) tags.push_back(kTags[k]);
  }
  if (!tags.empty() && ((h2 >> 20) & 15) == 0) tags.push_back(tags.front());  // collapsed
  Metadata metadata;
  metadata.correlationId = "corr-" + std::to_string(batch);
  if (h2 & (1ULL << 30)) metadata.causationId = "cause-" + std::to_string(index);
  if (h2 & (1ULL << 31)) metadata.userId = "user-é";
  if (h2 & (1ULL << 32)) metadata.operationId = "";
  return makeEvent(kTypes[h % 4], std::move(json), std::move(tags), std::move(metadata));
}

// The condition a child appends batch `batch` with; all but the last kind always pass when one
// process appends.
std::optional<AppendCondition> crashCondition(std::uint64_t batch, Store& store) {
  std::uint64_t kind = mix(batch ^ 0xC0DEULL) % 8;
  if (kind < 4) return std::nullopt;
  if (kind == 4) {
    return AppendCondition{Query::fromTags({{"batch", std::to_string(batch)}}), std::nullopt};
  }
  auto last = store.readLast(Query::all());
  Position head = last ? last->position : 0;
  if (kind == 5) return AppendCondition{Query::fromEventTypes({"Never"}), head};
  return AppendCondition{Query::fromItems({QueryItem{{kTypes[mix(batch) % 4]}, {}},
                                           QueryItem{{}, {kTags[mix(batch) % 6]}}}),
                         head};
}

enum RecordKind : std::uint32_t { kOpened = 1, kAcknowledged = 2, kRejected = 3 };

struct Record {
  std::uint64_t batch;
  std::uint64_t firstPosition;
  std::uint32_t count;
  std::uint32_t kind;
};
static_assert(sizeof(Record) == 24);

void writeRecord(int fd, const Record& record) {
  // Less than PIPE_BUF: written whole or not at all.
  while (::write(fd, &record, sizeof record) != static_cast<ssize_t>(sizeof record)) {
    if (errno != EINTR) std::_Exit(7);
  }
}

// false at end of file.
bool readRecord(int fd, Record& record) {
  std::size_t got = 0;
  auto* bytes = reinterpret_cast<char*>(&record);
  while (got < sizeof record) {
    ssize_t n = ::read(fd, bytes + got, sizeof record - got);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

fs::path configFile(const fs::path& root, bool flush) {
  return root / (flush ? "crash-flush.json" : "crash-no-flush.json");
}

void writeConfigs(const fs::path& root, std::uint64_t journalCapacityBytes) {
  for (bool flush : {true, false}) {
    std::ofstream out(configFile(root, flush));
    out << R"({"store": {"name": ")" << kStoreName << R"(", "rootPath": ")" << root.string()
        << R"(", "flushEventsImmediately": )" << (flush ? "true" : "false") << R"(},)"
        << R"("plugins": {"path": [")" << pluginDir().string() << R"("],)"
        << R"("storage": {"name": "file-per-event", "journalCapacityBytes": )"
        << journalCapacityBytes << "}}}";
  }
}

std::shared_ptr<Store> openCrashStore(const fs::path& root, bool flush, bool configured) {
  if (configured) return createEventStoreFromConfig(configFile(root, flush));
  return openStore(root, kStoreName, flush);
}

int childMain(const fs::path& root, bool flush, bool configured, std::uint64_t batchBase, int fd) {
  auto store = openCrashStore(root, flush, configured);
  writeRecord(fd, {0, 0, 0, kOpened});
  for (std::uint64_t k = 0;; ++k) {
    std::uint64_t batch = batchBase + k;
    auto events = crashBatch(batch);
    auto condition = crashCondition(batch, *store);
    auto count = static_cast<std::uint32_t>(events.size());
    try {
      Position last = store->append(events, condition);
      writeRecord(fd, {batch, last - count + 1, count, kAcknowledged});
    } catch (const AppendConditionFailedError&) {
      writeRecord(fd, {batch, 0, count, kRejected});
    }
  }
}

std::vector<Tag> collapsed(const std::vector<Tag>& tags) {
  std::vector<Tag> out;
  for (const Tag& t : tags) {
    bool seen = false;
    for (const Tag& o : out) seen = seen || o == t;
    if (!seen) out.push_back(t);
  }
  return out;
}

std::vector<Query> indexQueries() {
  std::vector<Query> queries;
  for (const char* type : kTypes) queries.push_back(Query::fromEventTypes({type}));
  for (const Tag& tag : kTags) queries.push_back(Query::fromTags({tag}));
  queries.push_back(Query::fromEventTypes({"Alpha", "Delta"}));
  queries.push_back(Query::fromTags({kTags[0], kTags[2]}));
  queries.push_back(Query::fromItems({QueryItem{{"Beta"}, {kTags[4]}}}));
  queries.push_back(Query::fromItems({QueryItem{{"Gamma"}, {}}, QueryItem{{}, {kTags[3]}}}));
  queries.push_back(Query::fromTags({{"batch", "1"}}));
  return queries;
}

struct Acknowledged {
  Position first;
  std::uint32_t count;
};

struct Expectations {
  std::map<std::uint64_t, Acknowledged> acknowledged;
  std::set<std::uint64_t> rejected;
};

// Opens the store (recovery runs) and checks it. Returns the head; adds to `problems`.
Position verify(const fs::path& root, bool flush, bool configured, const Expectations& expected,
                Position previousHead, bool fullIndexCheck, std::vector<std::string>& problems) {
  auto fail = [&](std::string what) { problems.push_back(std::move(what)); };
  auto store = openCrashStore(root, flush, configured);
  auto all = store->read(Query::all());
  const Position head = all.size();
  if (auto p = contiguityProblem(all); !p.empty()) fail("read-all: " + p);
  if (head < previousHead) {
    fail("head went back from " + std::to_string(previousHead) + " to " + std::to_string(head));
  }
  auto last = store->readLast(Query::all());
  if ((last ? last->position : 0) != head) fail("readLast(all) disagrees with read-all");

  // Every event is the one its batch generates; batches are whole and contiguous.
  std::set<std::uint64_t> present;
  std::map<std::uint64_t, Position> firstOf;
  for (std::size_t at = 0; at < all.size() && problems.empty();) {
    const auto& e = all[at];
    long long batch = payloadNumber(e.event.event, "batch");
    long long index = payloadNumber(e.event.event, "index");
    if (batch < 0 || index != 0) {
      fail("position " + std::to_string(e.position) +
           " is not the start of a batch: " + e.event.event);
      break;
    }
    auto events = crashBatch(static_cast<std::uint64_t>(batch));
    if (!present.insert(batch).second) fail("batch " + std::to_string(batch) + " appears twice");
    firstOf[batch] = e.position;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (at + i >= all.size()) {
        fail("batch " + std::to_string(batch) + " is partial: " + std::to_string(i) + " of " +
             std::to_string(events.size()) + " events at the end of the store");
        break;
      }
      const auto& actual = all[at + i];
      SequencedEvent wanted{events[i].event, e.position + i, events[i].metadata};
      wanted.event.tags = collapsed(wanted.event.tags);
      if (auto d = eventDifference(wanted, actual); !d.empty()) {
        fail("batch " + std::to_string(batch) + " event " + std::to_string(i) + ": " + d);
        break;
      }
      if (!actual.metadata.timestamp) fail("no timestamp at " + std::to_string(actual.position));
    }
    at += events.size();
  }
  for (const auto& [batch, ack] : expected.acknowledged) {
    auto it = firstOf.find(batch);
    if (it == firstOf.end()) {
      fail("acknowledged batch " + std::to_string(batch) + " (positions " +
           std::to_string(ack.first) + ", " + std::to_string(ack.count) + " events) is missing");
    } else if (it->second != ack.first) {
      fail("acknowledged batch " + std::to_string(batch) + " at " + std::to_string(it->second) +
           ", acknowledged at " + std::to_string(ack.first));
    } else if (crashBatch(batch).size() != ack.count) {
      fail("acknowledged batch " + std::to_string(batch) + " had a wrong count");
    }
  }
  for (std::uint64_t batch : expected.rejected) {
    if (present.count(batch)) fail("rejected batch " + std::to_string(batch) + " is present");
  }

  // The index agrees with the events.
  Position from = fullIndexCheck ? 0 : previousHead;
  for (const Query& query : indexQueries()) {
    std::vector<Position> wanted;
    for (const auto& e : all) {
      if (e.position > from && query.matches(e.event)) wanted.push_back(e.position);
    }
    ReadOptions options;
    options.fromPosition = from;
    std::vector<Position> found;
    for (const auto& e : store->read(query, options)) found.push_back(e.position);
    if (found != wanted) {
      fail("index: a query gives " + std::to_string(found.size()) + " events after " +
           std::to_string(from) + ", filtering read-all gives " + std::to_string(wanted.size()));
    }
    std::optional<Position> newest;
    for (const auto& e : all) {
      if (query.matches(e.event)) newest = e.position;
    }
    auto lastMatch = store->readLast(query);
    if ((lastMatch ? std::optional<Position>(lastMatch->position) : std::nullopt) != newest) {
      fail("index: readLast disagrees with filtering read-all");
    }
  }
  ReadOptions newestFive;
  newestFive.descending = true;
  newestFive.maxCount = 5;
  auto tail = store->read(Query::all(), newestFive);
  for (std::size_t i = 0; i < tail.size(); ++i) {
    if (tail[i].position != head - i) fail("descending read disagrees with read-all");
  }

  // Closed, the store has written every event file still only in its journal.
  store.reset();
  if (onPostgres()) return head;  // no files
  // No event file but those of positions 1..head.
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(root / kStoreName / "events")) {
    std::string name = entry.path().filename().string();
    char expectedName[32];
    unsigned long long number = 0;
    bool wellFormed = std::sscanf(name.c_str(), "%llu", &number) == 1 && number >= 1;
    if (wellFormed) std::snprintf(expectedName, sizeof expectedName, "%09llu.json", number);
    if (!wellFormed || name != expectedName || number > head) {
      fail("stray file in events/: " + name + " (head " + std::to_string(head) + ")");
    } else {
      ++files;
    }
  }
  if (files != head) fail(std::to_string(files) + " event files for head " + std::to_string(head));

  return head;
}

int iterationsFromEnvironment(int fallback) {
  const char* text = std::getenv("OPOSSUM_CRASH_ITERATIONS");
  if (!text || !*text) return fallback;
  int value = std::atoi(text);
  return value > 0 ? value : fallback;
}

std::uint64_t seedFromEnvironment() {
  const char* text = std::getenv("OPOSSUM_CRASH_SEED");
  if (text && *text) return std::strtoull(text, nullptr, 10);
  return std::random_device{}();
}

}  // namespace

std::vector<NewEvent> crashBatch(std::uint64_t batch) {
  int size = batchSize(batch);
  std::vector<NewEvent> events;
  for (int i = 0; i < size; ++i) events.push_back(crashEvent(batch, i, size));
  return events;
}

CrashReport runCrashExperiment(const fs::path& root, const CrashOptions& options) {
  CrashReport report;
  report.seed = seedFromEnvironment();
  std::mt19937_64 random(report.seed);
  const int iterations = iterationsFromEnvironment(options.iterations);
  Expectations expected;
  Position head = 0;
  const bool configured = options.journalCapacityBytes > 0;
  if (configured) writeConfigs(root, options.journalCapacityBytes);
  for (int iteration = 0; iteration < iterations && report.problems.empty(); ++iteration) {
    std::string where =
        "iteration " + std::to_string(iteration) + " (seed " + std::to_string(report.seed) + "): ";
    int children = options.children;
    if (options.randomChildren) children = 2 + static_cast<int>(random() % (options.children - 1));
    bool flush = options.mixedFlush ? random() % 2 == 0 : options.flush;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      report.problems.push_back(where + "pipe failed");
      break;
    }
    ::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);  // best effort: children rarely wait for the parent

    std::vector<pid_t> pids;
    pid_t group = 0;
    for (int c = 0; c < children; ++c) {
      std::uint64_t batchBase = (static_cast<std::uint64_t>(iteration) * 8 + c + 1) * 1'000'000;
      pid_t pid = forkChild([&, batchBase] {
        ::setpgid(0, group);  // the first child leads the group the parent kills at once
        ::close(fds[0]);
        return childMain(root, flush, configured, batchBase, fds[1]);
      });
      if (c == 0) group = pid;
      ::setpgid(pid, group);  // also here, so the group exists before the kill
      pids.push_back(pid);
    }
    ::close(fds[1]);

    // Half the time count the delay from the fork (kills often land while the store opens and
    // recovers), half the time from when every child has opened the store.
    Record record{};
    int opened = 0;
    Expectations fresh;
    auto take = [&](const Record& r) {
      if (r.kind == kOpened) ++opened;
      if (r.kind == kAcknowledged) fresh.acknowledged[r.batch] = {r.firstPosition, r.count};
      if (r.kind == kRejected) fresh.rejected.insert(r.batch);
    };
    if (random() % 2 == 0) {
      while (opened < children && readRecord(fds[0], record)) take(record);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(1000 + random() % 49000));
    ::kill(-group, SIGKILL);
    for (pid_t pid : pids) {
      int status = waitChild(pid);
      if (status != -SIGKILL) {
        report.problems.push_back(where + "a child ended with " + std::to_string(status) +
                                  " before it was killed (99: it threw, see stderr)");
      }
    }
    while (readRecord(fds[0], record)) take(record);
    ::close(fds[0]);
    if (opened < children) ++report.killedWhileOpening;
    report.acknowledged += fresh.acknowledged.size();
    report.rejected += fresh.rejected.size();
    expected.acknowledged.merge(fresh.acknowledged);
    expected.rejected.merge(fresh.rejected);

    std::vector<std::string> problems;
    bool full = iteration % options.fullIndexCheckEvery == 0 || iteration + 1 == iterations;
    try {
      head = verify(root, flush, configured, expected, head, full, problems);
    } catch (const std::exception& e) {
      problems.push_back(std::string("opening or reading the store threw: ") + e.what());
    }
    for (auto& p : problems) report.problems.push_back(where + p);
    report.iterations = iteration + 1;
  }
  report.head = head;
  return report;
}

}  // namespace opossum::test
