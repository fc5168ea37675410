#include "line_format.hpp"

#include <algorithm>
#include <limits>

#include "opossum/errors.hpp"

namespace opossum::plugins::tag_index {

void appendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::optional<Position> parsePosition(std::string_view text) {
  if (text.size() > 20 || (!text.empty() && text[0] == '0' && text.size() > 1)) return std::nullopt;
  return parseDigits(text);
}

std::optional<Position> parseDigits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  Position value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    Position digit = static_cast<Position>(c - '0');
    if (value > (std::numeric_limits<Position>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

namespace {

void appendUtf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
  }
}

// A small cursor over one line; every parse step fails softly so that a torn line is detected.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  bool literal(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  bool peek(char c) const { return at_ < text_.size() && text_[at_] == c; }
  bool done() const { return at_ == text_.size(); }

  std::optional<Position> number() {
    std::size_t start = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
    return parsePosition(text_.substr(start, at_ - start));
  }

  std::optional<std::uint32_t> hex4() {
    if (text_.size() - at_ < 4) return std::nullopt;
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[at_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
    }
    return value;
  }

  std::optional<std::string> string() {
    if (!literal('"')) return std::nullopt;
    std::string out;
    while (at_ < text_.size()) {
      char c = text_[at_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (at_ == text_.size()) return std::nullopt;
      char e = text_[at_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          auto code = hex4();
          if (!code) return std::nullopt;
          if (*code >= 0xd800 && *code < 0xdc00) {
            if (!literal('\\') || !literal('u')) return std::nullopt;
            auto low = hex4();
            if (!low || *low < 0xdc00 || *low >= 0xe000) return std::nullopt;
            *code = 0x10000 + ((*code - 0xd800) << 10) + (*low - 0xdc00);
          }
          appendUtf8(out, *code);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace

void appendPositionLine(std::string& out, const sdk::IndexedEvent& event) {
  out.push_back('[');
  out += std::to_string(event.position);
  out.push_back(',');
  appendJsonString(out, event.eventType);
  out += ",[";
  for (std::size_t i = 0; i < event.tags.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('[');
    appendJsonString(out, event.tags[i].key);
    out.push_back(',');
    appendJsonString(out, event.tags[i].value);
    out.push_back(']');
  }
  out += "]]\n";
}

std::optional<sdk::IndexedEvent> parsePositionLine(std::string_view line) {
  Parser p(line);
  sdk::IndexedEvent event;
  if (!p.literal('[')) return std::nullopt;
  auto position = p.number();
  if (!position || !p.literal(',')) return std::nullopt;
  auto type = p.string();
  if (!type || !p.literal(',') || !p.literal('[')) return std::nullopt;
  event.position = *position;
  event.eventType = std::move(*type);
  if (!p.literal(']')) {
    do {
      if (!p.literal('[')) return std::nullopt;
      auto key = p.string();
      if (!key || !p.literal(',')) return std::nullopt;
      auto value = p.string();
      if (!value || !p.literal(']')) return std::nullopt;
      event.tags.push_back(Tag{std::move(*key), std::move(*value)});
    } while (p.literal(','));
    if (!p.literal(']')) return std::nullopt;
  }
  if (!p.literal(']') || !p.done()) return std::nullopt;
  return event;
}

TailReader::TailReader(sdk::ReadableFile& file, std::uint64_t begin, std::uint64_t end)
    : file_(file), begin_(begin), end_(end), bufStart_(end) {}

void TailReader::fill() {
  std::uint64_t chunk = std::max<std::uint64_t>(65536, buf_.size());
  chunk = std::min(chunk, bufStart_ - begin_);
  std::string data = file_.readAt(bufStart_ - chunk, chunk);
  if (data.size() != chunk) {
    throw CorruptionError("index file '" + file_.path().string() + "' shrank while being read at " +
                          std::to_string(bufStart_ - chunk));
  }
  bufStart_ -= chunk;
  buf_.insert(0, data);
}

bool TailReader::previous(std::string& line, std::uint64_t& start) {
  if (end_ <= begin_) return false;
  while (true) {
    if (bufStart_ < end_) {  // the line's final byte is buffered
      std::size_t last = end_ - 1 - bufStart_;
      std::size_t found = last == 0 ? std::string::npos : buf_.rfind('\n', last - 1);
      if (found != std::string::npos) {
        start = bufStart_ + found + 1;
        break;
      }
      if (bufStart_ == begin_) {
        start = begin_;
        break;
      }
    }
    fill();
  }
  line.assign(buf_, start - bufStart_, end_ - start);
  buf_.resize(start - bufStart_);
  end_ = start;
  return true;
}

}  // namespace opossum::plugins::tag_index
