#include "layout.hpp"

#include <charconv>
#include <cinttypes>
#include <cstdio>

namespace opossum::plugins::file_storage {

std::string eventFileName(Position position, std::string_view extension) {
  char name[32];
  std::snprintf(name, sizeof name, "%09" PRIu64, position);
  return name + std::string(extension);
}

std::optional<Position> eventFilePosition(std::string_view name, std::string_view extension) {
  if (name.size() <= extension.size() || !name.ends_with(extension)) return std::nullopt;
  std::string_view digits = name.substr(0, name.size() - extension.size());
  Position position = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), position);
  if (error != std::errc() || end != digits.data() + digits.size() || position == 0) {
    return std::nullopt;
  }
  if (eventFileName(position, extension) != name) return std::nullopt;  // not canonical
  return position;
}

}  // namespace opossum::plugins::file_storage
