// The SDK's CRC-32: the standard check value, chaining, and the values stored files already hold.
#include <catch2/catch.hpp>
#include <string>

#include "opossum/sdk/checksum.hpp"

TEST_CASE("crc32 is CRC-32/ISO-HDLC and chains over pieces") {
  CHECK(opossum::sdk::crc32("123456789") == 0xCBF43926u);  // the catalogue's check value
  CHECK(opossum::sdk::crc32("") == 0u);
  const std::string text = "an event, checksummed in two pieces";
  CHECK(opossum::sdk::crc32(text.substr(10), opossum::sdk::crc32(text.substr(0, 10))) ==
        opossum::sdk::crc32(text));
}
