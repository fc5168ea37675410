#include "power_loss_harness.hpp"

#include <algorithm>
#include <cstdlib>
#include <span>

#include "json_serializer.hpp"
#include "ledger.hpp"
#include "opossum/errors.hpp"
#include "store_helpers.hpp"
#include "tag_index.hpp"
#include "validation.hpp"

namespace opossum::test {

namespace fs = std::filesystem;
using plugins::file_storage::FileStorage;

Stack::Stack(const fs::path& storeDir, std::shared_ptr<sdk::FileSystem> files,
             StorageSettings settings, std::shared_ptr<sdk::Logger> logger) {
  auto serializer = std::make_shared<plugins::json::JsonSerializer>(sdk::SerializerContext{});
  auto index = std::make_shared<plugins::tag_index::TagIndex>(
      sdk::IndexContext{storeDir / "indices", files, nullptr, {}});
  sdk::StorageContext context;
  context.storeDirectory = storeDir;
  context.serializer = serializer;
  context.index = index;
  context.fileSystem = files;
  context.logger = std::move(logger);
  context.options = {{"journalCapacityBytes", std::to_string(settings.journalCapacityBytes)},
                     {"journalMaxBytes", std::to_string(settings.journalMaxBytes)}};
  storage_ = std::make_shared<FileStorage>(context);
  commits_ = std::make_unique<detail::GroupCommit>(storage_);
}

Position Stack::append(const std::vector<NewEvent>& events,
                       const std::optional<AppendCondition>& condition) {
  auto prepared = detail::prepareEvents(events, std::chrono::system_clock::now());
  return commits_->append(prepared, condition ? &*condition : nullptr, {});
}

void RecordingLogger::log(sdk::LogLevel level, std::string_view message) {
  std::lock_guard guard(mutex_);
  messages_.push_back((level == sdk::LogLevel::error ? "error: " : "warning: ") +
                      std::string(message));
}

std::vector<std::string> RecordingLogger::troubles() const {
  std::lock_guard guard(mutex_);
  std::vector<std::string> found;
  for (const auto& m : messages_) {
    if (m.rfind("error: ", 0) == 0 || m.find("failed") != std::string::npos ||
        m.find("not written") != std::string::npos) {
      found.push_back("the storage logged " + m);
    }
  }
  return found;
}

std::size_t History::begin(std::vector<NewEvent> events) {
  std::lock_guard guard(mutex_);
  batches_.push_back({std::move(events), 0, false});
  return batches_.size() - 1;
}

void History::acknowledge(std::size_t id, Position last) {
  std::lock_guard guard(mutex_);
  batches_[id].last = last;
}

void History::fail(std::size_t id) {
  std::lock_guard guard(mutex_);
  batches_[id].failed = true;
}

std::set<std::size_t> History::acknowledged() const {
  std::lock_guard guard(mutex_);
  std::set<std::size_t> ids;
  for (std::size_t i = 0; i < batches_.size(); ++i) {
    if (batches_[i].last != 0) ids.insert(i);
  }
  return ids;
}

void History::planMigration(std::map<Position, std::vector<Tag>> added) {
  std::lock_guard guard(mutex_);
  migration_ = std::move(added);
}

void History::acknowledgeMigration() {
  std::lock_guard guard(mutex_);
  migrationAcknowledged_ = true;
}

bool History::migrationAcknowledged() const {
  std::lock_guard guard(mutex_);
  return migrationAcknowledged_;
}

std::vector<History::Batch> History::batches() const {
  std::lock_guard guard(mutex_);
  return batches_;
}

std::map<Position, std::vector<Tag>> History::migration() const {
  std::lock_guard guard(mutex_);
  return migration_;
}

Expectation expectationAt(const History& history, const std::set<std::size_t>& acknowledged,
                          bool migrationAcknowledged) {
  auto batches = history.batches();
  std::vector<std::size_t> order(batches.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  bool anyFailed = std::any_of(batches.begin(), batches.end(), [](auto& b) { return b.failed; });
  // Without failures the positions tell the commit order (threads race); with them the calls
  // were sequential, so their order is the commit order.
  if (!anyFailed) {
    std::stable_sort(order.begin(), order.end(),
                     [&](auto a, auto b) { return batches[a].last < batches[b].last; });
  }
  Expectation expected;
  for (auto i : order) {
    Expectation::Batch batch{batches[i].events, Expectation::Kind::prefix, ""};
    if (acknowledged.count(i)) {
      batch.kind = Expectation::Kind::required;
    } else if (batches[i].failed) {
      batch.kind = Expectation::Kind::failed;
    } else if (batches[i].last == 0) {
      continue;  // never finished: cannot be placed (the workloads finish every call)
    }
    batch.name = "batch " + std::to_string(i) + " (" + std::to_string(batches[i].events.size()) +
                 " event(s)" +
                 (batches[i].last ? ", positions up to " + std::to_string(batches[i].last) : "") +
                 ")";
    expected.batches.push_back(std::move(batch));
  }
  expected.migration = history.migration();
  expected.migrationRequired = migrationAcknowledged;
  return expected;
}

namespace {

// "" when `actual` is `expected` at `position`, with or without the migration's tags.
std::string difference(const SequencedEvent& actual, const NewEvent& expected, Position position,
                       const Expectation& expectation, int& migrated, int& unmigrated) {
  SequencedEvent want{expected.event, position, expected.metadata};
  auto plain = eventDifference(actual, want);
  auto added = expectation.migration.find(position);
  if (added == expectation.migration.end()) return plain;
  want.event.tags.insert(want.event.tags.end(), added->second.begin(), added->second.end());
  auto withTags = eventDifference(actual, want);
  if (withTags.empty()) {
    ++migrated;
    return "";
  }
  if (plain.empty()) ++unmigrated;
  return plain;
}

void checkEvents(const std::vector<SequencedEvent>& actual, const Expectation& expected,
                 std::vector<std::string>& problems) {
  if (auto gap = contiguityProblem(actual); !gap.empty()) {
    problems.push_back("positions not contiguous: " + gap);
    return;
  }
  std::size_t at = 0;
  int migrated = 0, unmigrated = 0;
  std::size_t b = 0;
  for (; b < expected.batches.size(); ++b) {
    const auto& batch = expected.batches[b];
    bool matches = at + batch.events.size() <= actual.size();
    std::string why;
    int m = 0, u = 0;
    for (std::size_t i = 0; matches && i < batch.events.size(); ++i) {
      why = difference(actual[at + i], batch.events[i], at + i + 1, expected, m, u);
      matches = why.empty();
    }
    if (matches) {
      if (batch.kind == Expectation::Kind::failed) {
        expected.failedButPresent->push_back(batch.name + " at position " + std::to_string(at + 1));
      }
      at += batch.events.size();
      migrated += m;
      unmigrated += u;
      continue;
    }
    if (batch.kind == Expectation::Kind::failed) continue;
    if (batch.kind == Expectation::Kind::required) {
      problems.push_back("acknowledged " + batch.name + " lost or changed after position " +
                         std::to_string(at) + " (head " + std::to_string(actual.size()) + ")" +
                         (why.empty() ? "" : ": " + why));
      return;
    }
    break;  // a batch that had not been acknowledged: nothing may follow it
  }
  for (std::size_t later = b; later < expected.batches.size(); ++later) {
    if (expected.batches[later].kind == Expectation::Kind::required) {
      problems.push_back("acknowledged " + expected.batches[later].name +
                         " lost: the store ends at position " + std::to_string(actual.size()));
      return;
    }
  }
  if (at < actual.size()) {
    problems.push_back("events from position " + std::to_string(at + 1) + " to " +
                       std::to_string(actual.size()) +
                       " are no whole batch of the workload (a partial batch, or content that "
                       "was never appended)");
  }
  if (migrated > 0 && unmigrated > 0) {
    problems.push_back("tag migration half applied: " + std::to_string(migrated) +
                       " event(s) with the new tags, " + std::to_string(unmigrated) + " without");
  }
  if (expected.migrationRequired && unmigrated > 0) {
    problems.push_back("acknowledged tag migration lost on " + std::to_string(unmigrated) +
                       " event(s)");
  }
}

std::string describe(const std::vector<Position>& positions) {
  std::string s = "[";
  for (auto p : positions) s += (s.size() > 1 ? "," : "") + std::to_string(p);
  return s + "]";
}

void checkIndex(FileStorage& storage, const std::vector<SequencedEvent>& events,
                const std::string& when, std::vector<std::string>& problems) {
  std::map<std::string, std::vector<Position>> byType;
  std::map<Tag, std::vector<Position>> byTag;
  for (const auto& e : events) {
    byType[e.event.eventType].push_back(e.position);
    for (const auto& tag : e.event.tags) byTag[tag].push_back(e.position);
  }
  auto expect = [&](const std::string& what, const Query& query, const std::vector<Position>& want,
                    const ReadOptions& options = {}) {
    auto got = positionsOf(storage.read(query, options));
    if (got != want) {
      problems.push_back(when + ": query " + what + " gave " + describe(got) + ", expected " +
                         describe(want));
    }
  };
  for (const auto& [type, positions] : byType) {
    expect("type " + type, Query::fromEventTypes({type}), positions);
  }
  for (const auto& [tag, positions] : byTag) {
    const std::string name = "tag " + tag.key + "=" + tag.value;
    expect(name, Query::fromTags({tag}), positions);
    std::vector<Position> newest(positions.rbegin(),
                                 positions.rbegin() + std::min<std::size_t>(2, positions.size()));
    expect(name + " (newest 2)", Query::fromTags({tag}), newest, options(true, std::nullopt, 2));
    for (const auto& [type, typed] : byType) {
      std::vector<Position> both;
      std::set_intersection(positions.begin(), positions.end(), typed.begin(), typed.end(),
                            std::back_inserter(both));
      expect(name + " and type " + type, Query::fromItems({QueryItem{{type}, {tag}}}), both);
    }
  }
  expect("type NeverAppended", Query::fromEventTypes({"NeverAppended"}), {});
}

// Append conditions must see exactly the reference's events: one after the last match fails,
// one at it succeeds (the only write of the check).
void checkConditions(FileStorage& storage, std::vector<SequencedEvent>& events,
                     std::vector<std::string>& problems) {
  std::vector<NewEvent> probe{numberedEvent(999999, "Probe", {{"probe", "1"}})};
  auto tryAppend = [&](const Query& query, std::optional<Position> after) {
    AppendCondition condition{query, after};
    sdk::AppendRequest request{&probe, &condition};
    return storage.append(std::span<const sdk::AppendRequest>(&request, 1), {}).at(0);
  };
  std::map<Tag, Position> lastOfTag;
  std::map<std::string, Position> lastOfType;
  for (const auto& e : events) {
    lastOfType[e.event.eventType] = e.position;
    for (const auto& tag : e.event.tags) lastOfTag[tag] = e.position;
  }
  for (const auto& [tag, last] : lastOfTag) {
    if (tryAppend(Query::fromTags({tag}), last - 1).committed) {
      problems.push_back("an append conditioned on no tag " + tag.key + "=" + tag.value +
                         " after position " + std::to_string(last - 1) +
                         " succeeded, but position " + std::to_string(last) + " has it");
      return;
    }
  }
  for (const auto& [type, last] : lastOfType) {
    if (tryAppend(Query::fromEventTypes({type}), last - 1).committed) {
      problems.push_back("an append conditioned on no " + type + " after position " +
                         std::to_string(last - 1) + " succeeded, but position " +
                         std::to_string(last) + " is one");
      return;
    }
  }
  Query query = lastOfTag.empty() ? Query::fromEventTypes({"Opened"})
                                  : Query::fromTags({lastOfTag.begin()->first});
  std::optional<Position> after;
  if (!lastOfTag.empty()) after = lastOfTag.begin()->second;
  auto result = tryAppend(query, after);
  if (!result.committed || result.lastPosition != events.size() + 1) {
    problems.push_back("an append that no event contradicts " +
                       std::string(result.committed
                                       ? "got position " + std::to_string(result.lastPosition)
                                       : "failed: " + result.conflict) +
                       ", expected " + std::to_string(events.size() + 1));
    return;
  }
  events.push_back(SequencedEvent{probe[0].event, result.lastPosition, probe[0].metadata});
}

}  // namespace

std::vector<std::string> checkStore(const fs::path& storeDir, const Expectation& expected,
                                    bool reboot, StorageSettings settings) {
  std::vector<std::string> problems;
  // Each image is a copy of its own that no power cut follows: its syncs need not wait for the
  // disk.
  auto files = std::make_shared<NoSyncFileSystem>();
  const fs::path ledgerPath = storeDir / "ledger.json";
  if (reboot) {
    // The storage replays its whole journal only when the ledger names another boot of the
    // machine (boot_id): make it so, through the plugin's own ledger format.
    try {
      if (auto ledger = plugins::file_storage::readLedger(*files, ledgerPath)) {
        ledger->bootId = "00000000-0000-0000-0000-000000000000";
        plugins::file_storage::writeLedger(*files, ledgerPath, *ledger, false);
      }
    } catch (const std::exception& e) {
      problems.push_back(std::string("ledger unreadable after the power cut: ") + e.what());
      return problems;
    }
  }
  std::vector<SequencedEvent> events;
  auto logger = std::make_shared<RecordingLogger>();
  try {
    Stack stack(storeDir, files, settings, logger);
    events = stack.storage().read(Query::all(), {});
    checkEvents(events, expected, problems);
    if (!problems.empty()) return problems;
    checkIndex(stack.storage(), events, "after reopening", problems);
    if (!problems.empty()) return problems;
    checkConditions(stack.storage(), events, problems);
    if (!problems.empty()) return problems;
  } catch (const std::exception& e) {
    problems.push_back(std::string("reopening after the cut failed: ") + e.what());
    return problems;
  }
  for (const auto& trouble : logger->troubles()) problems.push_back(trouble);
  if (!problems.empty()) return problems;
  // Closed, the store wrote every event file and posting file: they must agree too.
  try {
    Stack stack(storeDir, files, settings, logger);
    auto again = stack.storage().read(Query::all(), {});
    if (again.size() != events.size()) {
      problems.push_back("after closing and opening again: " + std::to_string(again.size()) +
                         " events instead of " + std::to_string(events.size()));
      return problems;
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (auto d = eventDifference(again[i], events[i]); !d.empty()) {
        problems.push_back("after closing and opening again: " + d);
        return problems;
      }
    }
    checkIndex(stack.storage(), again, "after closing and opening again", problems);
    if (!problems.empty()) return problems;
    // Enough appends to wrap the journal: the checkpoint writes and syncs every file the
    // recovered store believes it has.
    const int fill = static_cast<int>(settings.journalCapacityBytes / 200) + 2;
    for (int i = 0; i < fill; ++i) {
      std::vector<NewEvent> filler{numberedEvent(800000 + i, "Filler", {{"filler", "1"}})};
      sdk::AppendRequest request{&filler, nullptr};
      stack.storage().append(std::span<const sdk::AppendRequest>(&request, 1), {});
    }
    auto filled = stack.storage().read(Query::all(), {});
    if (filled.size() != events.size() + static_cast<std::size_t>(fill) ||
        !contiguityProblem(filled).empty()) {
      problems.push_back(
          "after appends that wrapped the journal: " + std::to_string(filled.size()) +
          " events instead of " + std::to_string(events.size() + static_cast<std::size_t>(fill)));
    }
  } catch (const std::exception& e) {
    problems.push_back(std::string("opening again and appending failed: ") + e.what());
  }
  for (const auto& trouble : logger->troubles()) problems.push_back(trouble);
  return problems;
}

Recorder::Recorder(PowerLossFileSystem& files, const History& history, std::uint64_t seed,
                   std::vector<CrashVariant> variants)
    : files_(files), history_(history), seed_(seed), variants_(std::move(variants)) {
  files_.setSyncHook([this](const std::string& what) {
    ++syncPoints_;
    cut("before " + what);
  });
}

void Recorder::cut(const std::string& label) {
  files_.atomically([&] {
    auto acknowledged = history_.acknowledged();
    bool migration = history_.migrationAcknowledged();
    for (auto variant : variants_) {
      std::uint64_t seed = seed_ + cuts_.size();
      cuts_.push_back({label, variant, seed, files_.image(variant, seed), acknowledged, migration});
    }
  });
}

std::vector<std::string> checkCuts(const std::vector<Cut>& cuts, const History& history,
                                   const fs::path& scratch, StorageSettings settings) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    const auto& cut = cuts[i];
    fs::path dir = scratch / ("cut-" + std::to_string(i));
    PowerLossFileSystem::layOut(cut.image, dir);
    auto found = checkStore(dir / "store",
                            expectationAt(history, cut.acknowledged, cut.migrationAcknowledged),
                            true, settings);
    for (const auto& problem : found) {
      problems.push_back("cut " + std::to_string(i) + " '" + cut.label + "', " +
                         variantName(cut.variant) + ", seed " + std::to_string(cut.seed) + ", " +
                         std::to_string(cut.acknowledged.size()) +
                         " batch(es) acknowledged: " + problem);
    }
    if (!found.empty() && std::getenv("OPOSSUM_POWER_LOSS_KEEP")) {
      fs::path keep =
          fs::path(std::getenv("OPOSSUM_POWER_LOSS_KEEP")) / ("cut-" + std::to_string(i));
      fs::remove_all(keep);
      PowerLossFileSystem::layOut(cut.image, keep);
    }
    fs::remove_all(dir);
  }
  return problems;
}

std::vector<CrashVariant> allVariants() {
  std::vector<CrashVariant> variants{CrashVariant::dropUnsynced, CrashVariant::keepUnsynced,
                                     CrashVariant::namesKept};
  for (int r = 0; r < rounds(); ++r) variants.push_back(CrashVariant::tornUnsynced);
  return variants;
}

int rounds() {
  const char* text = std::getenv("OPOSSUM_POWER_LOSS_ROUNDS");
  int n = text ? std::atoi(text) : 1;
  return n > 0 ? n : 1;
}

NewEvent numberedEvent(int id, std::string type, std::vector<Tag> tags) {
  Metadata metadata;
  metadata.timestamp = nanos(static_cast<std::int64_t>(id) * 1000000);
  metadata.correlationId = "c" + std::to_string(id);
  return makeEvent(std::move(type), "{\"id\":" + std::to_string(id) + "}", std::move(tags),
                   metadata);
}

}  // namespace opossum::test
