// A randomized consistency oracle (SPEC §1, §3): processes make decisions on shared accounts
// through decision models and conditional appends; afterwards the whole log is replayed and no
// decision may rest on a state that had changed before its event was appended.
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

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

// Every event records the decision behind it: the accounts it touches (x, and y for a transfer,
// else -1), the balances the deciding process saw (sx, sy), and the position its condition was
// after.
struct Decision {
  std::string type;
  long long x = -1, y = -1, amount = 0, seenX = 0, seenY = 0, after = 0, child = 0, seq = 0;
};

Decision decisionOf(const SequencedEvent& e) {
  const std::string& json = e.event.event;
  return {e.event.eventType,
          payloadNumber(json, "x"),
          payloadNumber(json, "y"),
          payloadNumber(json, "amount"),
          payloadNumber(json, "sx"),
          payloadNumber(json, "sy"),
          payloadNumber(json, "after"),
          payloadNumber(json, "child"),
          payloadNumber(json, "seq")};
}

Tag accountTag(long long account) { return {"account", std::to_string(account)}; }

// The change `e` makes to `account`'s balance.
long long deltaFor(long long account, const Decision& d) {
  if (d.type == "Deposited") return d.x == account ? d.amount : 0;
  if (d.type == "Withdrawn") return d.x == account ? -d.amount : 0;
  if (d.type == "Transferred")
    return (d.y == account ? d.amount : 0) - (d.x == account ? d.amount : 0);
  return 0;
}

NewEvent decidedEvent(const Decision& d) {
  std::string json = "{\"child\":" + std::to_string(d.child) + ",\"seq\":" + std::to_string(d.seq) +
                     ",\"x\":" + std::to_string(d.x) + ",\"y\":" + std::to_string(d.y) +
                     ",\"amount\":" + std::to_string(d.amount) +
                     ",\"sx\":" + std::to_string(d.seenX) + ",\"sy\":" + std::to_string(d.seenY) +
                     ",\"after\":" + std::to_string(d.after) + "}";
  std::vector<Tag> tags{accountTag(d.x)};
  if (d.y >= 0) tags.push_back(accountTag(d.y));
  return makeEvent(d.type, json, tags);
}

// The oracle: replays `events` in position order and describes every stale or invalid decision.
std::vector<std::string> staleDecisions(const std::vector<SequencedEvent>& events) {
  std::vector<std::string> problems;
  std::map<long long, long long> balance;
  std::map<long long, Position> lastTouched;  // account -> position of its latest event
  for (const auto& e : events) {
    const Decision d = decisionOf(e);
    const std::string at = "position " + std::to_string(e.position) + ": ";
    for (long long account : {d.x, d.y}) {
      if (account < 0) continue;
      if (lastTouched[account] > static_cast<Position>(d.after)) {
        problems.push_back(at + "decided after position " + std::to_string(d.after) +
                           ", but account " + std::to_string(account) + " changed at position " +
                           std::to_string(lastTouched[account]));
      }
    }
    if (balance[d.x] != d.seenX || (d.y >= 0 && balance[d.y] != d.seenY)) {
      problems.push_back(at + "decided on balances " + std::to_string(d.seenX) + "/" +
                         std::to_string(d.seenY) + ", the log says " +
                         std::to_string(balance[d.x]) + "/" +
                         std::to_string(d.y >= 0 ? balance[d.y] : 0));
    }
    for (long long account : {d.x, d.y}) {
      if (account < 0) continue;
      balance[account] += deltaFor(account, d);
      lastTouched[account] = e.position;
      if (balance[account] < 0) {
        problems.push_back(at + "account " + std::to_string(account) + " overdrawn (" +
                           std::to_string(balance[account]) + ")");
      }
    }
  }
  return problems;
}

SequencedEvent sequenced(Position position, const Decision& d) {
  return SequencedEvent{decidedEvent(d).event, position, {}};
}

}  // namespace

TEST_CASE("the consistency oracle refuses stale and invalid decisions", "[oracle]") {
  Decision deposit{"Deposited", 1, -1, 10, 0, 0, 0, 0, 0};
  Decision other{"Deposited", 2, -1, 5, 0, 0, 1, 0, 1};
  Decision withdraw{"Withdrawn", 1, -1, 10, 10, 0, 1, 0, 2};
  REQUIRE(
      staleDecisions({sequenced(1, deposit), sequenced(2, other), sequenced(3, withdraw)}).empty());
  SECTION("a decision made before its account changed") {
    // It saw the balance the log has (10 - 10), but from before both changes.
    Decision late{"Deposited", 1, -1, 5, 0, 0, 0, 0, 3};
    CHECK(staleDecisions({sequenced(1, deposit), sequenced(2, withdraw), sequenced(3, late)})
              .size() == 1);
  }
  SECTION("a decision on balances the log does not have") {
    Decision wrong = withdraw;
    wrong.seenX = 20;
    CHECK(staleDecisions({sequenced(1, deposit), sequenced(2, wrong)}).size() == 1);
  }
  SECTION("an overdraft") {
    Decision twice = withdraw;
    twice.amount = 11;
    CHECK(staleDecisions({sequenced(1, deposit), sequenced(2, twice)}).size() == 1);
  }
}

TEST_CASE("4 processes deciding on shared accounts: the oracle finds no stale decision",
          "[processes][oracle][engines]") {
  TempDir dir;
  constexpr int kChildren = 4;
  constexpr int kAppends = 250;  // per process
  constexpr long long kAccounts = 5;
  const auto seed = std::random_device{}();
  INFO("seed " << seed);
  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    children.push_back(forkChild([&, c] {
      auto store = opossum::test::openStore(dir.path(), "oracle");
      std::mt19937 random(seed + static_cast<unsigned>(c));
      auto pick = [&](long long n) {
        return std::uniform_int_distribution<long long>(0, n - 1)(random);
      };
      int conflicts = 0;
      for (int seq = 0; seq < kAppends;) {
        Decision d;
        d.child = c;
        d.seq = seq;
        d.x = pick(kAccounts);
        d.y = pick(3) == 0 ? (d.x + 1 + pick(kAccounts - 1)) % kAccounts : -1;
        auto balanceOf = [](long long account) {
          return createDecisionProjection(0LL, Query::fromTags({accountTag(account)}),
                                          [account](long long state, const SequencedEvent& e) {
                                            return state + deltaFor(account, decisionOf(e));
                                          });
        };
        AppendCondition condition;
        if (d.y >= 0) {
          auto model = buildDecisionModel2(*store, balanceOf(d.x), balanceOf(d.y));
          d.seenX = model.first;
          d.seenY = model.second;
          condition = model.appendCondition;
        } else {
          auto model = buildDecisionModel(*store, balanceOf(d.x));
          d.seenX = model.state;
          condition = model.appendCondition;
        }
        d.after = static_cast<long long>(condition.afterSequencePosition.value_or(0));
        d.amount = 1 + pick(12);
        if (d.y >= 0) {
          d.type = d.seenX >= d.amount ? "Transferred" : "Deposited";
        } else {
          d.type = d.seenX >= d.amount && pick(2) == 0 ? "Withdrawn" : "Deposited";
        }
        if (d.type == "Deposited") d.y = -1;
        try {
          store->append({decidedEvent(d)}, condition);
          ++seq;
        } catch (const AppendConditionFailedError&) {
          ++conflicts;
        }
      }
      std::ofstream(dir / ("conflicts-" + std::to_string(c))) << conflicts;
      return 0;
    }));
  }
  for (pid_t pid : children) CHECK(waitChild(pid) == 0);

  auto store = opossum::test::openStore(dir.path(), "oracle");
  auto all = store->read(Query::all());
  REQUIRE(all.size() == static_cast<std::size_t>(kChildren * kAppends));
  CHECK(contiguityProblem(all) == "");
  // Each process's acknowledged appends once each, in its order.
  std::map<long long, long long> nextSeq;
  for (const auto& e : all) {
    const Decision d = decisionOf(e);
    INFO("position " << e.position);
    CHECK(d.seq == nextSeq[d.child]++);
  }
  auto problems = staleDecisions(all);
  for (const auto& problem : problems) FAIL_CHECK(problem);
  CHECK(problems.empty());
  // The processes did race: some decisions were refused and made again.
  int conflicts = 0;
  for (int c = 0; c < kChildren; ++c) {
    int n = 0;
    std::ifstream(dir / ("conflicts-" + std::to_string(c))) >> n;
    conflicts += n;
  }
  INFO(conflicts << " conflicts");
  CHECK(conflicts > 0);
}
