// A system under test, seen through the few operations the benchmark rows need. Every row is
// written once against this interface, so a new column (another Opossum plugin stack, another
// database) is one more Workload and a new row is one more function in rows.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "machine_info.hpp"
#include "opossum/query.hpp"
#include "opossum/types.hpp"

namespace opossum::bench {

enum class Durability {
  kDurable,     // an acknowledged append survives power loss
  kNonDurable,  // an acknowledged append survives a crash of the process, not of the machine
};

// The store stayed locked by other writers for longer than the system's wait (SQLITE_BUSY after
// busy_timeout, Opossum's LockTimeoutError): the caller counts it and tries again.
class BusyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One thread's way into an open store. Opossum clients share one Store object, so appends from
// several clients meet in its group commit; a SQLite client owns its connection.
class Client {
 public:
  virtual ~Client() = default;
  // One atomic batch; returns the position of its last event. Throws AppendConditionFailedError
  // when the condition matched (nothing written) and BusyError as described above.
  virtual Position append(const std::vector<NewEvent>& events,
                          const std::optional<AppendCondition>& condition) = 0;
  virtual std::vector<SequencedEvent> read(const Query& query) = 0;
  virtual std::optional<SequencedEvent> readLast(const Query& query) = 0;
};

// The projection of rows 8-10: per value of the "customer" tag, the number of events carrying it.
constexpr const char* kCustomerCounts = "customer-counts";

// Keeps the customer counts of a store up to date in the background while it lives.
class ProjectionFollower {
 public:
  virtual ~ProjectionFollower() = default;
  virtual std::chrono::milliseconds pollingInterval() const = 0;
  // The stored count of one customer; nullopt while no event of it has been applied.
  virtual std::optional<std::uint64_t> count(const std::string& customer) = 0;
};

// A store opened in one directory; closed when destroyed (after all its clients and followers).
class OpenStore {
 public:
  virtual ~OpenStore() = default;
  virtual std::unique_ptr<Client> connect() = 0;
  // Recomputes the customer counts from every event of the store and stores them durably (at the
  // store's durability); returns the number of events applied.
  virtual std::uint64_t rebuildCustomerCounts() = 0;
  // The stored count of one customer after rebuildCustomerCounts; nullopt when it has none.
  virtual std::optional<std::uint64_t> customerCount(const std::string& customer) = 0;
  // Starts the system's background projection runner over this store, polling every `interval`
  // (nullopt: the runner's default); nullptr when the system has no such runner.
  virtual std::unique_ptr<ProjectionFollower> followCustomerCounts(
      std::optional<std::chrono::milliseconds> interval) {
    (void)interval;
    return nullptr;
  }
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string name() const = 0;         // the column header: short, no spaces
  virtual std::string description() const = 0;  // one line: what exactly runs
  // How each durability level is configured, e.g. "synchronous=FULL".
  virtual std::string setting(Durability durability) const = 0;
  // Opens the store that lives in `dir`, creating it when `dir` is empty.
  virtual std::unique_ptr<OpenStore> open(const std::filesystem::path& dir,
                                          Durability durability) = 0;
  // Bytes the store of `dir` takes: its folder's allocated blocks, plus what a database engine
  // keeps elsewhere.
  virtual std::uint64_t diskBytes(const std::filesystem::path& dir) { return diskUsage(dir); }
};

}  // namespace opossum::bench
