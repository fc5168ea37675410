#include <catch2/catch.hpp>

#include "opossum/sdk/utf8.hpp"

using opossum::sdk::isValidUtf8;

TEST_CASE("UTF-8 validation accepts well-formed text only") {
  CHECK(isValidUtf8(""));
  CHECK(isValidUtf8("plain ascii"));
  CHECK(isValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));  // é € 😀
  CHECK(isValidUtf8("\xf4\x8f\xbf\xbf"));                           // U+10FFFF
  CHECK_FALSE(isValidUtf8("\xc3"));                                 // truncated
  CHECK_FALSE(isValidUtf8("\xc0\xaf"));                             // overlong '/'
  CHECK_FALSE(isValidUtf8("\xe0\x80\xaf"));                         // overlong, 3 bytes
  CHECK_FALSE(isValidUtf8("\xed\xa0\x80"));                         // surrogate U+D800
  CHECK_FALSE(isValidUtf8("\xf4\x90\x80\x80"));                     // past U+10FFFF
  CHECK_FALSE(isValidUtf8("\x80"));                                 // lone continuation
  CHECK_FALSE(isValidUtf8("\xff"));
}
