// tag-migration.json: the plan of one step of addTags (positions and the tags each gains),
// written (and synced) before any event file or index changes, and removed once the step is
// durable. Recovery applies a plan it finds again; applying is idempotent.
#pragma once

#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "opossum/sdk/file_system.hpp"
#include "opossum/types.hpp"

namespace opossum::plugins::file_storage {

struct TagAddition {
  Position position = 0;
  std::vector<Tag> tags;
};

void writeMigrationPlan(sdk::FileSystem& fs, const std::filesystem::path& path,
                        const std::vector<TagAddition>& plan, bool sync);
// nullopt when there is no plan; CorruptionError when it cannot be read.
std::optional<std::vector<TagAddition>> readMigrationPlan(sdk::FileSystem& fs,
                                                          const std::filesystem::path& path);

// The tags of `wanted` whose key `event` does not have yet, without exact duplicates.
std::vector<Tag> newTags(const DomainEvent& event, const std::vector<Tag>& wanted);

}  // namespace opossum::plugins::file_storage
