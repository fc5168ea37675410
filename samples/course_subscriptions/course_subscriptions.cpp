#include "course_subscriptions.hpp"

#include "json_payload.hpp"

namespace samples::course_subscriptions {

using opossum::DecisionProjection;
using opossum::EventStore;
using opossum::Position;
using opossum::Query;
using opossum::SequencedEvent;

namespace {

// Events of `types` that carry every tag in `tags`.
Query eventsWith(std::vector<std::string> types, std::vector<opossum::Tag> tags) {
  return Query::fromItems({{std::move(types), std::move(tags)}});
}

// The apply of the projections that count their events.
int countEvent(int n, const SequencedEvent&) { return n + 1; }

void requirePositive(int capacity) {
  if (capacity < 1) {
    throw CommandRejected("Capacity must be a positive number, not " + std::to_string(capacity));
  }
}

std::string doesNotExist(const std::string& courseId) {
  return "Course \"" + courseId + "\" does not exist";
}

}  // namespace

opossum::Tag courseTag(const std::string& courseId) { return {"course", courseId}; }
opossum::Tag studentTag(const std::string& studentId) { return {"student", studentId}; }

opossum::NewEvent courseDefined(const std::string& courseId, int capacity) {
  return opossum::toNewEvent(
      kCourseDefined, JsonObject().add("courseId", courseId).add("capacity", capacity).text(),
      {courseTag(courseId)});
}

opossum::NewEvent courseCapacityChanged(const std::string& courseId, int newCapacity) {
  return opossum::toNewEvent(
      kCourseCapacityChanged,
      JsonObject().add("courseId", courseId).add("newCapacity", newCapacity).text(),
      {courseTag(courseId)});
}

opossum::NewEvent studentSubscribedToCourse(const std::string& studentId,
                                            const std::string& courseId) {
  return opossum::toNewEvent(
      kStudentSubscribedToCourse,
      JsonObject().add("studentId", studentId).add("courseId", courseId).text(),
      {studentTag(studentId), courseTag(courseId)});
}

DecisionProjection<int> courseExists(const std::string& courseId) {
  return opossum::createDecisionProjection(0, eventsWith({kCourseDefined}, {courseTag(courseId)}),
                                           countEvent);
}

DecisionProjection<int> courseCapacity(const std::string& courseId) {
  return opossum::createDecisionProjection(
      0, eventsWith({kCourseDefined, kCourseCapacityChanged}, {courseTag(courseId)}),
      [](int, const SequencedEvent& e) {
        return static_cast<int>(e.event.eventType == kCourseDefined ? intMember(e, "capacity")
                                                                    : intMember(e, "newCapacity"));
      });
}

DecisionProjection<int> numberOfCourseSubscriptions(const std::string& courseId) {
  return opossum::createDecisionProjection(
      0, eventsWith({kStudentSubscribedToCourse}, {courseTag(courseId)}), countEvent);
}

DecisionProjection<int> numberOfStudentSubscriptions(const std::string& studentId) {
  return opossum::createDecisionProjection(
      0, eventsWith({kStudentSubscribedToCourse}, {studentTag(studentId)}), countEvent);
}

DecisionProjection<int> studentAlreadySubscribed(const std::string& studentId,
                                                 const std::string& courseId) {
  // Both tags in one query item: only this student's subscription to this course matches.
  return opossum::createDecisionProjection(
      0, eventsWith({kStudentSubscribedToCourse}, {studentTag(studentId), courseTag(courseId)}),
      countEvent);
}

Position defineCourse(EventStore& store, const std::string& courseId, int capacity) {
  requirePositive(capacity);
  return opossum::executeDecision(store, [&](EventStore& s) {
    auto model = opossum::buildDecisionModel(s, courseExists(courseId));
    if (model.state > 0) {
      throw CommandRejected("Course with id \"" + courseId + "\" already exists");
    }
    // The condition fails if someone defines the same course between our read and this append;
    // executeDecision then decides again, and the second attempt rejects the duplicate.
    return opossum::appendOne(s, courseDefined(courseId, capacity), model.appendCondition);
  });
}

Position changeCourseCapacity(EventStore& store, const std::string& courseId, int newCapacity) {
  requirePositive(newCapacity);
  return opossum::executeDecision(store, [&](EventStore& s) {
    auto model = opossum::buildDecisionModel2(s, courseExists(courseId), courseCapacity(courseId));
    if (model.first == 0) throw CommandRejected(doesNotExist(courseId));
    if (model.second == newCapacity) {
      throw CommandRejected("New capacity " + std::to_string(newCapacity) +
                            " is the same as the current capacity");
    }
    return opossum::appendOne(s, courseCapacityChanged(courseId, newCapacity),
                              model.appendCondition);
  });
}

Position subscribeStudentToCourse(EventStore& store, const std::string& studentId,
                                  const std::string& courseId) {
  return opossum::executeDecision(store, [&](EventStore& s) {
    // One read for five facts. Its condition spans the course's events and the student's, so a
    // concurrent subscription of another student to this course, or of this student to another
    // course, makes this append fail and the rules are checked again.
    auto model = opossum::buildDecisionModelN(
        s,
        {courseExists(courseId), courseCapacity(courseId), numberOfCourseSubscriptions(courseId),
         numberOfStudentSubscriptions(studentId), studentAlreadySubscribed(studentId, courseId)});
    const int exists = model.states[0];
    const int capacity = model.states[1];
    const int courseSubscriptions = model.states[2];
    const int studentSubscriptions = model.states[3];
    const int alreadySubscribed = model.states[4];

    if (exists == 0) throw CommandRejected(doesNotExist(courseId));
    if (courseSubscriptions >= capacity) {
      throw CommandRejected("Course \"" + courseId + "\" is already fully booked");
    }
    if (alreadySubscribed > 0) throw CommandRejected("Student already subscribed to this course");
    if (studentSubscriptions >= kMaxCoursesPerStudent) {
      throw CommandRejected("Student already subscribed to " +
                            std::to_string(kMaxCoursesPerStudent) + " courses");
    }
    return opossum::appendOne(s, studentSubscribedToCourse(studentId, courseId),
                              model.appendCondition);
  });
}

}  // namespace samples::course_subscriptions
