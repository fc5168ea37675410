// The postgres engine's projection state (sdk::ProjectionStates): instances in
// projection_instances, checkpoints and rebuild progress in projection_records, in the store's
// database. A batch of instances and its record are one transaction, so a checkpoint never
// claims more or less than the instances hold; nothing needs recovering after a crash.
#pragma once

#include "opossum/sdk/projection_state.hpp"

namespace opossum::plugins::postgres {

class PostgresStorage;

class PostgresProjectionStates final : public sdk::ProjectionStates {
 public:
  explicit PostgresProjectionStates(PostgresStorage& storage) : storage_(storage) {}

  std::optional<std::string> readRecord(const std::string& projection,
                                        sdk::ProjectionRecordKind kind) override;
  void writeRecord(const std::string& projection, const sdk::ProjectionRecord& record,
                   const sdk::GenerationOptions& options) override;
  void removeRecord(const std::string& projection, sdk::ProjectionRecordKind kind) override;
  std::vector<std::uint64_t> generations(const std::string& projection) override;
  void removeGeneration(const std::string& projection, std::uint64_t generation) override;
  std::unique_ptr<sdk::ProjectionGeneration> generation(
      const std::string& projection, std::uint64_t generation,
      const sdk::GenerationOptions& options) override;

 private:
  PostgresStorage& storage_;
};

}  // namespace opossum::plugins::postgres
