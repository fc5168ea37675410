// How a command finds its store and plugins: --config FILE, or --root DIR --store NAME with the
// default plugins (the serializer is taken from the store's manifest when it names another one).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "event_store.hpp"
#include "opossum/config.hpp"
#include "opossum/sdk/index.hpp"
#include "opossum/sdk/serializer.hpp"
#include "plugin_host.hpp"

namespace opossum::cli {

namespace fs = std::filesystem;

struct StoreArgs {
  std::string config;
  std::string root;
  std::string store;
  std::string serializer;
  std::string index;
  std::vector<std::string> pluginPaths;
  bool json = false;
};

// Adds --config, --root, --store, --serializer, --index, --plugin-path and --json to `command`.
void addStoreOptions(CLI::App& command, StoreArgs& args);
// --config and --plugin-path only (commands that need no store).
void addPluginPathOptions(CLI::App& command, StoreArgs& args);

// The effective configuration. UsageError when neither --config nor --store is given.
StoreConfig resolveConfig(const StoreArgs& args);
// Plugin search configuration only (the `plugins` command).
StoreConfig resolvePluginConfig(const StoreArgs& args);

fs::path storeDirectory(const StoreConfig& config);
// Error unless the store exists (CorruptionError when it is damaged); read-only commands never
// create one.
void requireExistingStore(const StoreConfig& config);

std::shared_ptr<detail::EventStoreImpl> openEventStore(const StoreConfig& config);

// Plugin objects outside a store, for commands that look at the files themselves.
std::shared_ptr<sdk::Serializer> createSerializer(const StoreConfig& config,
                                                  const PluginChoice& choice);
std::shared_ptr<sdk::Index> createIndex(const StoreConfig& config, const fs::path& directory);

// What the search path holds for the plugin chosen for `kind` (name, version, file).
std::optional<detail::PluginInfo> findPluginInfo(const StoreConfig& config, std::uint32_t kind,
                                                 const PluginChoice& choice);

}  // namespace opossum::cli
