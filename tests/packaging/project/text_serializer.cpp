#include "text_serializer.hpp"

#include <charconv>
#include <opossum/errors.hpp>

namespace acme {

namespace {

void field(std::string& out, const std::string& text) {
  out += std::to_string(text.size()) + ":" + text + "\n";
}

void optionalField(std::string& out, const std::optional<std::string>& text) {
  if (text) {
    out += "+";
    field(out, *text);
  } else {
    out += "-\n";
  }
}

class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : rest_(bytes) {}
  template <class T = long long>
  T number(char end) {
    T value = 0;
    auto [ptr, ec] = std::from_chars(rest_.data(), rest_.data() + rest_.size(), value);
    if (ec != std::errc() || ptr == rest_.data() + rest_.size() || *ptr != end) fail();
    rest_.remove_prefix(static_cast<std::size_t>(ptr - rest_.data()) + 1);
    return value;
  }
  std::string field() {
    long long size = number(':');
    if (size < 0 || static_cast<std::size_t>(size) + 1 > rest_.size() ||
        rest_[static_cast<std::size_t>(size)] != '\n') {
      fail();
    }
    std::string text(rest_.substr(0, static_cast<std::size_t>(size)));
    rest_.remove_prefix(static_cast<std::size_t>(size) + 1);
    return text;
  }
  // "-\n" (absent) or "+" followed by the value.
  bool optional() {
    if (rest_.substr(0, 2) == "-\n") {
      rest_.remove_prefix(2);
      return false;
    }
    if (rest_.empty() || rest_[0] != '+') fail();
    rest_.remove_prefix(1);
    return true;
  }
  std::optional<std::string> optionalField() {
    if (!optional()) return std::nullopt;
    return field();
  }
  void expect(std::string_view text) {
    if (rest_.substr(0, text.size()) != text) fail();
    rest_.remove_prefix(text.size());
  }
  bool done() const { return rest_.empty(); }
  [[noreturn]] static void fail() { throw opossum::CorruptionError("not an acme-text event"); }

 private:
  std::string_view rest_;
};

}  // namespace

std::string TextSerializer::serialize(const opossum::SequencedEvent& e) const {
  std::string out = "acme-text 1\n" + std::to_string(e.position) + "\n";
  field(out, e.event.eventType);
  field(out, e.event.event);
  out += std::to_string(e.event.tags.size()) + "\n";
  for (const auto& tag : e.event.tags) {
    field(out, tag.key);
    field(out, tag.value);
  }
  if (e.metadata.timestamp) {
    out += "+" + std::to_string(e.metadata.timestamp->time_since_epoch().count()) + "\n";
  } else {
    out += "-\n";
  }
  optionalField(out, e.metadata.correlationId);
  optionalField(out, e.metadata.causationId);
  optionalField(out, e.metadata.operationId);
  optionalField(out, e.metadata.userId);
  return out;
}

opossum::SequencedEvent TextSerializer::deserialize(std::string_view bytes) const {
  Cursor in(bytes);
  in.expect("acme-text 1\n");
  opossum::SequencedEvent e;
  e.position = in.number<opossum::Position>('\n');
  e.event.eventType = in.field();
  e.event.event = in.field();
  long long tags = in.number('\n');
  for (long long i = 0; i < tags; ++i) {
    std::string key = in.field();
    e.event.tags.push_back({key, in.field()});
  }
  if (in.optional()) {
    e.metadata.timestamp = opossum::Timestamp(opossum::Timestamp::duration(in.number('\n')));
  }
  e.metadata.correlationId = in.optionalField();
  e.metadata.causationId = in.optionalField();
  e.metadata.operationId = in.optionalField();
  e.metadata.userId = in.optionalField();
  if (!in.done()) Cursor::fail();
  return e;
}

}  // namespace acme
