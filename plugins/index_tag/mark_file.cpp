#include "mark_file.hpp"

#include <cstdio>

#include "index_file_names.hpp"
#include "line_format.hpp"
#include "opossum/sdk/checksum.hpp"

namespace opossum::plugins::tag_index {

namespace {

std::string prefix() {
  return std::string(kFormatName) + " " + std::to_string(kFormatVersion) + " posted ";
}

}  // namespace

std::string formatMarkLine(const Mark& mark) {
  char numbers[64];
  std::snprintf(numbers, sizeof numbers, "%020llu %020llu",
                static_cast<unsigned long long>(mark.posted),
                static_cast<unsigned long long>(mark.writing));
  std::string line = prefix() + numbers;
  char crc[16];
  std::snprintf(crc, sizeof crc, " %08x\n", static_cast<unsigned>(sdk::crc32(line)));
  return line + crc;
}

MarkRead parseMark(std::string_view content) {
  std::string_view head = content.substr(0, kMarkLineSize);
  if (head.find_first_not_of('\0') == std::string_view::npos) return {MarkStatus::blank, {}};
  const std::string expected = prefix();
  const std::size_t numbersAt = expected.size();
  const std::size_t crcAt = numbersAt + 20 + 1 + 20;
  if (head.size() != kMarkLineSize || head.back() != '\n' ||
      head.substr(0, numbersAt) != expected || head[numbersAt + 20] != ' ' || head[crcAt] != ' ') {
    return {MarkStatus::damaged, {}};
  }
  auto posted = parseDigits(head.substr(numbersAt, 20));
  auto writing = parseDigits(head.substr(numbersAt + 21, 20));
  std::uint32_t stored = 0;
  for (char c : head.substr(crcAt + 1, 8)) {
    stored <<= 4;
    if (c >= '0' && c <= '9') {
      stored |= static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      stored |= static_cast<std::uint32_t>(c - 'a' + 10);
    } else {
      return {MarkStatus::damaged, {}};
    }
  }
  if (!posted || !writing || *posted > *writing || stored != sdk::crc32(head.substr(0, crcAt))) {
    return {MarkStatus::damaged, {}};
  }
  return {MarkStatus::valid, {*posted, *writing}};
}

}  // namespace opossum::plugins::tag_index
