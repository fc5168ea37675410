// The NDJSON event lines of the `opossum` tool (append, import): what they accept and refuse.
#include "event_text.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "json_serializer.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/nesting.hpp"

using Catch::Matchers::Contains;
using opossum::InvalidArgumentError;
using opossum::cli::EventCodec;
using opossum::sdk::kMaxNestingDepth;

namespace {

EventCodec codec() {
  return EventCodec(std::make_shared<opossum::plugins::json::JsonSerializer>());
}

std::string lineWithPayloadDepth(std::size_t depth) {
  return R"({"eventType":"Deep","event":{"a":)" + std::string(depth - 1, '[') +
         std::string(depth - 1, ']') + "}}";
}

}  // namespace

TEST_CASE("an event line without a position reads as position 0 and round-trips", "[event-text]") {
  const EventCodec c = codec();
  const auto event = c.fromJsonLine(
      R"({"eventType":"A","event":{"n":1.50},"tags":[{"key":"k","value":"v"}]})", false);
  CHECK(event.position == 0);
  CHECK(event.event.event == R"({"n":1.50})");
  CHECK(c.fromJsonLine(c.toJsonLine(event), true).event.event == event.event.event);
  CHECK_THROWS_WITH(c.fromJsonLine(R"({"eventType":"A","event":{}})", true),
                    Contains("'position' is missing"));
}

TEST_CASE("an event line nested too deeply is an InvalidArgumentError, not a crash",
          "[event-text]") {
  const EventCodec c = codec();
  CHECK(c.fromJsonLine(lineWithPayloadDepth(kMaxNestingDepth), false).event.eventType == "Deep");
  for (std::size_t depth : {kMaxNestingDepth + 1, std::size_t{150'000}}) {
    CAPTURE(depth);
    CHECK_THROWS_AS(c.fromJsonLine(lineWithPayloadDepth(depth), false), InvalidArgumentError);
    CHECK_THROWS_WITH(c.fromJsonLine(lineWithPayloadDepth(depth), false),
                      Contains("deeper than 512"));
  }
}
