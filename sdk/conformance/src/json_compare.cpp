#include "json_compare.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <string>

namespace opossum::sdk::conformance::detail {

namespace {

namespace rj = rapidjson;

// Full precision so the same number text always yields the same double; iterative so deeply
// nested payloads do not exhaust the stack.
constexpr unsigned kFlags = rj::kParseFullPrecisionFlag | rj::kParseIterativeFlag;

const char* typeName(const rj::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsObject()) return "an object";
  if (v.IsArray()) return "an array";
  if (v.IsString()) return "a string";
  if (v.IsDouble()) return "a floating-point number";
  return "an integer";
}

std::string escapePointer(const rj::Value& name) {
  std::string out;
  for (rj::SizeType i = 0; i < name.GetStringLength(); ++i) {
    const char c = name.GetString()[i];
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string difference(const rj::Value& e, const rj::Value& a, const std::string& path) {
  const std::string at = path.empty() ? "at the root" : "at " + path;
  if (e.GetType() != a.GetType() || (e.IsNumber() && e.IsDouble() != a.IsDouble())) {
    return at + ": expected " + typeName(e) + ", got " + typeName(a);
  }
  if (e.IsBool()) {
    return e.GetBool() == a.GetBool() ? "" : at + ": booleans differ";
  }
  if (e.IsString()) {
    const std::string_view es(e.GetString(), e.GetStringLength());
    const std::string_view as(a.GetString(), a.GetStringLength());
    return es == as
               ? ""
               : at + ": expected \"" + std::string(es) + "\", got \"" + std::string(as) + "\"";
  }
  if (e.IsNumber()) {
    bool same = false;
    if (e.IsDouble()) {
      same = e.GetDouble() == a.GetDouble();
    } else if (e.IsUint64() && a.IsUint64()) {
      same = e.GetUint64() == a.GetUint64();
    } else if (e.IsInt64() && a.IsInt64()) {
      same = e.GetInt64() == a.GetInt64();
    }
    if (same) return "";
    auto text = [](const rj::Value& v) {
      if (v.IsDouble()) return std::to_string(v.GetDouble());
      return v.IsUint64() ? std::to_string(v.GetUint64()) : std::to_string(v.GetInt64());
    };
    return at + ": expected the number " + text(e) + ", got " + text(a);
  }
  if (e.IsArray()) {
    if (e.Size() != a.Size()) {
      return at + ": expected " + std::to_string(e.Size()) + " elements, got " +
             std::to_string(a.Size());
    }
    for (rj::SizeType i = 0; i < e.Size(); ++i) {
      std::string d = difference(e[i], a[i], path + "/" + std::to_string(i));
      if (!d.empty()) return d;
    }
    return "";
  }
  if (e.IsObject()) {
    if (e.MemberCount() != a.MemberCount()) {
      return at + ": expected " + std::to_string(e.MemberCount()) + " members, got " +
             std::to_string(a.MemberCount());
    }
    for (auto ei = e.MemberBegin(), ai = a.MemberBegin(); ei != e.MemberEnd(); ++ei, ++ai) {
      const std::string_view en(ei->name.GetString(), ei->name.GetStringLength());
      const std::string_view an(ai->name.GetString(), ai->name.GetStringLength());
      if (en != an) {
        return at + ": expected member \"" + std::string(en) + "\" here, got \"" + std::string(an) +
               "\" (members must keep their order)";
      }
      std::string d = difference(ei->value, ai->value, path + "/" + escapePointer(ei->name));
      if (!d.empty()) return d;
    }
    return "";
  }
  return "";  // null
}

}  // namespace

std::string jsonDifference(std::string_view expected, std::string_view actual) {
  rj::Document e, a;
  e.Parse<kFlags>(expected.data(), expected.size());
  if (e.HasParseError()) {
    return std::string("the expected text is not JSON: ") + rj::GetParseError_En(e.GetParseError());
  }
  a.Parse<kFlags>(actual.data(), actual.size());
  if (a.HasParseError()) {
    return std::string("the actual text is not JSON: ") + rj::GetParseError_En(a.GetParseError()) +
           " at byte " + std::to_string(a.GetErrorOffset()) + ": " +
           std::string(actual.substr(0, 200));
  }
  return difference(e, a, "");
}

}  // namespace opossum::sdk::conformance::detail
