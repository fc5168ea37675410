// Optional capabilities a plugin may offer beyond its interface (ABI minor 2; see maintenance.hpp).
// Like SQLite's xFileControl: the caller asks by id and gets nullptr when the plugin lacks it.
#pragma once

#include <cstdint>

namespace opossum::sdk {

// Values are part of the ABI.
enum class Capability : std::uint32_t {
  storageMaintenance = 1,  // sdk::StorageMaintenance, offered by a Storage
  indexCheck = 2,          // sdk::IndexCheck, offered by an Index
  projectionStates = 3,    // sdk::ProjectionStates, offered by a Storage (projection_state.hpp)
};

template <class T>
struct CapabilityId;

// The capability `T` of `plugin`, or nullptr. The plugin must declare ABI minor 2 or later (the
// kernel checks before asking).
template <class T, class Plugin>
T* capabilityOf(Plugin& plugin) {
  return static_cast<T*>(plugin.capability(CapabilityId<T>::value));
}

}  // namespace opossum::sdk
