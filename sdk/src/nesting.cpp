#include "opossum/sdk/nesting.hpp"

namespace opossum::sdk {

bool jsonNestsDeeperThan(std::string_view text, std::size_t limit) noexcept {
  std::size_t depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    switch (text[i]) {
      case '"':
        // Skip the string; an escape hides the character after the backslash.
        for (++i; i < text.size() && text[i] != '"'; ++i) {
          if (text[i] == '\\') ++i;
        }
        break;
      case '[':
      case '{':
        if (++depth > limit) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return false;
}

}  // namespace opossum::sdk
