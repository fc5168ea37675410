#include "storage_factory.hpp"

#include <mutex>
#include <optional>

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

// The serializer and index plugins of a store's config, loaded when the storage asks (SDK minor
// 4), with what each library declares for describe().
class ConfiguredPlugins : public sdk::StoragePlugins {
 public:
  ConfiguredPlugins(std::shared_ptr<PluginHost> host, const StoreConfig& config,
                    std::shared_ptr<sdk::FileSystem> fileSystem)
      : host_(std::move(host)),
        serializerChoice_(config.serializer),
        indexChoice_(config.index),
        fileSystem_(std::move(fileSystem)) {}

  std::shared_ptr<sdk::Serializer> serializer() override {
    std::lock_guard lock(mutex_);
    if (!serializer_) {
      PluginInfo info;
      serializer_ = host_->create<sdk::Serializer>(
          serializerChoice_,
          sdk::SerializerContext{serializerChoice_.options, pluginLogger(serializerChoice_.name)},
          &info);
      info.format = serializer_->formatName();
      info.formatVersion = serializer_->formatVersion();
      serializerInfo_ = info;
    }
    return serializer_;
  }

  std::shared_ptr<sdk::Index> index(const std::filesystem::path& folder) override {
    PluginInfo info;
    auto index = host_->create<sdk::Index>(
        indexChoice_,
        sdk::IndexContext{folder, fileSystem_, pluginLogger(indexChoice_.name),
                          indexChoice_.options},
        &info);
    std::lock_guard lock(mutex_);
    if (!indexInfo_) {
      info.format = index->formatName();
      info.formatVersion = index->formatVersion();
      indexInfo_ = info;
    }
    if (info.abiMinor < 2) return std::make_shared<MinorOneIndex>(index);
    return index;
  }

  // What was loaded so far: the serializer, then the index.
  std::vector<PluginDescription> loaded() {
    std::lock_guard lock(mutex_);
    std::vector<PluginDescription> out;
    if (serializerInfo_) out.push_back(*serializerInfo_);
    if (indexInfo_) out.push_back(*indexInfo_);
    return out;
  }

 private:
  std::shared_ptr<PluginHost> host_;
  PluginChoice serializerChoice_;
  PluginChoice indexChoice_;
  std::shared_ptr<sdk::FileSystem> fileSystem_;
  std::mutex mutex_;
  std::shared_ptr<sdk::Serializer> serializer_;
  std::optional<PluginInfo> serializerInfo_;
  std::optional<PluginInfo> indexInfo_;
};

}  // namespace

std::shared_ptr<sdk::Storage> createStorage(const StoreConfig& config, sdk::StoragePurpose purpose,
                                            std::vector<PluginDescription>* loaded) {
  validateStoreOptions(config.options);
  setLogLevel(config.logLevel, config.file.empty() ? "logging.level" : config.file.string());
  auto host = std::make_shared<PluginHost>(config.pluginPaths, config.file);
  auto fileSystem = sdk::posixFileSystem();
  const std::filesystem::path storeDirectory = config.options.rootPath / config.options.storeName;
  auto plugins = std::make_shared<ConfiguredPlugins>(host, config, fileSystem);

  sdk::StorageContext base;
  base.storeDirectory = storeDirectory;
  base.flushEventsImmediately = config.options.flushEventsImmediately;
  base.writeProtectEventFiles = config.options.writeProtectEventFiles;
  base.crossProcessLockTimeout = config.options.crossProcessLockTimeout;
  base.fileSystem = fileSystem;
  base.logger = pluginLogger(config.storage.name);
  base.options = config.storage.options;
  base.purpose = purpose;
  auto fitted = [&](const PluginInfo& info) {
    sdk::StorageContext context = base;
    if (info.abiMinor >= 4) {
      context.plugins = plugins;
    } else {
      // Older storages expect their serializer and index ready made.
      context.serializer = plugins->serializer();
      context.index = plugins->index(storeDirectory / "indices");
      context.makeIndex = [plugins](const std::filesystem::path& folder) {
        return plugins->index(folder);
      };
    }
    return context;
  };
  PluginInfo storageInfo;
  auto storage =
      purpose == sdk::StoragePurpose::maintenance
          ? host->createFitted<sdk::Storage>(config.storage, fitted, &storageInfo, 2,
                                             "store maintenance (verify, recover, reindex, info)")
          : host->createFitted<sdk::Storage>(config.storage, fitted, &storageInfo);
  if (loaded != nullptr) {
    *loaded = {storageInfo};
    for (auto& part : plugins->loaded()) loaded->push_back(std::move(part));
  }
  return storage;
}

}  // namespace opossum::detail
