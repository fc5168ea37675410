#include "index_file_names.hpp"

#include "line_format.hpp"
#include "opossum/sdk/file_names.hpp"

namespace opossum::plugins::tag_index {

std::filesystem::path typeFilePath(std::string_view eventType) {
  return kTypesFolder / (sdk::fileStem(eventType) + ".idx");
}

std::filesystem::path tagFilePath(const Tag& tag) {
  return kTagsFolder / (sdk::tagFileStem(tag) + ".idx");
}

std::string typeHeader(std::string_view eventType) {
  std::string line(kFormatName);
  line += " " + std::to_string(kFormatVersion) + " type ";
  appendJsonString(line, eventType);
  line += '\n';
  return line;
}

std::string tagHeader(const Tag& tag) {
  std::string line(kFormatName);
  line += " " + std::to_string(kFormatVersion) + " tag ";
  appendJsonString(line, tag.key);
  line += ' ';
  appendJsonString(line, tag.value);
  line += '\n';
  return line;
}

std::string positionsHeader() {
  return std::string(kFormatName) + " " + std::to_string(kFormatVersion) + " positions\n";
}

}  // namespace opossum::plugins::tag_index
