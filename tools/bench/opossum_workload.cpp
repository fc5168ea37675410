#include "opossum_workload.hpp"

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include <unistd.h>

#include <cstdlib>

#include "opossum/opossum.hpp"

namespace opossum::bench {
namespace fs = std::filesystem;
namespace pt = boost::property_tree;

namespace {

constexpr const char* kStoreName = "bench";

class OpossumClient : public Client {
 public:
  explicit OpossumClient(std::shared_ptr<Store> store) : store_(std::move(store)) {}

  Position append(const std::vector<NewEvent>& events,
                  const std::optional<AppendCondition>& condition) override {
    try {
      return store_->append(events, condition);
    } catch (const LockTimeoutError& e) {
      throw BusyError(e.what());
    }
  }
  std::vector<SequencedEvent> read(const Query& query) override { return store_->read(query); }
  std::optional<SequencedEvent> readLast(const Query& query) override {
    return store_->readLast(query);
  }

 private:
  std::shared_ptr<Store> store_;
};

// The state is the count itself, a JSON number.
ProjectionDefinition<std::uint64_t> customerCounts() {
  return ProjectionDefinition<std::uint64_t>{
      .name = kCustomerCounts,
      .eventTypes = {},
      .keySelector =
          [](const SequencedEvent& e) {
            for (const auto& tag : e.event.tags) {
              if (tag.key == "customer") return tag.value;
            }
            return std::string("none");
          },
      .apply = [](std::optional<std::uint64_t> count, const SequencedEvent&)
          -> std::optional<std::uint64_t> { return count.value_or(0) + 1; },
      .tags = {},
      .codec = {.toJson = [](const std::uint64_t& n) { return std::to_string(n); },
                .fromJson =
                    [](std::string_view json) {
                      return static_cast<std::uint64_t>(
                          std::strtoull(std::string(json).c_str(), nullptr, 10));
                    }}};
}

std::shared_ptr<ProjectionManager> customerCountsManager(const std::shared_ptr<Store>& store) {
  auto manager = std::make_shared<ProjectionManager>(ProjectionManagerOptions{.eventStore = store});
  manager->registerProjection(customerCounts());
  return manager;
}

class OpossumFollower : public ProjectionFollower {
 public:
  OpossumFollower(std::shared_ptr<ProjectionManager> manager,
                  std::optional<std::chrono::milliseconds> interval)
      : manager_(std::move(manager)),
        states_(manager_->getStore<std::uint64_t>(kCustomerCounts)),
        daemon_(*manager_, {.pollingInterval = interval}) {
    daemon_.start();
  }
  std::chrono::milliseconds pollingInterval() const override { return daemon_.pollingInterval(); }
  std::optional<std::uint64_t> count(const std::string& customer) override {
    return states_.get(customer);
  }

 private:
  std::shared_ptr<ProjectionManager> manager_;
  ProjectionStore<std::uint64_t> states_;
  ProjectionDaemon daemon_;  // last: stops before the manager goes
};

class OpossumOpenStore : public OpenStore {
 public:
  explicit OpossumOpenStore(std::shared_ptr<Store> store) : store_(std::move(store)) {}
  std::unique_ptr<Client> connect() override { return std::make_unique<OpossumClient>(store_); }

  std::uint64_t rebuildCustomerCounts() override {
    ProjectionRebuilder rebuilder(manager());
    return rebuilder.rebuild(kCustomerCounts).eventsProcessed;
  }
  std::optional<std::uint64_t> customerCount(const std::string& customer) override {
    return manager().getStore<std::uint64_t>(kCustomerCounts).get(customer);
  }
  std::unique_ptr<ProjectionFollower> followCustomerCounts(
      std::optional<std::chrono::milliseconds> interval) override {
    manager();
    return std::make_unique<OpossumFollower>(manager_, interval);
  }

 private:
  // One manager per projections folder: made on first use, shared with the follower.
  ProjectionManager& manager() {
    if (!manager_) manager_ = customerCountsManager(store_);
    return *manager_;
  }

  std::shared_ptr<Store> store_;
  std::shared_ptr<ProjectionManager> manager_;
};

pt::ptree readTemplate(const fs::path& file) {
  pt::ptree tree;
  const std::string ext = file.extension().string();
  if (ext == ".ini") {
    pt::read_ini(file.string(), tree);
  } else if (ext == ".xml") {
    pt::ptree document;
    pt::read_xml(file.string(), document, pt::xml_parser::trim_whitespace);
    tree = document.get_child("opossum");
  } else {
    pt::read_json(file.string(), tree);
  }
  return tree;
}

// The config's relative paths are relative to its own folder; the copy lives elsewhere.
void absolutizePaths(pt::ptree& tree, const fs::path& base) {
  if (auto paths = tree.get_child_optional("plugins.path")) {
    if (paths->empty() && !paths->data().empty()) {
      paths->data() = fs::absolute(base / paths->data()).string();
    }
    for (auto& [key, child] : *paths) child.data() = fs::absolute(base / child.data()).string();
  }
  for (const char* kind : {"storage", "serializer", "index"}) {
    const std::string key = std::string("plugins.") + kind + ".file";
    if (auto file = tree.get_optional<std::string>(key)) {
      tree.put(key, fs::absolute(base / *file).string());
    }
  }
}

}  // namespace

OpossumWorkload::OpossumWorkload(OpossumStack stack) : stack_(std::move(stack)) {}

std::string OpossumWorkload::description() const {
  std::string d = std::string("Opossum ") + version() + ", ";
  if (stack_.isDefault())
    return d + "createEventStore (default plugins: file-per-event, json, tag-index)";
  if (stack_.configTemplate) d += "config " + stack_.configTemplate->string();
  if (stack_.serializer)
    d += (stack_.configTemplate ? ", serializer " : "serializer ") + *stack_.serializer;
  return d;
}

std::string OpossumWorkload::setting(Durability durability) const {
  return durability == Durability::kDurable ? "flushEventsImmediately=true"
                                            : "flushEventsImmediately=false";
}

fs::path OpossumWorkload::writeConfig(const fs::path& dir, Durability durability) const {
  pt::ptree tree;
  if (stack_.configTemplate) {
    tree = readTemplate(*stack_.configTemplate);
    absolutizePaths(tree, fs::absolute(*stack_.configTemplate).parent_path());
  }
  // A database engine keeps every store of a schema in one place: the run's fresh folder names
  // the store, so runs and rows never meet there.
  tree.put("store.name", std::string(kStoreName) + "-" +
                             std::to_string(std::hash<std::string>{}(fs::absolute(dir).string())));
  tree.put("store.rootPath", fs::absolute(dir).string());
  tree.put("store.flushEventsImmediately", durability == Durability::kDurable);
  if (stack_.serializer) {
    // The template's serializer section (its file and options) belongs to another serializer.
    if (auto plugins = tree.get_child_optional("plugins")) plugins->erase("serializer");
    tree.put("plugins.serializer.name", *stack_.serializer);
  }
  // Writer processes of one row open the same folder at once: each writes aside and renames, so
  // none reads another's half-written file.
  const fs::path file = dir / "bench-config.json";
  const fs::path aside = dir / ("bench-config.json." + std::to_string(::getpid()));
  pt::write_json(aside.string(), tree);
  fs::rename(aside, file);
  return file;
}

std::unique_ptr<OpenStore> OpossumWorkload::open(const fs::path& dir, Durability durability) {
  if (stack_.isDefault()) {
    EventStoreOptions options;
    options.storeName = kStoreName;
    options.rootPath = dir;
    options.flushEventsImmediately = durability == Durability::kDurable;
    return std::make_unique<OpossumOpenStore>(createEventStore(options));
  }
  return std::make_unique<OpossumOpenStore>(
      createEventStoreFromConfig(writeConfig(dir, durability)));
}

std::uint64_t OpossumWorkload::diskBytes(const fs::path& dir) {
  if (stack_.isDefault()) return diskUsage(dir);
  // The engine tells what it keeps outside the folder (a database's share of its tables).
  auto config = loadConfig(writeConfig(dir, Durability::kDurable));
  if (config.storage.name == "file-per-event") return diskUsage(dir);
  auto bytes = openStoreMaintenance(config)->property("bytes");
  return diskUsage(dir) + (bytes ? std::stoull(*bytes) : 0);
}

}  // namespace opossum::bench
