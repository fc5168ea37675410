// The tag index's own check of its files against the committed events (sdk::IndexCheck, used by
// `opossum verify`): the mark, the positions log line by line, and every posting file, entry by
// entry, with nothing listed that no event explains.
#pragma once

#include <filesystem>
#include <memory>

#include "opossum/sdk/file_system.hpp"
#include "opossum/sdk/maintenance.hpp"

namespace opossum::plugins::tag_index {

class TagIndexCheck : public sdk::IndexCheck {
 public:
  TagIndexCheck(std::shared_ptr<sdk::FileSystem> files, std::filesystem::path directory)
      : files_(std::move(files)), directory_(std::move(directory)) {}
  std::vector<sdk::Problem> checkFiles(
      std::span<const std::optional<sdk::IndexedEvent>> events) override;

 private:
  std::shared_ptr<sdk::FileSystem> files_;
  std::filesystem::path directory_;
};

}  // namespace opossum::plugins::tag_index
