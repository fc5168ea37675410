// Event payloads of the samples. An event's payload is a JSON object held as text; the samples
// write it with RapidJSON (so ids with quotes or backslashes stay valid JSON) and read members
// back from the events a decision folds.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include <opossum/types.hpp>

namespace samples {

// Builds a flat JSON object: JsonObject().add("courseId", "c1").add("capacity", 15).text().
class JsonObject {
 public:
  JsonObject() : writer_(buffer_) { writer_.StartObject(); }

  JsonObject& add(std::string_view name, std::string_view value) {
    key(name);
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  JsonObject& add(std::string_view name, const char* value) {
    return add(name, std::string_view(value));
  }
  JsonObject& add(std::string_view name, long long value) {
    key(name);
    writer_.Int64(value);
    return *this;
  }
  // Nests `json`, which must be a JSON object (std::invalid_argument otherwise).
  JsonObject& addObject(std::string_view name, const std::string& json) {
    rapidjson::Document document;
    if (document.Parse(json.c_str()).HasParseError() || !document.IsObject()) {
      throw std::invalid_argument(std::string(name) + " is not a JSON object: " + json);
    }
    key(name);
    document.Accept(writer_);
    return *this;
  }

  std::string text() {
    if (!writer_.IsComplete()) writer_.EndObject();
    return buffer_.GetString();
  }

 private:
  void key(std::string_view name) {
    writer_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  }

  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

namespace detail {

// The member `name` of the event's payload; std::runtime_error naming the event when the payload
// lacks it or it has another type (an event the application did not write).
inline const rapidjson::Value& member(const rapidjson::Document& payload,
                                      const opossum::SequencedEvent& event, const char* name,
                                      bool (rapidjson::Value::*isType)() const, const char* type) {
  if (payload.HasParseError() || !payload.IsObject() || !payload.HasMember(name) ||
      !(payload[name].*isType)()) {
    throw std::runtime_error(event.event.eventType + " at position " +
                             std::to_string(event.position) + " has no " + type + " member \"" +
                             name + "\": " + event.event.event);
  }
  return payload[name];
}

}  // namespace detail

inline std::string stringMember(const opossum::SequencedEvent& event, const char* name) {
  rapidjson::Document payload;
  payload.Parse(event.event.event.c_str());
  const rapidjson::Value& value =
      detail::member(payload, event, name, &rapidjson::Value::IsString, "string");
  return std::string(value.GetString(), value.GetStringLength());
}

inline long long intMember(const opossum::SequencedEvent& event, const char* name) {
  rapidjson::Document payload;
  payload.Parse(event.event.event.c_str());
  return detail::member(payload, event, name, &rapidjson::Value::IsInt64, "integer").GetInt64();
}

}  // namespace samples
