// The query syntax of the command line (README.md, "Queries"):
//   --type A --type B --tag k=v --tag k2=v2   one item: type A or B, carrying both tags
//   --item 'type=A,B;tag=k=v;tag=k2=v2'       one more item, OR-ed with the others
//   --item '*'                                an item matching every event
// Inside a value a backslash escapes the next character (\, \; \= \\).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "opossum/query.hpp"

namespace opossum::cli {

struct QueryArgs {
  std::vector<std::string> types;
  std::vector<std::string> tags;
  std::vector<std::string> items;
};

// Adds --type, --tag and --item to `command`.
void addQueryOptions(CLI::App& command, QueryArgs& args);
Query buildQuery(const QueryArgs& args);

// "key=value" (split at the first unescaped '='); UsageError otherwise.
Tag parseTag(const std::string& text);
// One --item value; UsageError naming it when malformed.
QueryItem parseItem(const std::string& text);
// The query of --type/--tag (one item, when any is given) OR-ed with each --item; every event
// when nothing is given.
Query buildQuery(const std::vector<std::string>& types, const std::vector<std::string>& tags,
                 const std::vector<std::string>& items);
// A query as the command line would write it, for messages: "type=A,B;tag=k=v | *".
std::string describeQuery(const Query& query);

}  // namespace opossum::cli
