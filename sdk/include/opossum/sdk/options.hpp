// A plugin's own options, as given in the config file (plugins.<kind>.*, less "name" and "file").
// Plugins read them through OptionReader, which refuses unknown keys and wrong types with a
// ConfigError naming the key.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "opossum/export.hpp"

namespace opossum::sdk {

using PluginOptions = std::map<std::string, std::string>;

class OPOSSUM_EXPORT OptionReader {
 public:
  // `owner` names the plugin in messages, e.g. "storage plugin 'file-per-event'".
  OptionReader(const PluginOptions& options, std::string owner);

  std::string getString(const std::string& key, const std::string& fallback);
  bool getBool(const std::string& key, bool fallback);
  std::uint64_t getUnsigned(const std::string& key, std::uint64_t fallback);
  // Throws ConfigError for every key that no getter asked for.
  void finish() const;

 private:
  const PluginOptions& options_;
  std::string owner_;
  std::set<std::string> used_;
};

}  // namespace opossum::sdk
