// How a command finds its store and plugins: --config FILE, or --root DIR --store NAME with the
// default plugins (the serializer is taken from the store's manifest when it names another one).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "opossum/config.hpp"
#include "opossum/event_store.hpp"
#include "opossum/sdk/maintenance.hpp"
#include "opossum/sdk/serializer.hpp"

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

// Where the store is, for people: its folder, or its database and schema (the engine's
// "location" property).
std::string storeLocation(const StoreConfig& config);
// The store's maintenance; an error unless the store exists (CorruptionError when it is damaged):
// read-only commands never create one.
std::shared_ptr<sdk::StorageMaintenance> requireExistingStore(const StoreConfig& config);

// The json serializer, which writes and reads the NDJSON lines of export, import and read.
std::shared_ptr<sdk::Serializer> jsonSerializer(const StoreConfig& config);

}  // namespace opossum::cli
