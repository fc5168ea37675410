// CRC-32 (the polynomial of zlib, PNG and Ethernet) for files that guard against torn or stale
// writes: the ledger, journal records, index marks. Calls chain, to checksum data in pieces.
#pragma once

#include <cstdint>
#include <string_view>

#include "opossum/export.hpp"

namespace opossum::sdk {

OPOSSUM_EXPORT std::uint32_t crc32(std::string_view data, std::uint32_t previous = 0);

}  // namespace opossum::sdk
