// The course subscription example of dcb.events (from Sara Pellegrini's "Killing the Aggregate").
// There is no Course or Student aggregate: each command reads just the events its rules depend
// on, decides, and appends under the condition that none of those events changed meanwhile.
//
// Rules: a course cannot take more students than its capacity; the capacity can change to any
// other positive number; a student cannot take more than kMaxCoursesPerStudent courses.
#pragma once

#include <string>

#include <opossum/opossum.hpp>

#include "command_rejected.hpp"

namespace samples::course_subscriptions {

inline constexpr int kMaxCoursesPerStudent = 5;

inline const std::string kCourseDefined = "CourseDefined";
inline const std::string kCourseCapacityChanged = "CourseCapacityChanged";
inline const std::string kStudentSubscribedToCourse = "StudentSubscribedToCourse";

opossum::Tag courseTag(const std::string& courseId);    // course:{courseId}
opossum::Tag studentTag(const std::string& studentId);  // student:{studentId}

// The events. A subscription carries both tags, so it belongs to the course's consistency
// boundary and to the student's at once.
opossum::NewEvent courseDefined(const std::string& courseId, int capacity);
opossum::NewEvent courseCapacityChanged(const std::string& courseId, int newCapacity);
opossum::NewEvent studentSubscribedToCourse(const std::string& studentId,
                                            const std::string& courseId);

// The decision projections. All fold to an int, so that one buildDecisionModelN can hold the
// five facts a subscription depends on; the two flags are counts (0 or 1).
opossum::DecisionProjection<int> courseExists(const std::string& courseId);
opossum::DecisionProjection<int> courseCapacity(const std::string& courseId);
opossum::DecisionProjection<int> numberOfCourseSubscriptions(const std::string& courseId);
opossum::DecisionProjection<int> numberOfStudentSubscriptions(const std::string& studentId);
opossum::DecisionProjection<int> studentAlreadySubscribed(const std::string& studentId,
                                                          const std::string& courseId);

// The commands. Each appends one event and returns its position, or throws CommandRejected with
// the reason. A conflicting concurrent append makes them decide again (executeDecision).
opossum::Position defineCourse(opossum::EventStore& store, const std::string& courseId,
                               int capacity);
opossum::Position changeCourseCapacity(opossum::EventStore& store, const std::string& courseId,
                                       int newCapacity);
opossum::Position subscribeStudentToCourse(opossum::EventStore& store, const std::string& studentId,
                                           const std::string& courseId);

}  // namespace samples::course_subscriptions
