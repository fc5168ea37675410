// The "postgres" storage engine: the events of a store are rows of one PostgreSQL database, so
// writers on many machines share a store.
//
// Append: one transaction per group at READ COMMITTED. It first locks the store's row in
// `stores` (SELECT ... FOR UPDATE), which serialises the writers of one store and nobody else;
// every statement after that sees every commit before it, so each condition is checked against
// the whole store, and positions come from the row's head, gapless. Because positions are handed
// out under that lock and the lock is released by COMMIT, commits become visible in position
// order: a reader never sees N+1 without N (unlike a sequence, whose numbers become visible in
// commit order, not number order).
#pragma once

#include <memory>
#include <string>

#include "connection.hpp"
#include "opossum/sdk/maintenance.hpp"
#include "opossum/sdk/projection_state.hpp"
#include "opossum/sdk/storage.hpp"
#include "schema.hpp"

namespace opossum::plugins::postgres {

class PostgresStorage : public sdk::Storage {
 public:
  explicit PostgresStorage(const sdk::StorageContext& context);

  std::vector<sdk::AppendResult> append(std::span<const sdk::AppendRequest> requests,
                                        std::stop_token cancel) override;
  std::vector<SequencedEvent> read(const Query& query, const ReadOptions& options) override;
  std::optional<SequencedEvent> readLast(const Query& query) override;
  Position head() override;
  void deleteStore(std::stop_token cancel) override;
  TagMigrationResult addTags(
      const std::string& eventType,
      const std::function<std::vector<Tag>(const SequencedEvent&)>& tagFactory,
      std::stop_token cancel) override;
  void* capability(sdk::Capability id) override;

  // For the maintenance capability.
  ConnectionPool& pool() { return *pool_; }
  const Tables& tables() const { return tables_; }
  const std::string& storeName() const { return storeName_; }
  // The store's id, or nullopt when it has none (maintenance never creates one).
  std::optional<long long> findStore(Connection& connection);
  // The open store's id; IoError when it is not open (maintenance).
  long long storeId();

 private:
  // Locks the store's row until the transaction ends; its head.
  Position lockHead(Connection& connection, long long id, std::stop_token cancel);
  // The one statement that checks a request's condition and writes its events.
  Statement appendStatement(long long id, const sdk::AppendRequest& request);

  std::string storeName_;
  Tables tables_;
  std::unique_ptr<ConnectionPool> pool_;
  std::shared_ptr<sdk::Logger> logger_;
  std::optional<long long> storeId_;
  std::unique_ptr<sdk::StorageMaintenance> maintenance_;
  std::unique_ptr<sdk::ProjectionStates> projections_;
};

}  // namespace opossum::plugins::postgres
