// The plugins a store is made of, as tools see them: what the search path holds, what a store
// loaded, and a serializer for reading and writing event text in its format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "opossum/export.hpp"
#include "opossum/sdk/serializer.hpp"

namespace opossum {

struct StoreConfig;
struct PluginChoice;

struct PluginDescription {
  // "storage", "serializer", "index", "projection", "projection runner"; "incompatible" for a
  // library built for another ABI major (then without name and version).
  std::string kind;
  std::string name;
  std::string version;
  std::string description;
  std::uint32_t abiMajor = 0;
  std::uint32_t abiMinor = 0;
  std::filesystem::path file;
  // The data format of a serializer or index a store loaded ("opossum-json", 1); empty otherwise.
  std::string format;
  int formatVersion = 0;
};

struct PluginSearch {
  std::vector<std::filesystem::path> folders;  // existing folders, canonical, in search order
  std::vector<PluginDescription> plugins;      // every plugin library in them
};

// The plugins on the search path of `config`: plugins.path, then OPOSSUM_PLUGIN_PATH, then the
// installed plugin folder.
OPOSSUM_EXPORT PluginSearch findPlugins(const StoreConfig& config);

// The serializer plugin `choice`, found on the search path of `config`. PluginError when it
// cannot be loaded, ConfigError for bad options.
OPOSSUM_EXPORT std::shared_ptr<sdk::Serializer> loadSerializer(const StoreConfig& config,
                                                               const PluginChoice& choice);

}  // namespace opossum
