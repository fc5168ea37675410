// The course subscription cases of dcb.events (given events / when command / then event or
// error), run against samples/course_subscriptions.
#include <catch2/catch.hpp>

#include "course_subscriptions.hpp"
#include "scenario.hpp"

using namespace samples::course_subscriptions;
using Catch::Matchers::Message;
using opossum::test::Scenario;
using samples::CommandRejected;

TEST_CASE("define course with existing id fails", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 10)});
  REQUIRE_THROWS_MATCHES(defineCourse(s.store(), "c1", 15), CommandRejected,
                         Message("Course with id \"c1\" already exists"));
  CHECK(s.appended().empty());
}

TEST_CASE("define new course", "[samples][course]") {
  Scenario s;
  defineCourse(s.store(), "c1", 15);
  CHECK(s.appendedOnly("CourseDefined", R"({"courseId":"c1","capacity":15})", {{"course", "c1"}}) ==
        "");
}

TEST_CASE("change capacity of a non-existing course fails", "[samples][course]") {
  Scenario s;
  REQUIRE_THROWS_MATCHES(changeCourseCapacity(s.store(), "c0", 15), CommandRejected,
                         Message("Course \"c0\" does not exist"));
  CHECK(s.appended().empty());
}

TEST_CASE("change course capacity", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 12)});
  changeCourseCapacity(s.store(), "c1", 15);
  CHECK(s.appendedOnly("CourseCapacityChanged", R"({"courseId":"c1","newCapacity":15})",
                       {{"course", "c1"}}) == "");
}

TEST_CASE("change course capacity to the current capacity fails", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 12), courseCapacityChanged("c1", 15)});
  REQUIRE_THROWS_MATCHES(changeCourseCapacity(s.store(), "c1", 15), CommandRejected,
                         Message("New capacity 15 is the same as the current capacity"));
  CHECK(s.appended().empty());
  // The earlier capacity is no longer current.
  changeCourseCapacity(s.store(), "c1", 12);
  CHECK(s.appended().size() == 1);
}

TEST_CASE("capacity must be a positive number", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 12)});
  REQUIRE_THROWS_MATCHES(defineCourse(s.store(), "c2", 0), CommandRejected,
                         Message("Capacity must be a positive number, not 0"));
  REQUIRE_THROWS_MATCHES(changeCourseCapacity(s.store(), "c1", -3), CommandRejected,
                         Message("Capacity must be a positive number, not -3"));
  CHECK(s.appended().empty());
}

TEST_CASE("subscribe student to non-existing course fails", "[samples][course]") {
  Scenario s;
  REQUIRE_THROWS_MATCHES(subscribeStudentToCourse(s.store(), "s1", "c0"), CommandRejected,
                         Message("Course \"c0\" does not exist"));
  CHECK(s.appended().empty());
}

TEST_CASE("subscribe student to fully booked course fails", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 3), studentSubscribedToCourse("s1", "c1"),
           studentSubscribedToCourse("s2", "c1"), studentSubscribedToCourse("s3", "c1")});
  REQUIRE_THROWS_MATCHES(subscribeStudentToCourse(s.store(), "s4", "c1"), CommandRejected,
                         Message("Course \"c1\" is already fully booked"));
  CHECK(s.appended().empty());
}

TEST_CASE("the current capacity counts, after a change", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 5), studentSubscribedToCourse("s1", "c1"),
           studentSubscribedToCourse("s2", "c1"), courseCapacityChanged("c1", 2)});
  REQUIRE_THROWS_MATCHES(subscribeStudentToCourse(s.store(), "s3", "c1"), CommandRejected,
                         Message("Course \"c1\" is already fully booked"));
}

TEST_CASE("subscribe student to the same course twice fails", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 10), studentSubscribedToCourse("s1", "c1")});
  REQUIRE_THROWS_MATCHES(subscribeStudentToCourse(s.store(), "s1", "c1"), CommandRejected,
                         Message("Student already subscribed to this course"));
  CHECK(s.appended().empty());
}

TEST_CASE("subscribe student to more than 5 courses fails", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 10), courseDefined("c2", 10), courseDefined("c3", 10),
           courseDefined("c4", 10), courseDefined("c5", 10), courseDefined("c6", 10),
           studentSubscribedToCourse("s1", "c1"), studentSubscribedToCourse("s1", "c2"),
           studentSubscribedToCourse("s1", "c3"), studentSubscribedToCourse("s1", "c4"),
           studentSubscribedToCourse("s1", "c5")});
  REQUIRE_THROWS_MATCHES(subscribeStudentToCourse(s.store(), "s1", "c6"), CommandRejected,
                         Message("Student already subscribed to 5 courses"));
  CHECK(s.appended().empty());
}

TEST_CASE("subscribe student to course", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 10)});
  subscribeStudentToCourse(s.store(), "s1", "c1");
  CHECK(s.appendedOnly("StudentSubscribedToCourse", R"({"studentId":"s1","courseId":"c1"})",
                       {{"student", "s1"}, {"course", "c1"}}) == "");
}

TEST_CASE("other students and courses do not count", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 1), courseDefined("c2", 1), studentSubscribedToCourse("s2", "c2"),
           studentSubscribedToCourse("s1", "c3"), studentSubscribedToCourse("s1", "c4"),
           studentSubscribedToCourse("s1", "c5"), studentSubscribedToCourse("s1", "c6")});
  subscribeStudentToCourse(s.store(), "s1", "c1");
  CHECK(s.appended().size() == 1);
}

TEST_CASE("a subscription decided on stale facts is decided again", "[samples][course]") {
  Scenario s;
  s.given({courseDefined("c1", 1)});
  // Another writer fills the last seat between the decision's read and its append: the append
  // condition fails, and the second attempt sees the course is full.
  opossum::test::Interfering racing(s.store(), [](auto& store) {
    opossum::appendOne(store, studentSubscribedToCourse("s2", "c1"));
  });
  REQUIRE_THROWS_MATCHES(subscribeStudentToCourse(racing, "s1", "c1"), CommandRejected,
                         Message("Course \"c1\" is already fully booked"));
  auto events = s.appended();
  REQUIRE(events.size() == 1);
  CHECK(events[0].event.tags == std::vector<opossum::Tag>{{"student", "s2"}, {"course", "c1"}});
}
