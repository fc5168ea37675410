#include "index_file_names.hpp"

#include "line_format.hpp"
#include "sha256.hpp"

namespace opossum::plugins::tag_index {

std::string encodeName(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') || byte == '_' ||
        byte == '-') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

std::string shortenName(const std::string& encoded) {
  if (encoded.size() <= kMaxEncodedName) return encoded;
  // Keep the prefix readable: never cut inside a %XX triple.
  std::size_t cut = 120;
  if (encoded[cut - 1] == '%') {
    cut -= 1;
  } else if (encoded[cut - 2] == '%') {
    cut -= 2;
  }
  return encoded.substr(0, cut) + "~" + sha256Hex(encoded);
}

std::filesystem::path typeFilePath(std::string_view eventType) {
  return kTypesFolder / (shortenName(encodeName(eventType)) + ".idx");
}

std::filesystem::path tagFilePath(const Tag& tag) {
  // '=' never appears in an encoded name, so key and value stay apart.
  return kTagsFolder / (shortenName(encodeName(tag.key) + "=" + encodeName(tag.value)) + ".idx");
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
