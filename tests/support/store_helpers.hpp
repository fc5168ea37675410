// Helpers for tests that drive whole stores: plugin lookup, building events, comparing events and
// snapshots of directory trees.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "opossum/config.hpp"
#include "opossum/event_store.hpp"

namespace opossum::test {

// Points OPOSSUM_PLUGIN_PATH at the in-tree plugin folder, so the kernel (linked statically into
// the test program, far from the installed plugin folder) finds the plugins.
void usePluginDir();

// Whether OPOSSUM_TEST_STORAGE=postgres: tests tagged [engines] run once per storage engine.
bool onPostgres();

// The "storage" section of a JSON config that puts a test's stores on the tests' PostgreSQL
// server, in a schema named after the test's own temporary folder `dir` (so tests that use the
// same store names never meet).
std::string postgresStorageJson(const std::filesystem::path& dir);

NewEvent makeEvent(std::string type, std::string json = "{}", std::vector<Tag> tags = {},
                   Metadata metadata = {});

// A store under `root` with the default plugins and the given tweaks; with
// OPOSSUM_TEST_STORAGE=postgres, a store of that name on the tests' PostgreSQL server instead.
std::shared_ptr<Store> openStore(const std::filesystem::path& root, const std::string& name,
                                 bool flush = true);

// The default config of store `name` under `root`, logging errors only.
StoreConfig defaultStoreConfig(const std::filesystem::path& root, const std::string& name);

// Every file and folder below `dir` (relative names) with the size of files (-1 for folders).
std::map<std::string, std::intmax_t> snapshot(const std::filesystem::path& dir);

// Whether `path` exists within `timeout`. Event files are written from the journal in the
// background, shortly after their append returns (and all of them when the store is closed).
bool eventuallyExists(const std::filesystem::path& path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));

// "" when `a` and `b` are the same event (payloads compared as JSON text with whitespace
// removed outside strings), else what differs.
std::string eventDifference(const SequencedEvent& a, const SequencedEvent& b);

// The payload without insignificant whitespace.
std::string compactJson(const std::string& json);

// "" when positions are exactly first, first+1, ... in order; else the first problem.
std::string contiguityProblem(const std::vector<SequencedEvent>& events, Position first = 1);

// The integer member `name` of a flat JSON payload written by the tests ({"w":1,"b":2,...}), or
// -1 when absent.
long long payloadNumber(const std::string& json, const std::string& name);

// "" when the two JSON texts are the same value (object members in the same order, numbers equal
// in value), else where they differ or which text is not JSON.
std::string jsonMismatch(const std::string& expected, const std::string& actual);

// The positions of `events`, in order.
std::vector<Position> positionsOf(const std::vector<SequencedEvent>& events);

ReadOptions options(bool descending, std::optional<Position> from = std::nullopt,
                    std::optional<std::size_t> max = std::nullopt);

// A timestamp `n` nanoseconds after the epoch.
Timestamp nanos(std::int64_t n);

}  // namespace opossum::test
