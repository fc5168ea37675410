// A store's configuration: its options and the plugin chosen for each part, as a config file
// (SPEC §5, read with Boost.PropertyTree) or code gives them.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "opossum/event_store.hpp"
#include "opossum/export.hpp"
#include "opossum/sdk/options.hpp"

namespace opossum {

// Which plugin serves one part, and the plugin's own options.
struct PluginChoice {
  // e.g. "json". Empty only with `file` when the config named no plugin: whatever plugin of the
  // right kind that file holds is taken.
  std::string name;
  std::optional<std::filesystem::path> file;  // an explicit library file, instead of a search
  sdk::PluginOptions options;                 // every other key of plugins.<kind>
  friend bool operator==(const PluginChoice&, const PluginChoice&) = default;
};

// plugins.projections: the runner ProjectionDaemon loads and the projection plugins
// ProjectionManager registers.
struct ProjectionsConfig {
  bool configured = false;  // the config file has a plugins.projections section
  // plugins.projections.runner; its keys other than name, file, pollingIntervalMs and batchSize
  // are the runner plugin's options.
  PluginChoice runner{"projection-daemon", std::nullopt, {}};
  std::chrono::milliseconds pollingInterval{5000};
  std::size_t batchSize = 1000;
  std::vector<std::string> libraries;  // projection plugins, by name
  friend bool operator==(const ProjectionsConfig&, const ProjectionsConfig&) = default;
};

struct StoreConfig {
  std::filesystem::path file;  // the config file, for messages ("" when built in code)
  EventStoreOptions options;
  std::vector<std::filesystem::path>
      pluginPaths;  // relative ones resolved against the file's folder
  PluginChoice storage{"file-per-event", std::nullopt, {}};
  PluginChoice serializer{"json", std::nullopt, {}};
  PluginChoice index{"tag-index", std::nullopt, {}};
  ProjectionsConfig projections;
  std::string logLevel = "info";
};

// Reads a .json, .ini or .xml config (the format is chosen by the extension; config/README.md
// documents every key). Unknown keys, wrong types and unreadable files are ConfigErrors naming the
// file and the key. store.rootPath stays relative to the process's current directory (like
// EventStoreOptions::rootPath); plugins.path entries and plugins.<kind>.file are resolved against
// the config file's folder.
OPOSSUM_EXPORT StoreConfig loadConfig(const std::filesystem::path& file);

// The defaults of createEventStore(options).
OPOSSUM_EXPORT StoreConfig defaultConfig(const EventStoreOptions& options);

// A store with the options and plugins of `config` (built in code, or read by loadConfig).
OPOSSUM_EXPORT std::shared_ptr<Store> createEventStore(const StoreConfig& config);

}  // namespace opossum
