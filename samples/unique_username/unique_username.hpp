// The unique username example of dcb.events: a username can be claimed by one account only.
// Uniqueness across all accounts needs no "username registry" aggregate: every event about a
// username carries the tag username:{u}, and a registration decides on exactly those events.
//
// Features (the example adds them one by one):
//   1. a username that is in use cannot be registered again;
//   2. closing an account releases its username;
//   3. changing a username releases the old one and claims the new one;
//   4. a released username stays claimed for a retention period (3 days), measured from the
//      timestamp of the event that released it.
// Usernames are compared exactly, as tags are; an application that wants "Alice" and "alice" to
// collide would tag a normalised form (lower case, Unicode normalisation) instead.
#pragma once

#include <chrono>
#include <string>

#include <opossum/opossum.hpp>

#include "command_rejected.hpp"

namespace samples::unique_username {

inline const std::string kAccountRegistered = "AccountRegistered";
inline const std::string kAccountClosed = "AccountClosed";
inline const std::string kUsernameChanged = "UsernameChanged";

opossum::Tag usernameTag(const std::string& username);  // username:{username}

// The events. A change carries the tags of both usernames: it releases one and claims the other.
opossum::NewEvent accountRegistered(const std::string& username);
opossum::NewEvent accountClosed(const std::string& username);
opossum::NewEvent usernameChanged(const std::string& oldUsername, const std::string& newUsername);

struct UsernamePolicy {
  // How long a released username stays claimed; zero releases it at once (features 2 and 3).
  std::chrono::hours retention{72};
  // "Now" for the retention rule and the timestamp of the appended events. Tests put a fixed
  // time here, so the rule does not depend on when the test runs.
  opossum::Clock clock = opossum::systemClock();
};

// True while `username` is in use or released less than `policy.retention` ago.
opossum::DecisionProjection<bool> usernameClaimed(const std::string& username,
                                                  const UsernamePolicy& policy);
// True while an open account has `username`.
opossum::DecisionProjection<bool> accountActive(const std::string& username);

// The commands. Each appends one event and returns its position, or throws CommandRejected.
opossum::Position registerAccount(opossum::EventStore& store, const std::string& username,
                                  const UsernamePolicy& policy = {});
opossum::Position closeAccount(opossum::EventStore& store, const std::string& username,
                               const UsernamePolicy& policy = {});
opossum::Position changeUsername(opossum::EventStore& store, const std::string& oldUsername,
                                 const std::string& newUsername, const UsernamePolicy& policy = {});

}  // namespace samples::unique_username
