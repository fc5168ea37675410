// The value types shared by applications, the kernel and plugins.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace opossum {

using Position = std::uint64_t;

struct Tag {
  std::string key;
  std::string value;
  friend auto operator<=>(const Tag&, const Tag&) = default;
  friend bool operator==(const Tag&, const Tag&) = default;
};

using Timestamp = std::chrono::system_clock::time_point;

struct Metadata {
  std::optional<Timestamp> timestamp;
  std::optional<std::string> correlationId;
  std::optional<std::string> causationId;
  std::optional<std::string> operationId;
  std::optional<std::string> userId;
  friend bool operator==(const Metadata&, const Metadata&) = default;
};

struct DomainEvent {
  std::string eventType;
  std::string event;  // a JSON object, as text
  std::vector<Tag> tags;
  friend bool operator==(const DomainEvent&, const DomainEvent&) = default;
};

struct NewEvent {
  DomainEvent event;
  Metadata metadata;
  friend bool operator==(const NewEvent&, const NewEvent&) = default;
};

struct SequencedEvent {
  DomainEvent event;
  Position position = 0;
  Metadata metadata;
  friend bool operator==(const SequencedEvent&, const SequencedEvent&) = default;
};

struct ReadOptions {
  bool descending = false;
  std::optional<Position> fromPosition;  // exclusive lower bound, in both directions
  std::optional<std::size_t> maxCount;
};

struct TagMigrationResult {
  std::size_t tagsAdded = 0;
  std::size_t eventsProcessed = 0;
};

}  // namespace opossum
