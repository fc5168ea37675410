// How a command finds its store and plugins: --config FILE, or --root DIR --store NAME with the
// default plugins (the serializer is taken from the store's manifest when it names another one).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config.hpp"
#include "event_store.hpp"
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
detail::StoreConfig resolveConfig(const StoreArgs& args);
// Plugin search configuration only (the `plugins` command).
detail::StoreConfig resolvePluginConfig(const StoreArgs& args);

fs::path storeDirectory(const detail::StoreConfig& config);
// Error unless the store exists (its folder holds a commit record); read-only commands never
// create one.
void requireExistingStore(const detail::StoreConfig& config);

std::shared_ptr<detail::EventStoreImpl> openEventStore(const detail::StoreConfig& config);

// Plugin objects outside a store, for commands that look at the files themselves.
std::shared_ptr<sdk::Serializer> createSerializer(const detail::StoreConfig& config,
                                                  const detail::PluginChoice& choice);
std::shared_ptr<sdk::Index> createIndex(const detail::StoreConfig& config,
                                        const fs::path& directory);

// What the search path holds for the plugin chosen for `kind` (name, version, file).
std::optional<detail::PluginInfo> findPluginInfo(const detail::StoreConfig& config,
                                                 std::uint32_t kind,
                                                 const detail::PluginChoice& choice);

// The committed head recorded in `ledgerFile` (the file-per-event storage's ledger.json).
// CorruptionError naming the file when it cannot be read; nullopt when it does not exist.
std::optional<Position> readLedgerHead(const fs::path& ledgerFile);

}  // namespace opossum::cli
