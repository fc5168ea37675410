#include "storage_factory.hpp"

#include "logging.hpp"
#include "plugin_host.hpp"
#include "validation.hpp"

namespace opossum::detail {

namespace {

// An index plugin of ABI minor 1 has no capability() in its vtable: it is reached through this,
// so the storage may ask any index for capabilities.
class MinorOneIndex : public sdk::Index {
 public:
  explicit MinorOneIndex(std::shared_ptr<sdk::Index> index) : index_(std::move(index)) {}
  std::string formatName() const override { return index_->formatName(); }
  int formatVersion() const override { return index_->formatVersion(); }
  std::vector<Position> positions(const Query& query, const ReadOptions& options,
                                  Position head) override {
    return index_->positions(query, options, head);
  }
  void add(std::span<const sdk::IndexedEvent> events) override { index_->add(events); }
  void materialize(Position upTo) override { index_->materialize(upTo); }
  void truncateAfter(Position head) override { index_->truncateAfter(head); }
  void reset() override { index_->reset(); }
  void addTags(std::span<const sdk::IndexedEvent> additions) override {
    index_->addTags(additions);
  }

 private:
  std::shared_ptr<sdk::Index> index_;
};

}  // namespace

std::shared_ptr<sdk::Storage> createStorage(const StoreConfig& config, sdk::StoragePurpose purpose,
                                            std::vector<PluginDescription>* loaded) {
  validateStoreOptions(config.options);
  setLogLevel(config.logLevel, config.file.empty() ? "logging.level" : config.file.string());
  auto host = std::make_shared<PluginHost>(config.pluginPaths, config.file);
  auto fileSystem = sdk::posixFileSystem();
  std::filesystem::path storeDirectory = config.options.rootPath / config.options.storeName;

  PluginInfo serializerInfo;
  auto serializer = host->create<sdk::Serializer>(
      config.serializer,
      sdk::SerializerContext{config.serializer.options, pluginLogger(config.serializer.name)},
      &serializerInfo);
  auto makeIndex = [host, fileSystem, choice = config.index](const std::filesystem::path& folder,
                                                             PluginInfo* info) {
    PluginInfo own;
    PluginInfo& created = info != nullptr ? *info : own;
    auto index = host->create<sdk::Index>(
        choice, sdk::IndexContext{folder, fileSystem, pluginLogger(choice.name), choice.options},
        &created);
    if (created.abiMinor < 2) {
      return std::shared_ptr<sdk::Index>(std::make_shared<MinorOneIndex>(index));
    }
    return index;
  };
  PluginInfo indexInfo;
  sdk::StorageContext context;
  context.storeDirectory = storeDirectory;
  context.flushEventsImmediately = config.options.flushEventsImmediately;
  context.writeProtectEventFiles = config.options.writeProtectEventFiles;
  context.crossProcessLockTimeout = config.options.crossProcessLockTimeout;
  context.serializer = serializer;
  context.index = makeIndex(storeDirectory / "indices", &indexInfo);
  context.fileSystem = fileSystem;
  context.logger = pluginLogger(config.storage.name);
  context.options = config.storage.options;
  context.purpose = purpose;
  context.makeIndex = [makeIndex](const std::filesystem::path& folder) {
    return makeIndex(folder, nullptr);
  };
  PluginInfo storageInfo;
  auto storage =
      purpose == sdk::StoragePurpose::maintenance
          ? host->create<sdk::Storage>(config.storage, context, &storageInfo, 2,
                                       "store maintenance (verify, recover, reindex, info)")
          : host->create<sdk::Storage>(config.storage, context, &storageInfo);
  if (loaded != nullptr) {
    *loaded = {storageInfo, serializerInfo, indexInfo};
    (*loaded)[1].format = serializer->formatName();
    (*loaded)[1].formatVersion = serializer->formatVersion();
    (*loaded)[2].format = context.index->formatName();
    (*loaded)[2].formatVersion = context.index->formatVersion();
  }
  return storage;
}

}  // namespace opossum::detail
