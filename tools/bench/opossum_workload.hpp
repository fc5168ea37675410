// The Opossum column: the kernel API over one plugin stack. The default stack is what
// createEventStore gives; another stack (e.g. a CBOR serializer) is another OpossumStack, made
// from a serializer name or from a config file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "workload.hpp"

namespace opossum::bench {

struct OpossumStack {
  std::string label = "opossum";  // the column header
  // A config file (.json, .ini or .xml) naming the plugins and their options. Its store name,
  // rootPath and flushEventsImmediately are replaced by the benchmark's own.
  std::optional<std::filesystem::path> configTemplate;
  // A serializer plugin to use instead of the config's (or the default) one, e.g. "cbor".
  std::optional<std::string> serializer;

  bool isDefault() const { return !configTemplate && !serializer; }
};

class OpossumWorkload : public Workload {
 public:
  explicit OpossumWorkload(OpossumStack stack);

  std::string name() const override { return stack_.label; }
  std::string description() const override;
  std::string setting(Durability durability) const override;
  std::unique_ptr<OpenStore> open(const std::filesystem::path& dir, Durability durability) override;
  std::uint64_t diskBytes(const std::filesystem::path& dir) override;

 private:
  // Writes the config file the store of `dir` opens with; returns its path.
  std::filesystem::path writeConfig(const std::filesystem::path& dir, Durability durability) const;

  OpossumStack stack_;
};

}  // namespace opossum::bench
