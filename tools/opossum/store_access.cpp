#include "store_access.hpp"

#include "cli_support.hpp"
#include "logging.hpp"
#include "opossum/errors.hpp"
#include "opossum/maintenance.hpp"

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
  detail::PluginHost host(config.pluginPaths, config.file);
  for (const auto& info : host.discover()) {
    if (info.kind != OPOSSUM_PLUGIN_SERIALIZER) continue;
    try {
      PluginChoice choice{info.name, info.file, {}};
      auto serializer = createSerializer(config, choice);
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
  // Warnings and errors of the kernel still reach stderr; its routine info lines would clutter
  // the output of a tool.
  detail::setLogLevel(config.logLevel,
                      config.file.empty() ? "logging.level" : config.file.string());
  return config;
}

fs::path storeDirectory(const StoreConfig& config) {
  return config.options.rootPath / config.options.storeName;
}

void requireExistingStore(const StoreConfig& config) {
  // CorruptionError when the store holds events but is damaged.
  if (!openStoreMaintenance(config)->exists()) {
    throw Error("no store at '" + storeDirectory(config).string() + "'");
  }
}

std::shared_ptr<detail::EventStoreImpl> openEventStore(const StoreConfig& config) {
  return std::make_shared<detail::EventStoreImpl>(config);
}

std::shared_ptr<sdk::Serializer> createSerializer(const StoreConfig& config,
                                                  const PluginChoice& choice) {
  detail::PluginHost host(config.pluginPaths, config.file);
  return host.create<sdk::Serializer>(
      choice, sdk::SerializerContext{choice.options, detail::pluginLogger(choice.name)});
}

std::shared_ptr<sdk::Index> createIndex(const StoreConfig& config, const fs::path& directory) {
  detail::PluginHost host(config.pluginPaths, config.file);
  return host.create<sdk::Index>(
      config.index,
      sdk::IndexContext{directory, sdk::posixFileSystem(), detail::pluginLogger(config.index.name),
                        config.index.options});
}

std::optional<detail::PluginInfo> findPluginInfo(const StoreConfig& config, std::uint32_t kind,
                                                 const PluginChoice& choice) {
  detail::PluginHost host(config.pluginPaths, config.file);
  for (auto& info : host.discover()) {
    if (info.kind != kind) continue;
    std::error_code ec;
    if (choice.file ? fs::equivalent(info.file, *choice.file, ec) : info.name == choice.name) {
      return info;
    }
  }
  return std::nullopt;
}

}  // namespace opossum::cli
