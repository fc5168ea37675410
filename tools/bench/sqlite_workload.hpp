// The SQLite column: the same operations on a straightforward SQLite event store (WAL mode,
// events + event_tags tables, one BEGIN IMMEDIATE transaction per append that checks the
// condition and inserts), the baseline of /work/shared/MEASUREMENTS.md.
#pragma once

#include "workload.hpp"

namespace opossum::bench {

class SqliteWorkload : public Workload {
 public:
  std::string name() const override { return "sqlite"; }
  std::string description() const override;
  std::string setting(Durability durability) const override;
  std::unique_ptr<OpenStore> open(const std::filesystem::path& dir, Durability durability) override;
};

}  // namespace opossum::bench
