// Finds, checks and loads plugin libraries (Boost.DLL). Every object a plugin creates keeps its
// library loaded until the object is destroyed.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "opossum/config.hpp"
#include "opossum/plugins.hpp"
#include "opossum/sdk/plugin.hpp"

namespace opossum::detail {

// What a library declares, as the public PluginDescription (kind "incompatible" for another ABI
// major) and the kind's number.
struct PluginInfo : PluginDescription {
  std::uint32_t kindId = 0;  // OPOSSUM_PLUGIN_STORAGE, ...; 0 for another ABI major
};

std::string kindName(std::uint32_t kind);  // "storage", "serializer", ...

// <folder of the library or executable holding the kernel>/opossum/plugins (may not exist).
std::filesystem::path installedPluginDir();

class PluginHost {
 public:
  // Search order: `configPaths`, then OPOSSUM_PLUGIN_PATH (':'-separated), then the installed
  // plugin folder next to the kernel library. `configFile` is named in errors.
  PluginHost(std::vector<std::filesystem::path> configPaths, std::filesystem::path configFile = {});

  // The existing folders, canonical and without duplicates, in search order.
  const std::vector<std::filesystem::path>& searchPath() const { return searchPath_; }
  // Folders that were asked for but do not exist (skipped, and named in "not found" errors).
  const std::vector<std::filesystem::path>& missingDirectories() const { return missing_; }

  // Every plugin library found on the search path (files that are not plugins are skipped).
  // Libraries of another ABI major are listed too, with kind 0, no name and their ABI version.
  std::vector<PluginInfo> discover() const;

  // Creates the plugin chosen for `Interface`. PluginError (naming the file, the search path and
  // both ABI versions) when it cannot be found, loaded or checked, or declares an ABI minor below
  // `minimumMinor` (`need` says what for); ConfigError for bad options. `loaded`, when given,
  // receives what the library declares; the caller never calls a method newer than its ABI minor.
  template <class Interface>
  std::shared_ptr<Interface> create(const PluginChoice& choice,
                                    const typename sdk::PluginTraits<Interface>::Context& context,
                                    PluginInfo* loaded = nullptr, std::uint32_t minimumMinor = 0,
                                    const std::string& need = {}) {
    return std::static_pointer_cast<Interface>(createRaw(
        sdk::PluginTraits<Interface>::kind, choice,
        [&](const PluginInfo&) -> const void* { return &context; }, loaded, minimumMinor, need));
  }
  // The same, with the context made by `makeContext(info)` once the plugin is found, so that it
  // fits the ABI minor the plugin declares.
  template <class Interface, class MakeContext>
  std::shared_ptr<Interface> createFitted(const PluginChoice& choice, MakeContext makeContext,
                                          PluginInfo* loaded = nullptr,
                                          std::uint32_t minimumMinor = 0,
                                          const std::string& need = {}) {
    std::optional<typename sdk::PluginTraits<Interface>::Context> context;
    return std::static_pointer_cast<Interface>(createRaw(
        sdk::PluginTraits<Interface>::kind, choice,
        [&](const PluginInfo& info) -> const void* {
          context.emplace(makeContext(info));
          return &*context;
        },
        loaded, minimumMinor, need));
  }

 private:
  // The object is returned as shared_ptr<void> whose deleter calls the plugin's destroy and then
  // releases the library.
  std::shared_ptr<void> createRaw(std::uint32_t kind, const PluginChoice& choice,
                                  const std::function<const void*(const PluginInfo&)>& context,
                                  PluginInfo* loaded, std::uint32_t minimumMinor,
                                  const std::string& need);
  std::string describeSearchPath() const;

  std::vector<std::filesystem::path> searchPath_;
  std::vector<std::filesystem::path> missing_;
  std::filesystem::path configFile_;
};

}  // namespace opossum::detail
