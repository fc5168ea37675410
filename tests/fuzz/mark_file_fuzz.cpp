// The "posted" mark of the tag index: any bytes parse as valid, blank or damaged; a valid mark
// is what formatMarkLine writes for it.
#include "fuzz_support.hpp"
#include "mark_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace index = opossum::plugins::tag_index;
  const std::string_view content = opossum::fuzz::bytesOf(data, size);
  const index::MarkRead read = index::parseMark(content);
  if (read.status != index::MarkStatus::valid) return 0;
  const std::string line = index::formatMarkLine(read.mark);
  if (line.size() != index::kMarkLineSize) opossum::fuzz::violated("a mark line has another size");
  const index::MarkRead again = index::parseMark(line);
  if (again.status != index::MarkStatus::valid || again.mark != read.mark) {
    opossum::fuzz::violated("a valid mark does not read back the same after formatting");
  }
  return 0;
}
