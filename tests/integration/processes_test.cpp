// Several processes on one store (SPEC §1: conditions and positions across processes; §2:
// LockTimeoutError). Every test forks its children before it opens a store or starts a thread.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

using namespace opossum;
using opossum::test::contiguityProblem;
using opossum::test::forkChild;
using opossum::test::makeEvent;
using opossum::test::payloadNumber;
using opossum::test::TempDir;
using opossum::test::waitChild;

namespace {

const bool kPluginPathSet = (opossum::test::usePluginDir(), true);
// A child that died must fail the test, not kill the parent writing to its pipe.
const bool kSigpipeIgnored = (::signal(SIGPIPE, SIG_IGN), true);

// A pipe whose ends close with the object.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  }
  ~Pipe() {
    closeRead();
    closeWrite();
  }
  void closeRead() {
    if (fds[0] >= 0) ::close(fds[0]);
    fds[0] = -1;
  }
  void closeWrite() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
  // One byte; false at end of file.
  bool get(char& c) {
    for (;;) {
      ssize_t n = ::read(fds[0], &c, 1);
      if (n == 1) return true;
      if (n == 0 || errno != EINTR) return false;
    }
  }
  void put(char c) {
    while (::write(fds[1], &c, 1) != 1) {
      if (errno != EINTR) throw std::runtime_error("pipe write failed");
    }
  }
};

}  // namespace

TEST_CASE("4 processes racing with the same append condition: exactly one winner per round",
          "[processes][condition][engines]") {
  TempDir dir;
  constexpr int kChildren = 4;
  constexpr int kRounds = 1000;
  // The parent starts each round in every child at once ('g'); children answer 'w' (won: the
  // conditional append succeeded), 'c' (conflict: AppendConditionFailedError) or 's' (saw the
  // claim already). With lockstep rounds ('G') a child reads, answers 'r', and appends only when
  // told ('a'), so every child decides before any appends.
  std::vector<std::unique_ptr<Pipe>> toChild, fromChild;
  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    toChild.push_back(std::make_unique<Pipe>());
    fromChild.push_back(std::make_unique<Pipe>());
  }
  for (int c = 0; c < kChildren; ++c) {
    children.push_back(forkChild([&, c] {
      Pipe& in = *toChild[c];
      Pipe& out = *fromChild[c];
      // Only this child's ends stay open, so the parent sees end of file when a child dies.
      for (int other = 0; other < kChildren; ++other) {
        toChild[other]->closeWrite();
        fromChild[other]->closeRead();
        if (other != c) {
          toChild[other]->closeRead();
          fromChild[other]->closeWrite();
        }
      }
      auto store = opossum::test::openStore(dir.path(), "race");
      out.put('o');  // opened
      for (int r = 0;; ++r) {
        char command = 0;
        if (!in.get(command)) return 0;
        Query claim = Query::fromTags({{"round", std::to_string(r)}});
        auto last = store->readLast(Query::all());
        Position head = last ? last->position : 0;
        bool claimed = !store->read(claim).empty();
        if (command == 'G') {
          out.put('r');
          if (!in.get(command) || command != 'a') return 2;
        }
        if (claimed) {
          out.put('s');
          continue;
        }
        try {
          std::string json =
              "{\"round\":" + std::to_string(r) + ",\"child\":" + std::to_string(c) + "}";
          store->append({makeEvent("Claimed", json, {{"round", std::to_string(r)}})},
                        AppendCondition{claim, head});
          out.put('w');
        } catch (const AppendConditionFailedError&) {
          out.put('c');
        }
      }
    }));
  }
  for (int c = 0; c < kChildren; ++c) {
    toChild[c]->closeRead();
    fromChild[c]->closeWrite();
  }
  char answer = 0;
  bool started = true;
  for (int c = 0; c < kChildren; ++c)
    started = started && fromChild[c]->get(answer) && answer == 'o';
  std::map<char, int> totals;
  std::vector<int> winners(kRounds, 0);
  bool protocolOk = started;
  for (int r = 0; r < kRounds && protocolOk; ++r) {
    bool lockstep = r % 2 == 0;
    for (int c = 0; c < kChildren; ++c) toChild[c]->put(lockstep ? 'G' : 'g');
    if (lockstep) {
      for (int c = 0; c < kChildren; ++c)
        protocolOk = protocolOk && fromChild[c]->get(answer) && answer == 'r';
      for (int c = 0; c < kChildren; ++c) toChild[c]->put('a');
    }
    for (int c = 0; c < kChildren && protocolOk; ++c) {
      protocolOk = fromChild[c]->get(answer);
      ++totals[answer];
      if (answer == 'w') ++winners[r];
      if (lockstep && answer != 'w') {
        INFO("round " << r << " child " << c);
        CHECK(answer == 'c');  // everyone read before anyone appended
      }
    }
  }
  for (int c = 0; c < kChildren; ++c) toChild[c]->closeWrite();
  for (pid_t pid : children) CHECK(waitChild(pid) == 0);
  REQUIRE(protocolOk);
  for (int r = 0; r < kRounds; ++r) {
    INFO("round " << r);
    CHECK(winners[r] == 1);
  }
  INFO("won " << totals['w'] << ", conflicts " << totals['c'] << ", saw claim " << totals['s']);
  CHECK(totals['c'] >= kRounds / 2 * (kChildren - 1));

  auto store = opossum::test::openStore(dir.path(), "race");
  auto all = store->read(Query::all());
  REQUIRE(all.size() == static_cast<std::size_t>(kRounds));
  CHECK(contiguityProblem(all) == "");
  for (int r = 0; r < kRounds; ++r) {
    INFO("round " << r);
    auto claims = store->read(Query::fromTags({{"round", std::to_string(r)}}));
    REQUIRE(claims.size() == 1);
    CHECK(payloadNumber(claims[0].event.event, "round") == r);
  }
}

TEST_CASE("4 processes with conditions on their own tags never conflict", "[processes][engines]") {
  TempDir dir;
  constexpr int kChildren = 4;
  constexpr int kAppends = 60;
  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    children.push_back(forkChild([&, c] {
      auto store = opossum::test::openStore(dir.path(), "disjoint", c % 2 == 0);
      Tag mine{"owner", std::to_string(c)};
      for (int i = 0; i < kAppends; ++i) {
        auto last = store->readLast(Query::fromTags({mine}));
        std::optional<Position> after;
        if (last) after = last->position;
        if ((last ? payloadNumber(last->event.event, "seq") + 1 : 0) != i) return 3;
        std::string json =
            "{\"owner\":" + std::to_string(c) + ",\"seq\":" + std::to_string(i) + "}";
        std::vector<NewEvent> events{makeEvent("Step", json, {mine})};
        try {
          store->append(events, AppendCondition{Query::fromTags({mine}), after});
        } catch (const AppendConditionFailedError& e) {
          std::fprintf(stderr, "child %d: unexpected conflict: %s\n", c, e.what());
          return 4;
        }
      }
      return 0;
    }));
  }
  for (pid_t pid : children) CHECK(waitChild(pid) == 0);

  auto store = opossum::test::openStore(dir.path(), "disjoint");
  auto all = store->read(Query::all());
  REQUIRE(all.size() == static_cast<std::size_t>(kChildren * kAppends));
  CHECK(contiguityProblem(all) == "");
  for (int c = 0; c < kChildren; ++c) {
    auto mine = store->read(Query::fromTags({{"owner", std::to_string(c)}}));
    REQUIRE(mine.size() == static_cast<std::size_t>(kAppends));
    for (int i = 0; i < kAppends; ++i) CHECK(payloadNumber(mine[i].event.event, "seq") == i);
  }
}

TEST_CASE("an append waits at most crossProcessLockTimeout for another process's lock",
          "[processes][lock]") {
  TempDir dir;
  Pipe toChild, fromChild;
  std::filesystem::path lockFile = dir.path() / "locked" / ".store.lock";
  pid_t child = forkChild([&] {
    toChild.closeWrite();
    fromChild.closeRead();
    char command = 0;
    if (!toChild.get(command)) return 1;
    int fd = ::open(lockFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) return 2;
    fromChild.put('l');
    toChild.get(command);  // hold the lock until told (or the parent goes away)
    ::close(fd);
    return 0;
  });
  toChild.closeRead();
  fromChild.closeWrite();

  EventStoreOptions options;
  options.storeName = "locked";
  options.rootPath = dir.path();
  options.crossProcessLockTimeout = std::chrono::milliseconds(200);
  auto store = createEventStore(options);
  REQUIRE(store->append({makeEvent("Before")}) == 1);
  REQUIRE(opossum::test::eventuallyExists(dir.path() / "locked" / "events" / "000000001.json"));
  auto before = opossum::test::snapshot(dir.path() / "locked" / "events");

  toChild.put('g');
  char answer = 0;
  REQUIRE(fromChild.get(answer));
  REQUIRE(answer == 'l');
  auto start = std::chrono::steady_clock::now();
  std::string message;
  bool timedOut = false;
  try {
    store->append({makeEvent("During")});
  } catch (const LockTimeoutError& e) {
    timedOut = true;
    message = e.what();
  }
  auto waited = std::chrono::steady_clock::now() - start;
  // Reads take no lock.
  auto whileLocked = store->read(Query::all());
  toChild.put('r');
  CHECK(waitChild(child) == 0);

  REQUIRE(timedOut);
  INFO("message: " << message);
  CHECK(message.find(lockFile.string()) != std::string::npos);
  CHECK(message.find("crossProcessLockTimeoutMs") != std::string::npos);
  CHECK(waited >= std::chrono::milliseconds(190));
  CHECK(waited < std::chrono::milliseconds(3000));
  CHECK(whileLocked.size() == 1);
  // Nothing of the timed-out append was written, now or later.
  CHECK(opossum::test::snapshot(dir.path() / "locked" / "events") == before);
  auto all = store->read(Query::all());
  REQUIRE(all.size() == 1);
  CHECK(all[0].event.eventType == "Before");
  REQUIRE(store->append({makeEvent("After")}) == 2);
  CHECK(store->read(Query::fromEventTypes({"During"})).empty());
}
