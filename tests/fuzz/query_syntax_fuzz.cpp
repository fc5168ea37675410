// The query syntax of the `opossum` tool: --item values and --tag values either parse or give a
// UsageError; each item of a query parsed is described as a text that parses back to it.
#include "cli_support.hpp"
#include "fuzz_support.hpp"
#include "query_syntax.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using opossum::cli::UsageError;
  // Lines: the first is an --item value, the second a --tag value, the rest --type values.
  const std::string text(opossum::fuzz::bytesOf(data, size));
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::vector<std::string> items{lines[0]};
  std::vector<std::string> tags;
  if (lines.size() > 1) tags.push_back(lines[1]);
  std::vector<std::string> types(lines.begin() + std::min<std::size_t>(2, lines.size()),
                                 lines.end());
  opossum::Query query;
  try {
    query = opossum::cli::buildQuery(types, tags, items);
  } catch (const UsageError&) {
    return 0;
  }
  // Item by item: a value may hold " | ", which separates the items of a whole description.
  for (const opossum::QueryItem& item : query.items()) {
    const std::string description = opossum::cli::describeQuery(opossum::Query::fromItems({item}));
    if (opossum::cli::parseItem(description) != item) {
      opossum::fuzz::violated("a query item does not parse back the same from its description");
    }
  }
  return 0;
}
