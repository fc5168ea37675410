#include "flat_json.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "opossum/errors.hpp"

namespace acme {

namespace {

class Parser {
 public:
  Parser(std::string_view text, const std::string& what) : text_(text), what_(what) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw opossum::InvalidArgumentError(what_ + " is not a valid JSON object: " + problem +
                                        " at offset " + std::to_string(at_));
  }
  void skipSpace() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }
  bool consume(char c) {
    skipSpace();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) fail(std::string("expected '") + c + "'");
  }
  bool atEnd() {
    skipSpace();
    return at_ == text_.size();
  }
  char peek() {
    skipSpace();
    if (at_ >= text_.size()) fail("unexpected end");
    return text_[at_];
  }

  static void appendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  std::uint32_t hex4() {
    if (at_ + 4 > text_.size()) fail("short \\u escape");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[at_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        fail("bad \\u escape");
      }
    }
    return value;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (true) {
      if (at_ >= text_.size()) fail("unterminated string");
      const char c = text_[at_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ >= text_.size()) fail("unterminated escape");
      switch (const char e = text_[at_++]) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {
            if (at_ + 2 > text_.size() || text_[at_] != '\\' || text_[at_ + 1] != 'u') {
              fail("lone surrogate");
            }
            at_ += 2;
            const std::uint32_t low = hex4();
            if (low < 0xDC00 || low >= 0xE000) fail("lone surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            fail("lone surrogate");
          }
          appendUtf8(out, cp);
          break;
        }
        default:
          fail("bad escape");
      }
    }
  }
  double number() {
    skipSpace();
    const std::size_t start = at_;
    if (at_ < text_.size() && text_[at_] == '-') ++at_;
    while (at_ < text_.size() &&
           std::string_view("0123456789.eE+-").find(text_[at_]) != std::string_view::npos) {
      ++at_;
    }
    const std::string literal(text_.substr(start, at_ - start));
    char* end = nullptr;
    const double value = std::strtod(literal.c_str(), &end);
    if (literal.empty() || end != literal.c_str() + literal.size() || !std::isfinite(value)) {
      at_ = start;
      fail("bad number");
    }
    return value;
  }
  void literal(std::string_view word) {
    skipSpace();
    if (text_.substr(at_, word.size()) != word) fail("unexpected character");
    at_ += word.size();
  }
  // Any value, checked and dropped.
  void skipValue(int depth = 0) {
    if (depth > 64) fail("nested too deeply");
    const char c = peek();
    if (c == '"') {
      string();
    } else if (c == '{') {
      expect('{');
      if (consume('}')) return;
      do {
        string();
        expect(':');
        skipValue(depth + 1);
      } while (consume(','));
      expect('}');
    } else if (c == '[') {
      expect('[');
      if (consume(']')) return;
      do {
        skipValue(depth + 1);
      } while (consume(','));
      expect(']');
    } else if (c == 't') {
      literal("true");
    } else if (c == 'f') {
      literal("false");
    } else if (c == 'n') {
      literal("null");
    } else {
      number();
    }
  }

 private:
  std::string_view text_;
  const std::string& what_;
  std::size_t at_ = 0;
};

}  // namespace

FlatJson FlatJson::parse(std::string_view text, const std::string& what) {
  FlatJson json;
  json.what_ = what;
  Parser parser(text, what);
  parser.expect('{');
  if (!parser.consume('}')) {
    do {
      std::string name = parser.string();
      parser.expect(':');
      const char c = parser.peek();
      if (c == '"') {
        json.strings_[name] = parser.string();
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        json.numbers_[name] = parser.number();
      } else {
        parser.skipValue();
      }
    } while (parser.consume(','));
    parser.expect('}');
  }
  if (!parser.atEnd()) parser.fail("text after the object");
  return json;
}

std::optional<std::string> FlatJson::string(const std::string& name) const {
  auto it = strings_.find(name);
  if (it == strings_.end()) return std::nullopt;
  return it->second;
}

std::optional<double> FlatJson::number(const std::string& name) const {
  auto it = numbers_.find(name);
  if (it == numbers_.end()) return std::nullopt;
  return it->second;
}

std::string FlatJson::requireString(const std::string& name) const {
  auto value = string(name);
  if (!value || value->empty()) {
    throw opossum::InvalidArgumentError(what_ + ": member '" + name +
                                        "' must be a non-empty string");
  }
  return *value;
}

long long FlatJson::requireInteger(const std::string& name) const {
  auto value = number(name);
  if (!value || *value != std::floor(*value) || std::fabs(*value) > 9.0e15) {
    throw opossum::InvalidArgumentError(what_ + ": member '" + name + "' must be an integer");
  }
  return static_cast<long long>(*value);
}

std::string quote(std::string_view text) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace acme
