#include "query_syntax.hpp"

#include "cli_support.hpp"

namespace opossum::cli {

namespace {

// Splits at every unescaped `separator` (at most `maxParts` parts, the last takes the rest),
// keeping escapes in the parts so a later split still sees them.
std::vector<std::string> splitEscaped(const std::string& text, char separator,
                                      std::size_t maxParts = 0) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      parts.back() += c;
      parts.back() += text[++i];
    } else if (c == separator && (maxParts == 0 || parts.size() < maxParts)) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

std::string escape(const std::string& text, const std::string& special) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || special.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

Tag parseTag(const std::string& text) {
  auto parts = splitEscaped(text, '=', 2);
  if (parts.size() != 2 || parts[0].empty()) {
    throw UsageError("tag '" + text + "' must be key=value (an empty value is allowed)");
  }
  return Tag{unescape(parts[0]), unescape(parts[1])};
}

QueryItem parseItem(const std::string& text) {
  QueryItem item;
  if (text == "*") return item;
  for (const auto& clause : splitEscaped(text, ';')) {
    if (clause.rfind("type=", 0) == 0) {
      for (const auto& type : splitEscaped(clause.substr(5), ',')) {
        if (type.empty()) throw UsageError("item '" + text + "': empty event type");
        item.eventTypes.push_back(unescape(type));
      }
    } else if (clause.rfind("tag=", 0) == 0) {
      item.tags.push_back(parseTag(clause.substr(4)));
    } else {
      throw UsageError("item '" + text + "': '" + clause +
                       "' must be type=A[,B...] or tag=key=value (clauses separated by ';', '*' "
                       "for every event)");
    }
  }
  return item;
}

Query buildQuery(const std::vector<std::string>& types, const std::vector<std::string>& tags,
                 const std::vector<std::string>& items) {
  std::vector<QueryItem> all;
  if (!types.empty() || !tags.empty()) {
    QueryItem first;
    for (const auto& type : types) {
      if (type.empty()) throw UsageError("--type: empty event type");
      first.eventTypes.push_back(type);
    }
    for (const auto& tag : tags) first.tags.push_back(parseTag(tag));
    all.push_back(std::move(first));
  }
  for (const auto& item : items) all.push_back(parseItem(item));
  if (all.empty()) return Query::all();
  return Query::fromItems(std::move(all));
}

void addQueryOptions(CLI::App& command, QueryArgs& args) {
  command.add_option("--type", args.types, "event type (repeatable: any of them)");
  command.add_option("--tag", args.tags, "tag key=value (repeatable: all of them)");
  command.add_option("--item", args.items,
                     "one more OR-ed query item: 'type=A,B;tag=k=v;tag=k2=v2', '*' for all "
                     "(repeatable)");
}

Query buildQuery(const QueryArgs& args) { return buildQuery(args.types, args.tags, args.items); }

std::string describeQuery(const Query& query) {
  if (query.items().empty()) return "*";
  std::string out;
  for (const auto& item : query.items()) {
    if (!out.empty()) out += " | ";
    std::string clauses;
    if (!item.eventTypes.empty()) {
      clauses += "type=";
      for (std::size_t i = 0; i < item.eventTypes.size(); ++i) {
        clauses += (i ? "," : "") + escape(item.eventTypes[i], ",;");
      }
    }
    for (const auto& tag : item.tags) {
      clauses += (clauses.empty() ? "" : ";") + std::string("tag=") + escape(tag.key, "=;") + "=" +
                 escape(tag.value, ";");
    }
    out += clauses.empty() ? "*" : clauses;
  }
  return out;
}

}  // namespace opossum::cli
