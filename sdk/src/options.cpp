#include "opossum/sdk/options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "opossum/errors.hpp"

namespace opossum::sdk {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

OptionReader::OptionReader(const PluginOptions& options, std::string owner)
    : options_(options), owner_(std::move(owner)) {}

std::string OptionReader::getString(const std::string& key, const std::string& fallback) {
  used_.insert(key);
  auto it = options_.find(key);
  return it == options_.end() ? fallback : it->second;
}

bool OptionReader::getBool(const std::string& key, bool fallback) {
  used_.insert(key);
  auto it = options_.find(key);
  if (it == options_.end()) return fallback;
  const std::string value = lower(it->second);
  if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "0" || value == "no" || value == "off") return false;
  throw ConfigError("option '" + key + "' of " + owner_ + " must be a boolean (true/false), got '" +
                    it->second + "'");
}

std::uint64_t OptionReader::getUnsigned(const std::string& key, std::uint64_t fallback) {
  used_.insert(key);
  auto it = options_.find(key);
  if (it == options_.end()) return fallback;
  const std::string& text = it->second;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw ConfigError("option '" + key + "' of " + owner_ +
                      " must be an unsigned decimal integer, got '" + text + "'");
  }
  return value;
}

void OptionReader::finish() const {
  for (const auto& [key, value] : options_) {
    if (used_.count(key) != 0) continue;
    std::string known;
    for (const auto& name : used_) known += (known.empty() ? "" : ", ") + name;
    throw ConfigError("unknown option '" + key + "' for " + owner_ +
                      "; known options: " + (known.empty() ? "(none)" : known));
  }
}

}  // namespace opossum::sdk
