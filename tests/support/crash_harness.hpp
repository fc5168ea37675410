// Kills appending processes with SIGKILL at random moments and checks what recovery leaves (SPEC
// §1: append is all-or-nothing, acknowledged events survive a process crash; §4: recovery on open).
//
// Children append batches of 1-20 events as fast as they can. Each event is generated from
// (batch id, index), so the parent regenerates and compares every event it finds. After each
// acknowledged append a child writes an ack record (batch id, first position, count) to a pipe;
// a batch refused by its append condition is reported too (it must be absent).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "opossum/event_store.hpp"

namespace opossum::test {

struct CrashOptions {
  int children = 1;             // processes appending concurrently, killed at once
  bool randomChildren = false;  // 2 or `children` children per iteration, at random
  bool flush = true;  // flushEventsImmediately of the children (randomized when `mixedFlush`)
  bool mixedFlush = false;
  int iterations = 60;           // overridden by OPOSSUM_CRASH_ITERATIONS
  int fullIndexCheckEvery = 10;  // other iterations check the index for the new positions only
  // When set, stores are opened through a config file giving the storage this journal size, so
  // the journal wraps (checkpoints) often.
  std::uint64_t journalCapacityBytes = 0;
};

// The generated batch `batch` (its size follows from the id).
std::vector<NewEvent> crashBatch(std::uint64_t batch);

struct CrashReport {
  std::uint64_t seed = 0;  // OPOSSUM_CRASH_SEED repeats a run
  int iterations = 0;
  Position head = 0;
  std::size_t acknowledged = 0;  // batches
  std::size_t rejected = 0;      // batches refused by their condition
  std::size_t killedWhileOpening = 0;
  std::vector<std::string> problems;  // empty when every check passed
};

// Runs the whole experiment on {root}/crash. Never throws for a failed check: see `problems`.
CrashReport runCrashExperiment(const std::filesystem::path& root, const CrashOptions& options);

}  // namespace opossum::test
