#include "store_access.hpp"

#include "cli_support.hpp"
#include "opossum/errors.hpp"
#include "opossum/maintenance.hpp"
#include "opossum/plugins.hpp"

namespace opossum::cli {

namespace {

// The serializer format the store's events are kept in ("opossum-cbor", 1), if the engine knows.
std::optional<std::pair<std::string, int>> storedSerializerFormat(const StoreConfig& config) {
  std::string part;
  try {
    part = openStoreMaintenance(config)->property("serializerFormat").value_or("");
  } catch (const Error&) {
    return std::nullopt;  // opening the store reports it
  }
  // "<name> version <n>"
  const std::string separator = " version ";
  auto at = part.rfind(separator);
  if (at == std::string::npos) return std::nullopt;
  try {
    return std::make_pair(part.substr(0, at), std::stoi(part.substr(at + separator.size())));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Without a config the default serializer is json; a store written by another serializer names
// its format in the manifest, and the plugin writing that format is taken instead.
void adoptManifestSerializer(StoreConfig& config) {
  auto recorded = storedSerializerFormat(config);
  if (!recorded) return;
  for (const auto& info : findPlugins(config).plugins) {
    if (info.kind != "serializer") continue;
    try {
      auto serializer = loadSerializer(config, PluginChoice{info.name, info.file, {}});
      if (serializer->formatName() == recorded->first &&
          serializer->formatVersion() == recorded->second) {
        config.serializer = PluginChoice{info.name, std::nullopt, {}};
        return;
      }
    } catch (const Error&) {
      // A serializer that needs options cannot be the one; the store's own check reports.
    }
  }
}

void addPluginPaths(const StoreArgs& args, StoreConfig& config) {
  std::vector<fs::path> paths(args.pluginPaths.begin(), args.pluginPaths.end());
  paths.insert(paths.end(), config.pluginPaths.begin(), config.pluginPaths.end());
  config.pluginPaths = std::move(paths);
}

}  // namespace

void addPluginPathOptions(CLI::App& command, StoreArgs& args) {
  command.add_option("--config", args.config, "config file (.json, .ini or .xml)")
      ->check(CLI::ExistingFile);
  command.add_option("--plugin-path", args.pluginPaths,
                     "extra plugin folder, searched first (repeatable)");
}

void addStoreOptions(CLI::App& command, StoreArgs& args) {
  addPluginPathOptions(command, args);
  command.add_option("--root", args.root,
                     "folder holding the stores (default: the config's, else OpossumStore)");
  command.add_option("--store", args.store, "store name (overrides the config's)");
  command.add_option("--serializer", args.serializer,
                     "serializer plugin (default: the config's, else the store's own, else json)");
  command.add_option("--index", args.index, "index plugin (default: the config's, else tag-index)");
  command.add_flag("--json", args.json, "machine-readable output (JSON; JSON lines for events)");
}

StoreConfig resolvePluginConfig(const StoreArgs& args) {
  StoreConfig config =
      args.config.empty() ? defaultConfig(EventStoreOptions{}) : loadConfig(args.config);
  if (args.config.empty()) config.logLevel = "warn";
  addPluginPaths(args, config);
  return config;
}

StoreConfig resolveConfig(const StoreArgs& args) {
  if (args.config.empty() && args.store.empty()) {
    throw UsageError("give --config FILE, or --root DIR --store NAME");
  }
  StoreConfig config = resolvePluginConfig(args);
  if (!args.root.empty()) config.options.rootPath = args.root;
  if (!args.store.empty()) config.options.storeName = args.store;
  if (!args.index.empty()) config.index = PluginChoice{args.index, std::nullopt, {}};
  if (!args.serializer.empty()) {
    config.serializer = PluginChoice{args.serializer, std::nullopt, {}};
  } else if (args.config.empty()) {
    adoptManifestSerializer(config);
  }
  return config;
}

std::string storeLocation(const StoreConfig& config) {
  try {
    if (auto location = openStoreMaintenance(config)->property("location")) return *location;
  } catch (const Error&) {
    // A store that cannot be looked at is named by its config.
  }
  return fs::absolute(config.options.rootPath / config.options.storeName)
      .lexically_normal()
      .string();
}

std::shared_ptr<sdk::StorageMaintenance> requireExistingStore(const StoreConfig& config) {
  auto maintenance = openStoreMaintenance(config);
  // CorruptionError when the store holds events but is damaged.
  if (!maintenance->exists()) {
    throw Error("no store at '" + storeLocation(config) + "'");
  }
  return maintenance;
}

std::shared_ptr<sdk::Serializer> jsonSerializer(const StoreConfig& config) {
  return loadSerializer(config, PluginChoice{"json", std::nullopt, {}});
}

}  // namespace opossum::cli
