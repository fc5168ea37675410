// The plugin boundary. A plugin is a shared library exporting one extern "C" function,
// opossum_plugin_entry(), that returns a versioned descriptor. The kernel checks the descriptor
// (struct size, ABI major and minor, kind) before calling anything else.
//
// What may cross the boundary: the types of the opossum SDK headers, standard library types
// (plugins are built with the same SDK major version and the same standard library and library
// ABI as the kernel, OPOSSUM_SDK_TOOLCHAIN, which the kernel checks), and
// exceptions derived from opossum::Error thrown by interface methods. The entry point and the
// create/destroy functions never throw: OPOSSUM_PLUGIN catches and reports a status.
//
// Interfaces grow only by appending virtual methods, and contexts by appending fields, each with
// an ABI minor bump; the kernel never calls a method newer than the minor version a plugin
// declares, and refuses a plugin of a newer minor than its own (the plugin may call methods of
// kernel objects this kernel lacks).
// Minor 1: sdk::ReadableFile::replaced().
// Minor 2: capabilities (capability.hpp, maintenance.hpp): Storage::capability(),
// Index::capability(), StorageContext::purpose and makeIndex.
// Minor 3: the descriptor names the toolchain and the size of its kind's context, and the kernel
// refuses a plugin whose standard library, library ABI or context layout differs from its own.
// Minor 4: StorageContext::plugins (the storage loads the serializer and index it uses; older
// storages are given them, loaded beforehand, in StorageContext::serializer and index).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>

#include "opossum/errors.hpp"
#include "opossum/sdk/index.hpp"
#include "opossum/sdk/maintenance.hpp"
#include "opossum/sdk/projection.hpp"
#include "opossum/sdk/serializer.hpp"
#include "opossum/sdk/storage.hpp"

#define OPOSSUM_SDK_ABI_MAJOR 1
#define OPOSSUM_SDK_ABI_MINOR 4

// The standard library and its ABI, as compiled: standard-library types cross the boundary, so a
// plugin must match the kernel here ("libstdc++ cxx11-abi 1", "libc++ abi 1").
#define OPOSSUM_SDK_STRINGIZE_(x) #x
#define OPOSSUM_SDK_STRINGIZE(x) OPOSSUM_SDK_STRINGIZE_(x)
#if defined(_LIBCPP_VERSION)
#define OPOSSUM_SDK_TOOLCHAIN "libc++ abi " OPOSSUM_SDK_STRINGIZE(_LIBCPP_ABI_VERSION)
#elif defined(__GLIBCXX__)
#define OPOSSUM_SDK_TOOLCHAIN "libstdc++ cxx11-abi " OPOSSUM_SDK_STRINGIZE(_GLIBCXX_USE_CXX11_ABI)
#else
#define OPOSSUM_SDK_TOOLCHAIN "unknown standard library"
#endif

extern "C" {

// Kinds of plugin; the values are part of the ABI.
enum opossum_plugin_kind : std::uint32_t {
  OPOSSUM_PLUGIN_STORAGE = 1,
  OPOSSUM_PLUGIN_SERIALIZER = 2,
  OPOSSUM_PLUGIN_INDEX = 3,
  OPOSSUM_PLUGIN_PROJECTION_RUNNER = 4,  // reserved for the projection runner
  OPOSSUM_PLUGIN_PROJECTION = 5,         // reserved for vendor projections
};

// Status of create(); the kernel rethrows the matching opossum error.
enum opossum_plugin_status : std::int32_t {
  OPOSSUM_PLUGIN_OK = 0,
  OPOSSUM_PLUGIN_CONFIG_ERROR = 1,
  OPOSSUM_PLUGIN_INVALID_ARGUMENT = 2,
  OPOSSUM_PLUGIN_IO_ERROR = 3,
  OPOSSUM_PLUGIN_CORRUPTION = 4,
  OPOSSUM_PLUGIN_FAILED = 5,
};

struct opossum_plugin_descriptor {
  std::uint32_t struct_size;  // sizeof(opossum_plugin_descriptor) the plugin was built with
  std::uint32_t abi_major;
  std::uint32_t abi_minor;
  std::uint32_t kind;   // opossum_plugin_kind
  const char* name;     // e.g. "file-per-event"; unique per kind on the search path
  const char* version;  // the plugin's own version, e.g. "1.0.0"
  const char* description;
  // Creates the plugin object from the kind's context (sdk::StorageContext, ...). On success
  // stores an owning pointer to the kind's interface in *object and returns OPOSSUM_PLUGIN_OK;
  // otherwise writes a message to error (NUL-terminated, truncated to error_size).
  std::int32_t (*create)(const void* context, void** object, char* error, std::size_t error_size);
  void (*destroy)(void* object);
  // ABI minor 3 (read only when struct_size covers them):
  const char* toolchain;       // OPOSSUM_SDK_TOOLCHAIN the plugin was built with
  std::uint32_t context_size;  // sizeof the kind's context (sdk::StorageContext, ...) it expects
};

typedef const opossum_plugin_descriptor* (*opossum_plugin_entry_fn)();
}

#define OPOSSUM_PLUGIN_ENTRY_NAME "opossum_plugin_entry"

namespace opossum::sdk {

template <class Interface>
struct PluginTraits;
template <>
struct PluginTraits<Storage> {
  static constexpr std::uint32_t kind = OPOSSUM_PLUGIN_STORAGE;
  using Context = StorageContext;
};
template <>
struct PluginTraits<Serializer> {
  static constexpr std::uint32_t kind = OPOSSUM_PLUGIN_SERIALIZER;
  using Context = SerializerContext;
};
template <>
struct PluginTraits<Index> {
  static constexpr std::uint32_t kind = OPOSSUM_PLUGIN_INDEX;
  using Context = IndexContext;
};
template <>
struct PluginTraits<ProjectionRunner> {
  static constexpr std::uint32_t kind = OPOSSUM_PLUGIN_PROJECTION_RUNNER;
  using Context = ProjectionRunnerContext;
};
template <>
struct PluginTraits<Projection> {
  static constexpr std::uint32_t kind = OPOSSUM_PLUGIN_PROJECTION;
  using Context = ProjectionContext;
};

namespace detail {

inline void copyMessage(const char* message, char* error, std::size_t size) {
  if (size == 0) return;
  std::strncpy(error, message, size - 1);
  error[size - 1] = '\0';
}

// Runs a plugin's factory without letting an exception cross the boundary.
template <class Interface, class Factory>
std::int32_t createPlugin(Factory factory, const void* context, void** object, char* error,
                          std::size_t size) noexcept {
  try {
    using Context = typename PluginTraits<Interface>::Context;
    std::unique_ptr<Interface> created = factory(*static_cast<const Context*>(context));
    *object = created.release();
    return OPOSSUM_PLUGIN_OK;
  } catch (const ConfigError& e) {
    copyMessage(e.what(), error, size);
    return OPOSSUM_PLUGIN_CONFIG_ERROR;
  } catch (const InvalidArgumentError& e) {
    copyMessage(e.what(), error, size);
    return OPOSSUM_PLUGIN_INVALID_ARGUMENT;
  } catch (const IoError& e) {
    copyMessage(e.what(), error, size);
    return OPOSSUM_PLUGIN_IO_ERROR;
  } catch (const CorruptionError& e) {
    copyMessage(e.what(), error, size);
    return OPOSSUM_PLUGIN_CORRUPTION;
  } catch (const std::exception& e) {
    copyMessage(e.what(), error, size);
    return OPOSSUM_PLUGIN_FAILED;
  } catch (...) {
    copyMessage("unknown exception", error, size);
    return OPOSSUM_PLUGIN_FAILED;
  }
}

template <class Interface>
void destroyPlugin(void* object) noexcept {
  delete static_cast<Interface*>(object);
}

}  // namespace detail
}  // namespace opossum::sdk

// Defines the entry point of a plugin library. `Interface` is the SDK interface it implements
// (opossum::sdk::Storage, Serializer, Index, ProjectionRunner or Projection); `factory` is a
// callable taking the interface's context and returning std::unique_ptr<Interface>. Use once per
// library, in plugin.cpp:
//
//   OPOSSUM_PLUGIN(opossum::sdk::Serializer, "json", "1.0.0", "JSON event files",
//                  [](const opossum::sdk::SerializerContext& c) {
//                    return std::make_unique<JsonSerializer>(c); })
#define OPOSSUM_PLUGIN(Interface, pluginName, pluginVersion, pluginDescription, factory)          \
  extern "C" __attribute__((visibility("default"))) const opossum_plugin_descriptor*              \
  opossum_plugin_entry() noexcept {                                                               \
    static const opossum_plugin_descriptor descriptor = {                                         \
        sizeof(opossum_plugin_descriptor),                                                        \
        OPOSSUM_SDK_ABI_MAJOR,                                                                    \
        OPOSSUM_SDK_ABI_MINOR,                                                                    \
        ::opossum::sdk::PluginTraits<Interface>::kind,                                            \
        pluginName,                                                                               \
        pluginVersion,                                                                            \
        pluginDescription,                                                                        \
        [](const void* context, void** object, char* error, std::size_t size) noexcept {          \
          return ::opossum::sdk::detail::createPlugin<Interface>(factory, context, object, error, \
                                                                 size);                           \
        },                                                                                        \
        &::opossum::sdk::detail::destroyPlugin<Interface>,                                        \
        OPOSSUM_SDK_TOOLCHAIN,                                                                    \
        sizeof(typename ::opossum::sdk::PluginTraits<Interface>::Context),                        \
    };                                                                                            \
    return &descriptor;                                                                           \
  }
