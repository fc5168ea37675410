// Where projections keep their instances and checkpoints: an optional capability of a storage
// plugin (Capability::projectionStates), so that a store's engine is the unit of persistence. A
// database engine keeps them in the same database and writes a batch of instances together with
// its checkpoint in one transaction; fileProjectionStates() is the file engine's, and the kernel's
// for stores whose engine offers none.
//
// A projection's state lives in generations: the live one that readers use, and, while a rebuild
// runs, the one it builds. The kernel decides which is which through two records per projection,
// whose content it writes and parses itself: the checkpoint (the live generation and the position
// applied to it) and the rebuild's progress.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "opossum/export.hpp"
#include "opossum/sdk/capability.hpp"
#include "opossum/sdk/file_system.hpp"
#include "opossum/types.hpp"

namespace opossum::sdk {

// One instance of a projection: its key, the tags it is found by, and its state as compact JSON
// (as sdk::compactJson() writes it: UTF-8, numbers as written), which an engine keeps as given.
struct ProjectionInstance {
  std::string key;
  std::vector<Tag> tags;
  std::string json;
  friend bool operator==(const ProjectionInstance&, const ProjectionInstance&) = default;
};

// What a batch does to one instance: `next` replaces it, nullopt deletes it. `storedTags` are the
// tags of the instance as stored before the batch (empty when there was none), so an engine that
// indexes tags knows which entries to drop.
struct InstanceChange {
  std::string key;
  std::optional<ProjectionInstance> next;
  std::vector<Tag> storedTags;
};

enum class ProjectionRecordKind : std::uint32_t {
  checkpoint = 0,  // the live generation and the last position applied to it
  rebuild = 1,     // a rebuild in progress and how far its generation got
};

struct ProjectionRecord {
  ProjectionRecordKind kind = ProjectionRecordKind::checkpoint;
  std::string content;  // the kernel's text, stored as given
};

struct GenerationOptions {
  bool durable = true;        // a write is on stable storage when it returns
  bool writeProtect = false;  // files engines: state and record files read-only
  bool unpublished = false;   // no reader uses this generation yet (a rebuild's)
};

// One generation of one projection; it must not outlive the ProjectionStates that made it. Not
// thread-safe: the projection's owner serialises calls.
class OPOSSUM_EXPORT ProjectionGeneration {
 public:
  virtual ~ProjectionGeneration() = default;
  // Finishes or undoes a write that a crash interrupted.
  virtual void recover() = 0;
  virtual std::optional<ProjectionInstance> read(const std::string& key) = 0;
  // Applies every change and writes `record` (when given) as one atomic step: after a crash and
  // recover(), either all of it is there or none of it.
  virtual void write(const std::vector<InstanceChange>& changes,
                     const std::optional<ProjectionRecord>& record) = 0;
  // Every instance, in key order (file engines: in file-name order).
  virtual std::vector<ProjectionInstance> all() = 0;
  // The instances carrying every tag of `tags` (all when empty), in the order of all().
  virtual std::vector<ProjectionInstance> withTags(const std::vector<Tag>& tags) = 0;
  virtual std::uint64_t count() = 0;
};

// The projection state of one store: Capability::projectionStates.
class OPOSSUM_EXPORT ProjectionStates {
 public:
  virtual ~ProjectionStates() = default;
  virtual std::optional<std::string> readRecord(const std::string& projection,
                                                ProjectionRecordKind kind) = 0;
  virtual void writeRecord(const std::string& projection, const ProjectionRecord& record,
                           const GenerationOptions& options) = 0;
  virtual void removeRecord(const std::string& projection, ProjectionRecordKind kind) = 0;
  // The generations the projection has stored, in no particular order.
  virtual std::vector<std::uint64_t> generations(const std::string& projection) = 0;
  virtual void removeGeneration(const std::string& projection, std::uint64_t generation) = 0;
  virtual std::unique_ptr<ProjectionGeneration> generation(const std::string& projection,
                                                           std::uint64_t generation,
                                                           const GenerationOptions& options) = 0;
};

template <>
struct CapabilityId<ProjectionStates> {
  static constexpr Capability value = Capability::projectionStates;
};

// Projection state in files under `root`: {root}/{projection}/g{N}/ with one state file per
// instance (state/), tag markers (tags/{tag}/{instance}) and, while a batch is written, its
// journal, which recover() redoes; records are {root}/_checkpoints/{projection}.json and
// .rebuild.json. Human-readable, like the file engine's events.
OPOSSUM_EXPORT std::shared_ptr<ProjectionStates> fileProjectionStates(
    std::filesystem::path root, std::shared_ptr<FileSystem> fileSystem);

}  // namespace opossum::sdk
