// DomainEventBuilder and toNewEvent (SPEC §3 helpers): what is built, value semantics, and bad
// input refused at build() with InvalidArgumentError.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "opossum/opossum.hpp"

using namespace opossum;
using Catch::Matchers::Contains;

namespace {

const Timestamp kT0 = Timestamp(std::chrono::milliseconds(1'700'000'000'123));

}  // namespace

TEST_CASE("toNewEvent puts the parts where they belong", "[helpers]") {
  Metadata m;
  m.userId = "u1";
  NewEvent e = toNewEvent("Paid", R"({"a":1})", {{"order", "7"}}, m);
  CHECK(e.event.eventType == "Paid");
  CHECK(e.event.event == R"({"a":1})");
  CHECK(e.event.tags == std::vector<Tag>{{"order", "7"}});
  CHECK(e.metadata == m);

  NewEvent bare = toNewEvent("Paid", "{}");
  CHECK(bare.event.tags.empty());
  CHECK(bare.metadata == Metadata{});
}

TEST_CASE("DomainEventBuilder builds every field", "[builder]") {
  NewEvent e = DomainEventBuilder(R"({"amount":5})", "Paid")
                   .withTag("order", "17")
                   .withTags({{"customer", "c1"}, {"region", ""}})
                   .withCorrelationId("corr")
                   .withCausationId("cause")
                   .withOperationId("op")
                   .withUserId("user")
                   .withTimestamp(kT0)
                   .build();
  CHECK(e.event.eventType == "Paid");
  CHECK(e.event.event == R"({"amount":5})");
  CHECK(e.event.tags == std::vector<Tag>{{"order", "17"}, {"customer", "c1"}, {"region", ""}});
  CHECK(e.metadata.correlationId == "corr");
  CHECK(e.metadata.causationId == "cause");
  CHECK(e.metadata.operationId == "op");
  CHECK(e.metadata.userId == "user");
  CHECK(e.metadata.timestamp == kT0);
}

TEST_CASE("DomainEventBuilder leaves unset metadata absent and invents no timestamp", "[builder]") {
  NewEvent e = DomainEventBuilder("{}", "A").build();
  CHECK(e.metadata == Metadata{});
  CHECK(e.event.tags.empty());
}

TEST_CASE("withMetadata sets the given fields and keeps the others", "[builder]") {
  Metadata m;
  m.correlationId = "from-metadata";
  m.timestamp = kT0;
  NewEvent e = DomainEventBuilder("{}", "A").withUserId("u").withMetadata(m).build();
  CHECK(e.metadata.userId == "u");
  CHECK(e.metadata.correlationId == "from-metadata");
  CHECK(e.metadata.timestamp == kT0);
  CHECK_FALSE(e.metadata.causationId.has_value());

  // A later with* overrides what withMetadata set.
  NewEvent f = DomainEventBuilder("{}", "A").withMetadata(m).withCorrelationId("later").build();
  CHECK(f.metadata.correlationId == "later");
}

TEST_CASE("DomainEventBuilder collapses exact duplicate tags, keeping order", "[builder]") {
  NewEvent e =
      DomainEventBuilder("{}", "A").withTag("k", "1").withTag("j", "2").withTag("k", "1").build();
  CHECK(e.event.tags == std::vector<Tag>{{"k", "1"}, {"j", "2"}});
}

TEST_CASE("a builder can be reused; built events and inputs stay independent", "[builder]") {
  std::vector<Tag> tags{{"a", "1"}};
  Metadata m;
  m.userId = "u";
  DomainEventBuilder builder("{}", "A");
  builder.withTags(tags).withMetadata(m);
  NewEvent first = builder.build();
  NewEvent again = builder.build();
  CHECK(first == again);

  builder.withTag("b", "2").withUserId("other");
  NewEvent second = builder.build();
  CHECK(first.event.tags == std::vector<Tag>{{"a", "1"}});
  CHECK(first.metadata.userId == "u");
  CHECK(second.event.tags == std::vector<Tag>{{"a", "1"}, {"b", "2"}});
  CHECK(second.metadata.userId == "other");
  // The inputs were not touched.
  CHECK(tags == std::vector<Tag>{{"a", "1"}});
  CHECK(m.userId == "u");

  // A copy of a builder is a separate builder.
  DomainEventBuilder copy = builder;
  copy.withTag("c", "3");
  CHECK(builder.build().event.tags.size() == 2);
  CHECK(copy.build().event.tags.size() == 3);
}

TEST_CASE("DomainEventBuilder refuses bad input at build()", "[builder]") {
  SECTION("empty type") {
    DomainEventBuilder b("{}", "");
    CHECK_THROWS_WITH(b.build(), Contains("event type is empty"));
    CHECK_THROWS_AS(b.build(), InvalidArgumentError);
  }
  SECTION("empty tag key") {
    auto b = DomainEventBuilder("{}", "A").withTag("", "v");
    CHECK_THROWS_AS(b.build(), InvalidArgumentError);
    CHECK_THROWS_WITH(b.build(), Contains("tag 0 key is empty"));
  }
  SECTION("payload that is not a JSON object") {
    for (const char* json : {"[]", "1", "\"s\"", "", "{", "{} x", "not json"}) {
      INFO(json);
      CHECK_THROWS_AS(DomainEventBuilder(json, "A").build(), InvalidArgumentError);
    }
  }
  SECTION("invalid UTF-8") {
    CHECK_THROWS_AS(DomainEventBuilder("{}", "A\xff").build(), InvalidArgumentError);
    CHECK_THROWS_AS(DomainEventBuilder("{}", "A").withTag("k", "\xc3").build(),
                    InvalidArgumentError);
    CHECK_THROWS_AS(DomainEventBuilder("{\"a\":\"\xff\"}", "A").build(), InvalidArgumentError);
    CHECK_THROWS_AS(DomainEventBuilder("{}", "A").withUserId("\xed\xa0\x80").build(),
                    InvalidArgumentError);
  }
  SECTION("the builder stays usable after a refused build") {
    DomainEventBuilder b("{}", "A");
    b.withTag("", "x");
    CHECK_THROWS_AS(b.build(), InvalidArgumentError);
    DomainEventBuilder good("{}", "A");
    CHECK_NOTHROW(good.build());
  }
}
