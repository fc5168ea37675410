// Just enough JSON for the loyalty plugin: the top-level string and number members of an object.
// A real plugin would use its JSON library of choice; this keeps the sample's only dependency the
// Opossum SDK.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace acme {

class FlatJson {
 public:
  // InvalidArgumentError (from the Opossum SDK) when `text` is not one JSON object. Nested
  // values are checked and skipped.
  static FlatJson parse(std::string_view text, const std::string& what);

  std::optional<std::string> string(const std::string& name) const;
  std::optional<double> number(const std::string& name) const;
  // The member as a string/integer; InvalidArgumentError naming `what` and `name` otherwise.
  std::string requireString(const std::string& name) const;
  long long requireInteger(const std::string& name) const;

 private:
  std::string what_;
  std::map<std::string, std::string> strings_;
  std::map<std::string, double> numbers_;
};

// `text` as a JSON string literal, quotes included.
std::string quote(std::string_view text);

}  // namespace acme
