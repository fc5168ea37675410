// Runs the installed kernel with the vendor's "acme-loyalty" projection plugin listed in a config:
// appends purchases, lets the projection daemon update the projection, reads the JSON states and
// tag queries, then rebuilds the projection and checks it again.
//   loyalty_app <work dir> <folder of libacme_loyalty.so>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <opossum/opossum.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok: " : "FAILED: ") << what << "\n";
  if (!ok) ++failures;
}

opossum::NewEvent event(const std::string& type, const std::string& customer,
                        const std::string& member, long long value) {
  std::string json = R"({"customerId":")" + customer + R"(")";
  if (!member.empty()) json += ",\"" + member + "\":" + std::to_string(value);
  return opossum::toNewEvent(type, json + "}", {{"customer", customer}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: loyalty_app <work dir> <plugin dir>\n";
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const std::filesystem::path config = root / "loyalty.json";
  std::ofstream(config) << R"({"store": {"name": "shop", "rootPath": ")"
                        << (root / "stores").string() << R"("}, "plugins": {"path": [")" << argv[2]
                        << R"("], "projections": {"runner": {"name": "projection-daemon", )"
                        << R"("pollingIntervalMs": 50}, "libraries": ["acme-loyalty"]}}})";
  try {
    auto store = opossum::createEventStoreFromConfig(config);
    const opossum::Position head =
        opossum::appendEvents(*store, {event("PurchaseCompleted", "c-1", "amountCents", 12050),
                                       event("PurchaseCompleted", "c-2", "amountCents", 60000),
                                       event("PurchaseCompleted", "c-1", "amountCents", 50000),
                                       event("PurchaseCompleted", "c-3", "amountCents", 200000),
                                       event("PointsRedeemed", "c-2", "points", 200),
                                       event("PurchaseCompleted", "c-4", "amountCents", 1000),
                                       event("CustomerForgotten", "c-4", "", 0),
                                       opossum::toNewEvent("ShiftOpened", R"({"till":3})")});

    opossum::ProjectionManager manager({.eventStore = store});
    check(manager.projectionNames() == std::vector<std::string>{"acme-loyalty"},
          "the config's projection library is registered");
    opossum::ProjectionDaemon daemon(manager);
    check(daemon.pollingInterval() == std::chrono::milliseconds(50), "polling interval 50 ms");
    daemon.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (manager.checkpoint("acme-loyalty") < head &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    daemon.stop();
    check(manager.checkpoint("acme-loyalty") == head, "the daemon reached the last event");

    auto loyalty = manager.getStore<std::string>("acme-loyalty");
    auto verify = [&](const std::string& when) {
      check(loyalty.get("c-1") == std::string(R"({"points":620,"tier":"silver"})"),
            when + ": c-1 " + loyalty.get("c-1").value_or("(none)"));
      check(loyalty.get("c-2") == std::string(R"({"points":400,"tier":"bronze"})"),
            when + ": c-2 " + loyalty.get("c-2").value_or("(none)"));
      check(loyalty.get("c-3") == std::string(R"({"points":2000,"tier":"gold"})"),
            when + ": c-3 " + loyalty.get("c-3").value_or("(none)"));
      check(!loyalty.get("c-4"), when + ": c-4 was forgotten");
      check(loyalty.queryByTag({"tier", "gold"}) ==
                std::vector<std::string>{R"({"points":2000,"tier":"gold"})"},
            when + ": tier:gold");
      check(loyalty.queryByTag({"tier", "silver"}).size() == 1, when + ": tier:silver");
    };
    verify("daemon");

    opossum::ProjectionRebuilder rebuilder(manager);
    auto result = rebuilder.rebuild("acme-loyalty");
    check(result.eventsProcessed == 7 && result.checkpoint == head,
          "rebuild applied " + std::to_string(result.eventsProcessed) + " events");
    verify("rebuild");
  } catch (const opossum::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  std::cout << (failures == 0 ? "acme-loyalty works in the installed kernel\n" : "failures\n");
  return failures == 0 ? 0 : 1;
}
