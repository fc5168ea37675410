// The NDJSON event lines of the `opossum` tool (append, import): any line either reads as an
// event or gives an InvalidArgumentError; an event read prints, and its JSON line reads back the
// same. The first byte says whether the position is required.
#include "event_text.hpp"
#include "fuzz_support.hpp"
#include "json_serializer.hpp"
#include "opossum/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const opossum::cli::EventCodec codec(
      std::make_shared<opossum::plugins::json::JsonSerializer>());
  const bool requirePosition = (data[0] & 1) != 0;
  opossum::SequencedEvent event;
  try {
    event = codec.fromJsonLine(opossum::fuzz::bytesOf(data + 1, size - 1), requirePosition);
  } catch (const opossum::InvalidArgumentError&) {
    return 0;
  }
  (void)opossum::cli::plainLine(event);
  if (codec.fromJsonLine(codec.toJsonLine(event), true) != event) {
    opossum::fuzz::violated("an event line does not read back the same after writing");
  }
  return 0;
}
