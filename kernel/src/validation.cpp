#include "validation.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "opossum/sdk/nesting.hpp"

namespace opossum::detail {

namespace {

// Validates JSON without building a document. Strings are checked after unescaping: the
// reader accepts an escaped lone surrogate ("\udc00"), which is not Unicode and could not be
// stored as UTF-8.
struct PayloadChecker : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, PayloadChecker> {
  bool Default() { return true; }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    badString = badString || !isValidUtf8({text, length});
    return !badString;
  }
  bool Key(const char* text, rapidjson::SizeType length, bool copy) {
    return String(text, length, copy);
  }
  bool badString = false;
};

std::string where(std::size_t index) { return "event " + std::to_string(index) + ": "; }

void checkText(std::string_view text, const std::string& what, std::size_t maxBytes,
               bool mayBeEmpty) {
  if (!mayBeEmpty && text.empty()) throw InvalidArgumentError(what + " is empty");
  if (text.size() > maxBytes) {
    throw InvalidArgumentError(what + " is " + std::to_string(text.size()) + " bytes; at most " +
                               std::to_string(maxBytes) + " are allowed");
  }
  if (text.find('\0') != std::string_view::npos) throw InvalidArgumentError(what + " contains NUL");
  if (!isValidUtf8(text)) throw InvalidArgumentError(what + " is not valid UTF-8");
}

void checkPayload(const std::string& json, const std::string& prefix) {
  std::size_t start = json.find_first_not_of(" \t\r\n");
  if (start == std::string::npos || json[start] != '{') {
    throw InvalidArgumentError(prefix + "payload must be a JSON object");
  }
  // Every later reader of the payload (serializers, applications' DOMs) may recurse per level.
  if (sdk::jsonNestsDeeperThan(json, sdk::kMaxNestingDepth)) {
    throw InvalidArgumentError(prefix + "payload nests arrays and objects deeper than " +
                               std::to_string(sdk::kMaxNestingDepth) + " levels");
  }
  rapidjson::Reader reader;
  rapidjson::StringStream stream(json.c_str());
  PayloadChecker handler;
  // Strict UTF-8, and the whole text must be one value; iterative, so the stack stays flat.
  auto result =
      reader.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseStopWhenDoneFlag |
                   rapidjson::kParseIterativeFlag>(stream, handler);
  if (handler.badString) {
    throw InvalidArgumentError(prefix +
                               "payload has a string that is not Unicode (a lone "
                               "surrogate escape) near offset " +
                               std::to_string(result.Offset()));
  }
  if (result.IsError()) {
    throw InvalidArgumentError(prefix + "payload is not valid JSON (" +
                               rapidjson::GetParseError_En(result.Code()) + " at offset " +
                               std::to_string(result.Offset()) + ")");
  }
  std::size_t end = stream.Tell();
  if (json.find_first_not_of(" \t\r\n", end) != std::string::npos) {
    throw InvalidArgumentError(prefix + "payload has text after the JSON object");
  }
}

void checkMetadataField(const std::optional<std::string>& value, const char* name,
                        const std::string& prefix) {
  if (value) checkText(*value, prefix + "metadata " + name, 4096, true);
}

}  // namespace

void validateTag(const Tag& tag, const std::string& what) {
  checkText(tag.key, what + " key", kMaxTagBytes, false);
  checkText(tag.value, what + " value", kMaxTagBytes, true);
}

NewEvent prepareEvent(const NewEvent& in, const std::string& prefix) {
  checkText(in.event.eventType, prefix + "event type", kMaxEventTypeBytes, false);
  NewEvent out;
  out.event.eventType = in.event.eventType;
  out.event.tags.reserve(in.event.tags.size());
  for (std::size_t t = 0; t < in.event.tags.size(); ++t) {
    const Tag& tag = in.event.tags[t];
    validateTag(tag, prefix + "tag " + std::to_string(t));
    bool duplicate = false;
    for (const Tag& kept : out.event.tags) duplicate = duplicate || kept == tag;
    if (!duplicate) out.event.tags.push_back(tag);
  }
  checkPayload(in.event.event, prefix);
  out.event.event = in.event.event;
  checkMetadataField(in.metadata.correlationId, "correlationId", prefix);
  checkMetadataField(in.metadata.causationId, "causationId", prefix);
  checkMetadataField(in.metadata.operationId, "operationId", prefix);
  checkMetadataField(in.metadata.userId, "userId", prefix);
  out.metadata = in.metadata;
  return out;
}

std::vector<NewEvent> prepareEvents(const std::vector<NewEvent>& events, Timestamp now) {
  if (events.empty()) throw InvalidArgumentError("append needs at least one event");
  std::vector<NewEvent> prepared;
  prepared.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    NewEvent out = prepareEvent(events[i], where(i));
    if (!out.metadata.timestamp) out.metadata.timestamp = now;
    prepared.push_back(std::move(out));
  }
  return prepared;
}

void validateStoreOptions(const EventStoreOptions& options) {
  const std::string& name = options.storeName;
  if (name.empty()) throw InvalidArgumentError("storeName is empty");
  if (name == "." || name == "..") {
    throw InvalidArgumentError("storeName '" + name + "' is not a directory name");
  }
  if (name.find_first_of(std::string("/\\\0", 3)) != std::string::npos) {
    throw InvalidArgumentError("storeName '" + name + "' contains '/', '\\' or NUL");
  }
  if (!isValidUtf8(name)) throw InvalidArgumentError("storeName is not valid UTF-8");
  if (options.rootPath.empty()) throw InvalidArgumentError("rootPath is empty");
  if (options.crossProcessLockTimeout.count() < 0) {
    throw InvalidArgumentError("crossProcessLockTimeout is negative");
  }
}

}  // namespace opossum::detail
