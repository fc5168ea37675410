// plugins, delete-store.
#include <iostream>
#include <memory>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli_support.hpp"
#include "commands.hpp"
#include "opossum/plugins.hpp"
#include "store_access.hpp"

namespace opossum::cli {

namespace {

struct PluginsArgs {
  StoreArgs store;
  bool json = false;
};

void runPlugins(const PluginsArgs& args) {
  auto config = resolvePluginConfig(args.store);
  const PluginSearch search = findPlugins(config);
  const auto& found = search.plugins;
  auto abi = [](const PluginDescription& info) {
    return std::to_string(info.abiMajor) + "." + std::to_string(info.abiMinor);
  };
  if (args.json) {
    for (const auto& info : found) {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
      auto field = [&](const char* name, const std::string& value) {
        w.Key(name);
        w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
      };
      w.StartObject();
      field("kind", info.kind);
      field("name", info.name);
      field("version", info.version);
      field("abi", abi(info));
      field("file", info.file.string());
      field("description", info.description);
      w.EndObject();
      std::cout << buffer.GetString() << '\n';
    }
    return;
  }
  std::vector<std::array<std::string, 5>> rows{{"KIND", "NAME", "VERSION", "ABI", "FILE"}};
  for (const auto& info : found) {
    rows.push_back({info.kind, info.name.empty() ? "-" : info.name,
                    info.version.empty() ? "-" : info.version, abi(info), info.file.string()});
  }
  std::array<std::size_t, 5> width{};
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    std::cout << line << '\n';
  }
  if (found.empty()) {
    std::string path;
    for (const auto& dir : search.folders) path += (path.empty() ? "" : ":") + dir.string();
    std::cout << "(no plugins on the search path " << (path.empty() ? "(empty)" : path) << ")\n";
  }
}

struct DeleteArgs {
  StoreArgs store;
  bool yes = false;
};

void runDelete(const DeleteArgs& args) {
  auto config = resolveConfig(args.store);
  if (!args.yes) {
    throw UsageError("delete-store removes every event of '" + storeLocation(config) +
                     "'; add --yes to confirm");
  }
  requireExistingStore(config);
  auto store = createEventStore(config);
  const Position head = store->head();
  store->deleteStore({});
  if (args.store.json) {
    std::cout << "{\"deleted\":" << head << "}\n";
  } else {
    std::cout << "deleted store " << storeLocation(config) << " (" << plural(head, "event")
              << ")\n";
  }
}

}  // namespace

void registerAdminCommands(CLI::App& app, int& status) {
  (void)status;
  {
    auto args = std::make_shared<PluginsArgs>();
    auto* cmd = app.add_subcommand(
        "plugins", "list the plugins on the search path: kind, name, version, ABI, file");
    addPluginPathOptions(*cmd, args->store);
    cmd->add_flag("--json", args->json, "one JSON object per plugin");
    cmd->footer(
        "Search order: plugins.path of --config, --plugin-path, OPOSSUM_PLUGIN_PATH, then the\n"
        "installed folder (lib/opossum/plugins beside bin/).\n"
        "Example:\n  opossum plugins --plugin-path ./my-plugins");
    cmd->callback([args] { runPlugins(*args); });
  }
  {
    auto args = std::make_shared<DeleteArgs>();
    auto* cmd = app.add_subcommand("delete-store", "delete every event and index of a store");
    addStoreOptions(*cmd, args->store);
    cmd->add_flag("--yes", args->yes, "confirm: really delete");
    cmd->footer("Example:\n  opossum delete-store --root ./data --store scratch --yes");
    cmd->callback([args] { runDelete(*args); });
  }
}

}  // namespace opossum::cli
