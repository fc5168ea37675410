// The Store the kernel hands to applications: validation, group commit and the plugins that
// were chosen for it.
#pragma once

#include <memory>
#include <vector>

#include "group_commit.hpp"
#include "opossum/config.hpp"
#include "opossum/event_store.hpp"
#include "opossum/sdk/projection_state.hpp"
#include "opossum/sdk/storage.hpp"

namespace opossum::detail {

class EventStoreImpl : public Store {
 public:
  explicit EventStoreImpl(const StoreConfig& config);

  Position append(const std::vector<NewEvent>& events,
                  const std::optional<AppendCondition>& condition, std::stop_token cancel) override;
  std::vector<SequencedEvent> read(const Query& query, const ReadOptions& options) override;
  std::optional<SequencedEvent> readLast(const Query& query, std::stop_token cancel) override;
  void deleteStore(std::stop_token cancel) override;
  TagMigrationResult addTags(const std::string& eventType,
                             std::function<std::vector<Tag>(const SequencedEvent&)> tagFactory,
                             std::stop_token cancel) override;
  Position head() override;
  StoreDescription describe() override;

  const StoreConfig& config() const { return config_; }
  sdk::Storage& storage() { return *storage_; }
  // The storage's projection state (Capability::projectionStates), or nullptr when it keeps none.
  sdk::ProjectionStates* projectionStates();

 private:
  StoreConfig config_;
  std::vector<PluginDescription> plugins_;  // filled by createStorage, before storage_
  std::shared_ptr<sdk::Storage> storage_;
  GroupCommit commits_;
};

std::shared_ptr<Store> openStore(const StoreConfig& config);

}  // namespace opossum::detail
