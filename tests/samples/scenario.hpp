// Given/when/then for the dcb.events sample cases: a fresh store in its own TempDir, the given
// events appended to it, and a check of what the command appended after them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "opossum/opossum.hpp"
#include "store_helpers.hpp"
#include "temp_dir.hpp"

namespace opossum::test {

class Scenario {
 public:
  Scenario() : store_((usePluginDir(), openStore(dir_.path(), "scenario"))) {}

  EventStore& store() { return *store_; }

  // Given: these events are already in the store.
  void given(const std::vector<NewEvent>& events) {
    if (!events.empty()) head_ = appendEvents(*store_, events);
  }

  // The events appended after the given ones.
  std::vector<SequencedEvent> appended() {
    ReadOptions options;
    options.fromPosition = head_;
    return store_->read(Query::all(), options);
  }

  // Then: "" when the command appended exactly one event, of `type` with payload `json` and
  // exactly `tags`; else what differs.
  std::string appendedOnly(const std::string& type, const std::string& json,
                           const std::vector<Tag>& tags) {
    auto events = appended();
    if (events.size() != 1) return std::to_string(events.size()) + " events appended, not 1";
    const DomainEvent& e = events.front().event;
    if (e.eventType != type) return "type " + e.eventType + ", not " + type;
    if (auto d = jsonMismatch(json, e.event); !d.empty()) return "payload " + e.event + ": " + d;
    if (e.tags != tags) return "tags differ";
    return "";
  }

 private:
  TempDir dir_;
  std::shared_ptr<Store> store_;
  Position head_ = 0;
};

// A store that lets `interfere` append to `inner` just before the first append through it: a
// writer racing the decision between its read and its append.
class Interfering : public EventStore {
 public:
  Interfering(EventStore& inner, std::function<void(EventStore&)> interfere)
      : inner_(inner), interfere_(std::move(interfere)) {}

  Position append(const std::vector<NewEvent>& events,
                  const std::optional<AppendCondition>& condition,
                  std::stop_token cancel) override {
    if (interfere_) std::exchange(interfere_, nullptr)(inner_);
    return inner_.append(events, condition, cancel);
  }
  std::vector<SequencedEvent> read(const Query& query, const ReadOptions& options) override {
    return inner_.read(query, options);
  }
  std::optional<SequencedEvent> readLast(const Query& query, std::stop_token cancel) override {
    return inner_.readLast(query, cancel);
  }

 private:
  EventStore& inner_;
  std::function<void(EventStore&)> interfere_;
};

}  // namespace opossum::test
