#include "event_store.hpp"

#include "logging.hpp"
#include "storage_factory.hpp"
#include "validation.hpp"

namespace opossum::detail {

namespace {

void checkCancel(const std::stop_token& cancel, const char* what) {
  if (cancel.stop_requested()) throw CancelledError(std::string(what) + " cancelled");
}

}  // namespace

EventStoreImpl::EventStoreImpl(const StoreConfig& config)
    : config_(config),
      storage_(createStorage(config, sdk::StoragePurpose::use, &plugins_)),
      commits_(storage_) {}

Position EventStoreImpl::append(const std::vector<NewEvent>& events,
                                const std::optional<AppendCondition>& condition,
                                std::stop_token cancel) {
  auto prepared = prepareEvents(events, std::chrono::system_clock::now());
  checkCancel(cancel, "append");
  return commits_.append(prepared, condition ? &*condition : nullptr, cancel);
}

sdk::ProjectionStates* EventStoreImpl::projectionStates() {
  // A storage of ABI minor 1 has no capability() in its vtable.
  if (plugins_.empty() || plugins_.front().abiMinor < 2) return nullptr;
  return sdk::capabilityOf<sdk::ProjectionStates>(*storage_);
}

std::vector<SequencedEvent> EventStoreImpl::read(const Query& query, const ReadOptions& options) {
  return storage_->read(query, options);
}

std::optional<SequencedEvent> EventStoreImpl::readLast(const Query& query, std::stop_token cancel) {
  checkCancel(cancel, "readLast");
  return storage_->readLast(query);
}

void EventStoreImpl::deleteStore(std::stop_token cancel) {
  checkCancel(cancel, "deleteStore");
  storage_->deleteStore(cancel);
}

TagMigrationResult EventStoreImpl::addTags(
    const std::string& eventType, std::function<std::vector<Tag>(const SequencedEvent&)> tagFactory,
    std::stop_token cancel) {
  if (eventType.empty()) throw InvalidArgumentError("addTags: event type is empty");
  if (!tagFactory) throw InvalidArgumentError("addTags: no tag factory");
  checkCancel(cancel, "addTags");
  auto checked = [&](const SequencedEvent& event) {
    auto tags = tagFactory(event);
    for (std::size_t t = 0; t < tags.size(); ++t) {
      validateTag(tags[t], "addTags: tag " + std::to_string(t) + " for the event at position " +
                               std::to_string(event.position));
    }
    return tags;
  };
  return storage_->addTags(eventType, checked, cancel);
}

Position EventStoreImpl::head() { return storage_->head(); }

StoreDescription EventStoreImpl::describe() {
  return StoreDescription{config_.options.storeName, storage_->head(), plugins_};
}

std::shared_ptr<Store> openStore(const StoreConfig& config) {
  return std::make_shared<EventStoreImpl>(config);
}

}  // namespace opossum::detail

namespace opossum {

NewEvent normalizeEvent(const NewEvent& event) { return detail::prepareEvent(event, ""); }

std::shared_ptr<Store> createEventStore(const EventStoreOptions& options) {
  return detail::openStore(defaultConfig(options));
}

std::shared_ptr<Store> createEventStoreFromConfig(const std::filesystem::path& configFile) {
  return detail::openStore(loadConfig(configFile));
}

std::shared_ptr<Store> createEventStore(const StoreConfig& config) {
  return detail::openStore(config);
}

}  // namespace opossum
