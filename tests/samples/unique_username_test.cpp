// The unique username cases of dcb.events, features 1 to 4 (given events / when command / then
// event or error), run against samples/unique_username. Time is a fixed clock: the retention
// cases give events timestamps relative to it.
#include <catch2/catch.hpp>
#include <chrono>

#include "scenario.hpp"
#include "unique_username.hpp"

using namespace samples::unique_username;
using namespace std::chrono_literals;
using Catch::Matchers::Message;
using opossum::test::Scenario;
using samples::CommandRejected;

namespace {

const opossum::Timestamp kNow =
    std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
constexpr auto kDay = std::chrono::hours(24);

// Features 1 to 3 release a username at once and do not depend on time.
UsernamePolicy feature1to3() {
  UsernamePolicy p;
  p.retention = 0h;
  return p;
}
// Feature 4 keeps a released username for 3 days; "now" is kNow.
UsernamePolicy feature4() {
  UsernamePolicy p;
  p.retention = 72h;
  p.clock = [] { return kNow; };
  return p;
}
const UsernamePolicy kFeature1to3 = feature1to3();
const UsernamePolicy kFeature4 = feature4();

// The event as if it happened `age` before kNow.
opossum::NewEvent ago(opossum::NewEvent event, opossum::Timestamp::duration age) {
  event.metadata.timestamp = kNow - age;
  return event;
}

}  // namespace

// Feature 1: globally unique username.

TEST_CASE("register account with claimed username fails", "[samples][username]") {
  for (const UsernamePolicy& rules : {kFeature1to3, kFeature4}) {
    Scenario s;
    s.given({ago(accountRegistered("u1"), 30 * kDay)});
    REQUIRE_THROWS_MATCHES(registerAccount(s.store(), "u1", rules), CommandRejected,
                           Message("Username \"u1\" is claimed"));
    CHECK(s.appended().empty());
  }
}

TEST_CASE("register account with unused username", "[samples][username]") {
  Scenario s;
  s.given({accountRegistered("u2")});
  registerAccount(s.store(), "u1", kFeature1to3);
  CHECK(s.appendedOnly("AccountRegistered", R"({"username":"u1"})", {{"username", "u1"}}) == "");
}

TEST_CASE("the policy's clock stamps the appended event", "[samples][username]") {
  Scenario s;
  registerAccount(s.store(), "u1", kFeature4);
  REQUIRE(s.appended().size() == 1);
  CHECK(s.appended().front().metadata.timestamp == kNow);
}

TEST_CASE("usernames are compared exactly", "[samples][username]") {
  Scenario s;
  s.given({accountRegistered("u1")});
  registerAccount(s.store(), "U1", kFeature1to3);
  CHECK(s.appended().size() == 1);
}

// Feature 2: closing an account releases its username.

TEST_CASE("register account with username of closed account", "[samples][username]") {
  Scenario s;
  s.given({accountRegistered("u1"), accountClosed("u1")});
  registerAccount(s.store(), "u1", kFeature1to3);
  CHECK(s.appendedOnly("AccountRegistered", R"({"username":"u1"})", {{"username", "u1"}}) == "");
}

// Feature 3: changing a username releases the old one and claims the new one.

TEST_CASE("register account with a changed username", "[samples][username]") {
  Scenario s;
  s.given({accountRegistered("u1"), usernameChanged("u1", "u1changed")});
  registerAccount(s.store(), "u1", kFeature1to3);
  CHECK(s.appendedOnly("AccountRegistered", R"({"username":"u1"})", {{"username", "u1"}}) == "");
}

TEST_CASE("register account with the new username of a change fails", "[samples][username]") {
  Scenario s;
  s.given({accountRegistered("u1"), usernameChanged("u1", "u1changed")});
  REQUIRE_THROWS_MATCHES(registerAccount(s.store(), "u1changed", kFeature1to3), CommandRejected,
                         Message("Username \"u1changed\" is claimed"));
  CHECK(s.appended().empty());
}

// Feature 4: a released username stays claimed for 3 days.

TEST_CASE("register username of a closed account within the retention period fails",
          "[samples][username]") {
  Scenario s;
  s.given({ago(accountRegistered("u1"), 10 * kDay), ago(accountClosed("u1"), 2 * kDay)});
  REQUIRE_THROWS_MATCHES(registerAccount(s.store(), "u1", kFeature4), CommandRejected,
                         Message("Username \"u1\" is claimed"));
  CHECK(s.appended().empty());
}

TEST_CASE("register username of a closed account after the retention period",
          "[samples][username]") {
  Scenario s;
  s.given({ago(accountRegistered("u1"), 10 * kDay), ago(accountClosed("u1"), 4 * kDay)});
  registerAccount(s.store(), "u1", kFeature4);
  CHECK(s.appendedOnly("AccountRegistered", R"({"username":"u1"})", {{"username", "u1"}}) == "");
}

TEST_CASE("register a changed username within the retention period fails", "[samples][username]") {
  Scenario s;
  s.given(
      {ago(accountRegistered("u1"), 10 * kDay), ago(usernameChanged("u1", "u1changed"), 2 * kDay)});
  REQUIRE_THROWS_MATCHES(registerAccount(s.store(), "u1", kFeature4), CommandRejected,
                         Message("Username \"u1\" is claimed"));
  CHECK(s.appended().empty());
}

TEST_CASE("register a changed username after the retention period", "[samples][username]") {
  Scenario s;
  s.given(
      {ago(accountRegistered("u1"), 10 * kDay), ago(usernameChanged("u1", "u1changed"), 4 * kDay)});
  registerAccount(s.store(), "u1", kFeature4);
  CHECK(s.appendedOnly("AccountRegistered", R"({"username":"u1"})", {{"username", "u1"}}) == "");
}

TEST_CASE("the retention period ends exactly 3 days after the release", "[samples][username]") {
  Scenario s;
  s.given({ago(accountRegistered("u1"), 10 * kDay), ago(accountClosed("u1"), 3 * kDay - 1s),
           ago(accountRegistered("u2"), 10 * kDay), ago(accountClosed("u2"), 3 * kDay)});
  REQUIRE_THROWS_MATCHES(registerAccount(s.store(), "u1", kFeature4), CommandRejected,
                         Message("Username \"u1\" is claimed"));
  registerAccount(s.store(), "u2", kFeature4);
  CHECK(s.appendedOnly("AccountRegistered", R"({"username":"u2"})", {{"username", "u2"}}) == "");
}

TEST_CASE("a new username of a change stays claimed after the retention period",
          "[samples][username]") {
  Scenario s;
  s.given(
      {ago(accountRegistered("u1"), 10 * kDay), ago(usernameChanged("u1", "u1changed"), 9 * kDay)});
  REQUIRE_THROWS_MATCHES(registerAccount(s.store(), "u1changed", kFeature4), CommandRejected,
                         Message("Username \"u1changed\" is claimed"));
}

// The commands that release usernames.

TEST_CASE("close account", "[samples][username]") {
  Scenario s;
  s.given({accountRegistered("u1")});
  closeAccount(s.store(), "u1", kFeature4);
  CHECK(s.appendedOnly("AccountClosed", R"({"username":"u1"})", {{"username", "u1"}}) == "");
  REQUIRE_THROWS_MATCHES(closeAccount(s.store(), "u1", kFeature4), CommandRejected,
                         Message("No open account has the username \"u1\""));
}

TEST_CASE("change username", "[samples][username]") {
  Scenario s;
  s.given({accountRegistered("u1"), accountRegistered("u2")});
  REQUIRE_THROWS_MATCHES(changeUsername(s.store(), "u1", "u2", kFeature4), CommandRejected,
                         Message("Username \"u2\" is claimed"));
  REQUIRE_THROWS_MATCHES(changeUsername(s.store(), "u3", "u4", kFeature4), CommandRejected,
                         Message("No open account has the username \"u3\""));
  CHECK(s.appended().empty());
  changeUsername(s.store(), "u1", "u1changed", kFeature4);
  CHECK(s.appendedOnly("UsernameChanged", R"({"oldUsername":"u1","newUsername":"u1changed"})",
                       {{"username", "u1"}, {"username", "u1changed"}}) == "");
  // The account now goes by its new name only.
  REQUIRE_THROWS_MATCHES(closeAccount(s.store(), "u1", kFeature4), CommandRejected,
                         Message("No open account has the username \"u1\""));
  closeAccount(s.store(), "u1changed", kFeature4);
  CHECK(s.appended().size() == 2);
}

TEST_CASE("two registrations racing for one username: one wins", "[samples][username]") {
  Scenario s;
  // Another registration of u1 lands between this decision's read and its append.
  opossum::test::Interfering racing(s.store(), [](opossum::EventStore& store) {
    opossum::appendOne(store, accountRegistered("u1"));
  });
  REQUIRE_THROWS_MATCHES(registerAccount(racing, "u1", kFeature4), CommandRejected,
                         Message("Username \"u1\" is claimed"));
  CHECK(s.appended().size() == 1);
}
