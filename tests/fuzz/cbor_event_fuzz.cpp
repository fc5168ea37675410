// Event files of the "cbor" serializer: any bytes either read as an event or give a
// CorruptionError; an event read is one the store could have written (it serializes again and
// reads back the same).
#include "cbor_serializer.hpp"
#include "fuzz_support.hpp"
#include "opossum/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const opossum::plugins::cbor::CborSerializer serializer;
  opossum::SequencedEvent event;
  try {
    event = serializer.deserialize(opossum::fuzz::bytesOf(data, size));
  } catch (const opossum::CorruptionError&) {
    return 0;
  }
  const std::string written = serializer.serialize(event);
  if (serializer.deserialize(written) != event) {
    opossum::fuzz::violated("an event read does not read back the same after serialize");
  }
  if (serializer.serialize(serializer.deserialize(written)) != written) {
    opossum::fuzz::violated("serializing an event read twice gives different bytes");
  }
  return 0;
}
