// Posting files (.idx) of the tag index: any content either parses or gives a CorruptionError;
// what parses is strictly ascending and within the bound. The first 8 bytes give the bound.
#include <cstring>

#include "fuzz_support.hpp"
#include "index_file_names.hpp"
#include "opossum/errors.hpp"
#include "posting_list.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace index = opossum::plugins::tag_index;
  if (size < 8) return 0;
  opossum::Position bound = 0;
  std::memcpy(&bound, data, 8);
  // Small bounds most of the time, so entries above and below it both occur.
  if ((bound & 1) == 0) bound = (bound >> 1) % 1000;
  static const std::string header = index::typeHeader("ItemAdded");
  std::vector<opossum::Position> list;
  try {
    list = index::parsePostingFile(opossum::fuzz::bytesOf(data + 8, size - 8), header, bound,
                                   "/fuzz/types/ItemAdded.idx");
  } catch (const opossum::CorruptionError&) {
    return 0;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i] > bound) opossum::fuzz::violated("an entry above the bound");
    if (i > 0 && list[i] <= list[i - 1]) opossum::fuzz::violated("entries not ascending");
  }
  return 0;
}
