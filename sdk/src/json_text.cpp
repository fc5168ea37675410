#include "opossum/sdk/json_text.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "opossum/errors.hpp"
#include "opossum/sdk/nesting.hpp"

namespace opossum::sdk {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Forwards SAX events to a writer, keeping numbers exactly as written.
struct CompactHandler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, CompactHandler> {
  explicit CompactHandler(Writer& w) : writer(w) {}
  bool Null() { return writer.Null(); }
  bool Bool(bool b) { return writer.Bool(b); }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
    return writer.RawValue(str, length, rapidjson::kNumberType);
  }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    return writer.String(str, length);
  }
  bool StartObject() { return writer.StartObject(); }
  bool Key(const char* str, rapidjson::SizeType length, bool) { return writer.Key(str, length); }
  bool EndObject(rapidjson::SizeType count) { return writer.EndObject(count); }
  bool StartArray() { return writer.StartArray(); }
  bool EndArray(rapidjson::SizeType count) { return writer.EndArray(count); }
  Writer& writer;
};

}  // namespace

std::string compactJson(std::string_view json, const std::string& what) {
  // The reader recurses once per level.
  if (jsonNestsDeeperThan(json, kMaxNestingDepth)) {
    throw InvalidArgumentError(what + " nests arrays and objects deeper than " +
                               std::to_string(kMaxNestingDepth) + " levels");
  }
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  CompactHandler handler(writer);
  rapidjson::Reader reader;
  std::string text(json);
  rapidjson::StringStream stream(text.c_str());
  auto result =
      reader.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag |
                   rapidjson::kParseStopWhenDoneFlag>(stream, handler);
  if (result.IsError()) {
    throw InvalidArgumentError(what + " is not valid JSON (" +
                               rapidjson::GetParseError_En(result.Code()) + " at offset " +
                               std::to_string(result.Offset()) + ")");
  }
  if (text.find_first_not_of(" \t\r\n", stream.Tell()) != std::string::npos ||
      text.find('\0') != std::string::npos) {
    throw InvalidArgumentError(what + " has text after its JSON value");
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace opossum::sdk
