// Unique usernames on the embedded store ./OpossumStore/unique-username: registers, closes and
// renames accounts, and shows which usernames are claimed. The clock is a variable here so the
// program can show the 3-day retention without waiting 3 days.
#include <chrono>
#include <functional>
#include <iostream>
#include <string>

#include <opossum/opossum.hpp>

#include "unique_username.hpp"

namespace uu = samples::unique_username;
using namespace std::chrono_literals;

namespace {

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
    auto store = opossum::createEventStore({.storeName = "unique-username"});
    store->deleteStore();  // start empty, so every run prints the same story
    opossum::EventStore& events = *store;

    // Real time, shifted by `elapsed` to play the days forward.
    auto elapsed = std::chrono::hours(0);
    uu::UsernamePolicy policy;
    policy.clock = [&] { return std::chrono::system_clock::now() + elapsed; };

    run("register alice", [&] { return uu::registerAccount(events, "alice", policy); });
    run("register alice again", [&] { return uu::registerAccount(events, "alice", policy); });
    run("register bob", [&] { return uu::registerAccount(events, "bob", policy); });
    run("rename bob to bobby", [&] { return uu::changeUsername(events, "bob", "bobby", policy); });
    run("register bobby", [&] { return uu::registerAccount(events, "bobby", policy); });
    run("close alice's account", [&] { return uu::closeAccount(events, "alice", policy); });
    run("register alice (released, within 3 days)",
        [&] { return uu::registerAccount(events, "alice", policy); });
    run("register bob (released, within 3 days)",
        [&] { return uu::registerAccount(events, "bob", policy); });

    elapsed = 4 * 24h;
    std::cout << "-- 4 days later --\n";
    run("register alice", [&] { return uu::registerAccount(events, "alice", policy); });
    run("register bob", [&] { return uu::registerAccount(events, "bob", policy); });
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
