// An application that picks the vendor's serializer in a config file, appends and reads back.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <opossum/opossum.hpp>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::filesystem::path root = argv[1];
  std::filesystem::path config = root / "acme.json";
  std::ofstream(config) << R"({"store": {"name": "acme", "rootPath": ")"
                        << (root / "stores").string() << R"("}, "plugins": {"path": [")"
                        << ACME_PLUGIN_DIR << R"("], "serializer": {"name": "acme-text"}}})";
  try {
    auto store = opossum::createEventStoreFromConfig(config);
    opossum::NewEvent event{{"PointsEarned", R"({"points":42})", {{"member", "m-1"}}}, {}};
    event.metadata.userId = "till-3";
    store->append({event, event});
    auto events = store->read(opossum::Query::fromTags({{"member", "m-1"}}));
    store.reset();  // closing writes the event files still only in the journal
    bool ok = events.size() == 2 && events[1].position == 2 &&
              events[1].event.event == R"({"points":42})" &&
              events[1].metadata.userId == "till-3" &&
              std::filesystem::exists(root / "stores" / "acme" / "events" / "000000002.acme");
    std::cout << (ok ? "acme-text store works" : "acme-text store is wrong") << "\n";
    return ok ? 0 : 1;
  } catch (const opossum::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
