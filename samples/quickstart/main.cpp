// Quick start: append two ItemAdded events to the default embedded store, query them by type
// and print them.
#include <iostream>

#include <opossum/opossum.hpp>

int main() {
  try {
    auto store = opossum::createEventStore({.storeName = "quickstart"});
    store->deleteStore();  // start empty, so every run prints exactly these two events

    std::vector<opossum::NewEvent> events = {
        {{"ItemAdded", R"({"sku":"coffee-beans","quantity":2})", {{"cart", "c-42"}}}, {}},
        {{"ItemAdded", R"({"sku":"oat-milk","quantity":1})", {{"cart", "c-42"}}}, {}},
    };
    opossum::Position last = store->append(events);
    std::cout << "appended up to position " << last << "\n";

    for (const auto& e : store->read(opossum::Query::fromEventTypes({"ItemAdded"}))) {
      std::cout << e.position << " " << e.event.eventType << " " << e.event.event;
      for (const auto& tag : e.event.tags) std::cout << " " << tag.key << ":" << tag.value;
      std::cout << "\n";
    }
    return 0;
  } catch (const opossum::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
