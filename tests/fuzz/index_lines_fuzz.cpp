// The text lines of the tag index: positions-file lines, lists.log records, decimal positions, and
// TailReader, which reads a file's lines backwards. A line that parses is written back to the same
// value; the lines TailReader returns are the region's bytes, in reverse order.
#include "fuzz_support.hpp"
#include "line_format.hpp"
#include "list_registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace index = opossum::plugins::tag_index;
  using opossum::fuzz::violated;
  const std::string_view text = opossum::fuzz::bytesOf(data, size);

  if (auto event = index::parsePositionLine(text)) {
    std::string line;
    index::appendPositionLine(line, *event);
    if (line.empty() || line.back() != '\n') violated("a positions line lacks its newline");
    line.pop_back();
    auto again = index::parsePositionLine(line);
    if (!again || again->position != event->position || again->eventType != event->eventType ||
        again->tags != event->tags) {
      violated("a positions line does not read back the same after writing");
    }
  }
  if (auto position = index::parsePosition(text)) {
    if (std::to_string(*position) != text) violated("parsePosition accepted a non-canonical line");
  }
  if (auto digits = index::parseDigits(text)) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
      violated("parseDigits accepted something other than digits");
    }
  }

  // positions/lists.log records. Paths are written in generic form (a doubled '/' is written once),
  // as the registry also looks them up.
  auto generic = [](const std::string& path) {
    return std::filesystem::path(path).generic_string();
  };
  if (auto record = index::parseListRecord(text)) {
    auto line = index::formatListRecord(record->first, record->second);
    line.pop_back();
    auto again = index::parseListRecord(line);
    if (!again || again->first != record->first || again->second != generic(record->second))
      violated("a list record does not read back the same");
  }
  if (auto record = index::parseCountRecord(text)) {
    auto line = index::formatCountRecord(record->first, record->second);
    line.pop_back();
    auto again = index::parseCountRecord(line);
    if (!again || again->first.mark != record->first.mark ||
        again->first.count != record->first.count || again->second != generic(record->second)) {
      violated("a list count record does not read back the same");
    }
  }

  // The second half of the input as a file region, read backwards.
  opossum::fuzz::MemoryFile file(std::string(text), "/fuzz/positions");
  const std::uint64_t begin = size / 2;
  index::TailReader reader(file, begin, size);
  std::string joined, line;
  std::uint64_t start = 0, expectedEnd = size;
  while (reader.previous(line, start)) {
    if (start < begin || start + line.size() != expectedEnd) violated("a line is out of place");
    if (text.substr(start, line.size()) != line) violated("a line differs from the file");
    expectedEnd = start;
    joined.insert(0, line);
  }
  if (joined != text.substr(begin)) violated("the lines do not cover the region");
  return 0;
}
