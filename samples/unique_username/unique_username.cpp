#include "unique_username.hpp"

#include "json_payload.hpp"

namespace samples::unique_username {

using opossum::DecisionProjection;
using opossum::EventStore;
using opossum::Position;
using opossum::SequencedEvent;

namespace {

// Every event that claims or releases `username`.
opossum::Query eventsAbout(const std::string& username) {
  return opossum::Query::fromItems(
      {{{kAccountRegistered, kAccountClosed, kUsernameChanged}, {usernameTag(username)}}});
}

std::string claimed(const std::string& username) {
  return "Username \"" + username + "\" is claimed";
}

// The event stamped with the policy's clock, so "now" in decisions and event times agree.
opossum::NewEvent at(opossum::NewEvent event, const UsernamePolicy& policy) {
  event.metadata.timestamp = policy.clock();
  return event;
}

}  // namespace

opossum::Tag usernameTag(const std::string& username) { return {"username", username}; }

opossum::NewEvent accountRegistered(const std::string& username) {
  return opossum::toNewEvent(kAccountRegistered, JsonObject().add("username", username).text(),
                             {usernameTag(username)});
}

opossum::NewEvent accountClosed(const std::string& username) {
  return opossum::toNewEvent(kAccountClosed, JsonObject().add("username", username).text(),
                             {usernameTag(username)});
}

opossum::NewEvent usernameChanged(const std::string& oldUsername, const std::string& newUsername) {
  return opossum::toNewEvent(
      kUsernameChanged,
      JsonObject().add("oldUsername", oldUsername).add("newUsername", newUsername).text(),
      {usernameTag(oldUsername), usernameTag(newUsername)});
}

DecisionProjection<bool> usernameClaimed(const std::string& username,
                                         const UsernamePolicy& policy) {
  return opossum::createDecisionProjection(
      false, eventsAbout(username), [username, policy](bool, const SequencedEvent& e) {
        if (e.event.eventType == kAccountRegistered) return true;
        if (e.event.eventType == kUsernameChanged && stringMember(e, "newUsername") == username) {
          return true;
        }
        // Closed, or renamed away: claimed until the retention period after that event is over.
        // The store stamps every event, so the timestamp is there.
        auto releasedAt = e.metadata.timestamp.value_or(opossum::Timestamp{});
        return policy.clock() - releasedAt < policy.retention;
      });
}

DecisionProjection<bool> accountActive(const std::string& username) {
  return opossum::createDecisionProjection(false, eventsAbout(username),
                                           [username](bool, const SequencedEvent& e) {
                                             if (e.event.eventType == kAccountRegistered)
                                               return true;
                                             if (e.event.eventType == kAccountClosed) return false;
                                             return stringMember(e, "newUsername") == username;
                                           });
}

Position registerAccount(EventStore& store, const std::string& username,
                         const UsernamePolicy& policy) {
  return opossum::executeDecision(store, [&](EventStore& s) {
    auto model = opossum::buildDecisionModel(s, usernameClaimed(username, policy));
    if (model.state) throw CommandRejected(claimed(username));
    // Two concurrent registrations of one username: both read "free", only the first append
    // passes the condition; the second decides again and is rejected.
    return opossum::appendOne(s, at(accountRegistered(username), policy), model.appendCondition);
  });
}

Position closeAccount(EventStore& store, const std::string& username,
                      const UsernamePolicy& policy) {
  return opossum::executeDecision(store, [&](EventStore& s) {
    auto model = opossum::buildDecisionModel(s, accountActive(username));
    if (!model.state) {
      throw CommandRejected("No open account has the username \"" + username + "\"");
    }
    return opossum::appendOne(s, at(accountClosed(username), policy), model.appendCondition);
  });
}

Position changeUsername(EventStore& store, const std::string& oldUsername,
                        const std::string& newUsername, const UsernamePolicy& policy) {
  return opossum::executeDecision(store, [&](EventStore& s) {
    // One decision over both usernames: the condition guards the old one (still ours?) and the
    // new one (still free?) together.
    auto model = opossum::buildDecisionModel2(s, accountActive(oldUsername),
                                              usernameClaimed(newUsername, policy));
    if (!model.first) {
      throw CommandRejected("No open account has the username \"" + oldUsername + "\"");
    }
    if (model.second) throw CommandRejected(claimed(newUsername));
    return opossum::appendOne(s, at(usernameChanged(oldUsername, newUsername), policy),
                              model.appendCondition);
  });
}

}  // namespace samples::unique_username
