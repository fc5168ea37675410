// Course subscriptions on the embedded store ./OpossumStore/course-subscriptions: defines two
// courses, subscribes students, and shows the rules rejecting commands.
#include <functional>
#include <iostream>
#include <string>

#include <opossum/opossum.hpp>

#include "course_subscriptions.hpp"

namespace cs = samples::course_subscriptions;

namespace {

// Runs one command and prints what happened: the appended position or the rejection.
void run(const std::string& description, const std::function<opossum::Position()>& command) {
  try {
    opossum::Position position = command();
    std::cout << "ok        " << description << " -> event at position " << position << "\n";
  } catch (const samples::CommandRejected& rejected) {
    std::cout << "rejected  " << description << ": " << rejected.what() << "\n";
  }
}

}  // namespace

int main() {
  try {
    auto store = opossum::createEventStore({.storeName = "course-subscriptions"});
    store->deleteStore();  // start empty, so every run prints the same story
    opossum::EventStore& events = *store;

    run("define course c1 with capacity 2", [&] { return cs::defineCourse(events, "c1", 2); });
    run("define course c1 again", [&] { return cs::defineCourse(events, "c1", 5); });
    run("subscribe s1 to c1", [&] { return cs::subscribeStudentToCourse(events, "s1", "c1"); });
    run("subscribe s1 to c1 again",
        [&] { return cs::subscribeStudentToCourse(events, "s1", "c1"); });
    run("subscribe s2 to c1", [&] { return cs::subscribeStudentToCourse(events, "s2", "c1"); });
    run("subscribe s3 to c1", [&] { return cs::subscribeStudentToCourse(events, "s3", "c1"); });
    run("change capacity of c1 to 2", [&] { return cs::changeCourseCapacity(events, "c1", 2); });
    run("change capacity of c1 to 3", [&] { return cs::changeCourseCapacity(events, "c1", 3); });
    run("subscribe s3 to c1", [&] { return cs::subscribeStudentToCourse(events, "s3", "c1"); });
    run("subscribe s1 to c9", [&] { return cs::subscribeStudentToCourse(events, "s1", "c9"); });

    std::cout << "\nevents of course c1:\n";
    for (const auto& e : store->read(opossum::Query::fromTags({cs::courseTag("c1")}))) {
      std::cout << "  " << e.position << " " << e.event.eventType << " " << e.event.event << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
