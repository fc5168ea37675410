#include "plugin_host.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "opossum/errors.hpp"

namespace opossum::detail {

namespace {

namespace fs = std::filesystem;
namespace dll = boost::dll;

constexpr const char* kExpectedLibrary = "a shared library exporting " OPOSSUM_PLUGIN_ENTRY_NAME;

// The kernel reads every field up to and including destroy.
constexpr std::size_t kRequiredDescriptorSize =
    offsetof(opossum_plugin_descriptor, destroy) + sizeof(opossum_plugin_descriptor::destroy);
// Enough to read struct_size, abi_major and abi_minor, which stay first in every ABI version.
constexpr std::size_t kVersionPrefixSize =
    offsetof(opossum_plugin_descriptor, abi_minor) + sizeof(opossum_plugin_descriptor::abi_minor);

// The minor-3 fields: the toolchain and the context size.
constexpr std::size_t kToolchainDescriptorSize = offsetof(opossum_plugin_descriptor, context_size) +
                                                 sizeof(opossum_plugin_descriptor::context_size);

// The size of the context this kernel hands to a plugin of `kind`; 0 for an unknown kind.
std::size_t contextSize(std::uint32_t kind) {
  switch (kind) {
    case OPOSSUM_PLUGIN_STORAGE:
      return sizeof(sdk::PluginTraits<sdk::Storage>::Context);
    case OPOSSUM_PLUGIN_SERIALIZER:
      return sizeof(sdk::PluginTraits<sdk::Serializer>::Context);
    case OPOSSUM_PLUGIN_INDEX:
      return sizeof(sdk::PluginTraits<sdk::Index>::Context);
    case OPOSSUM_PLUGIN_PROJECTION_RUNNER:
      return sizeof(sdk::PluginTraits<sdk::ProjectionRunner>::Context);
    case OPOSSUM_PLUGIN_PROJECTION:
      return sizeof(sdk::PluginTraits<sdk::Projection>::Context);
    default:
      return 0;
  }
}

std::string abiText(std::uint32_t major, std::uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

const std::string& kernelAbi() {
  static const std::string text = abiText(OPOSSUM_SDK_ABI_MAJOR, OPOSSUM_SDK_ABI_MINOR);
  return text;
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

std::string joinPaths(const std::vector<fs::path>& paths) {
  if (paths.empty()) return "(empty)";
  std::string out;
  for (const auto& path : paths) out += (out.empty() ? "" : ":") + path.string();
  return out;
}

// The config key of a plugin kind, for messages.
std::string configKey(std::uint32_t kind) {
  switch (kind) {
    case OPOSSUM_PLUGIN_STORAGE:
      return "plugins.storage";
    case OPOSSUM_PLUGIN_SERIALIZER:
      return "plugins.serializer";
    case OPOSSUM_PLUGIN_INDEX:
      return "plugins.index";
    case OPOSSUM_PLUGIN_PROJECTION_RUNNER:
      return "plugins.projections.runner";
    case OPOSSUM_PLUGIN_PROJECTION:
      return "plugins.projections.libraries";
    default:
      return "plugins";
  }
}

std::string withArticle(const std::string& word) {
  const bool vowel = !word.empty() && std::string("aeiou").find(word.front()) != std::string::npos;
  return (vowel ? "an " : "a ") + word;
}

// What probing one file found.
struct Probe {
  enum class Status {
    plugin,         // a usable plugin of this kernel's ABI
    notLoadable,    // dlopen failed
    notPlugin,      // no entry point, or it returned nothing
    badDescriptor,  // an entry point whose descriptor is truncated or incomplete
    wrongAbi        // another ABI major, or a newer minor
  };
  Status status = Status::notPlugin;
  std::string problem;  // what is wrong, for messages
  PluginInfo info;
  std::shared_ptr<dll::shared_library> library;
  const opossum_plugin_descriptor* descriptor = nullptr;
};

Probe probe(const fs::path& file) {
  Probe result;
  result.info.file = file;
  result.info.kind = "incompatible";  // until the descriptor says otherwise
  auto library = std::make_shared<dll::shared_library>();
  std::error_code ec;
  library->load(file, ec, dll::load_mode::rtld_now | dll::load_mode::rtld_local);
  if (ec || !library->is_loaded()) {
    // Boost.DLL reports a generic code; dlerror() still holds the loader's reason.
    const char* reason = ::dlerror();
    result.status = Probe::Status::notLoadable;
    result.problem = "cannot be loaded (" + std::string(reason != nullptr ? reason : ec.message()) +
                     "); expected " + kExpectedLibrary;
    return result;
  }
  if (!library->has(OPOSSUM_PLUGIN_ENTRY_NAME)) {
    result.status = Probe::Status::notPlugin;
    result.problem = std::string("is not an Opossum plugin: expected ") + kExpectedLibrary;
    return result;
  }
  auto entry = library->get<const opossum_plugin_descriptor*()>(OPOSSUM_PLUGIN_ENTRY_NAME);
  const opossum_plugin_descriptor* descriptor = entry();
  if (descriptor == nullptr) {
    result.status = Probe::Status::notPlugin;
    result.problem = std::string("is not an Opossum plugin: ") + OPOSSUM_PLUGIN_ENTRY_NAME +
                     " returned no descriptor";
    return result;
  }
  if (descriptor->struct_size < kVersionPrefixSize) {
    result.status = Probe::Status::badDescriptor;
    result.problem =
        "has a truncated plugin descriptor (" + std::to_string(descriptor->struct_size) + " bytes)";
    return result;
  }
  result.info.abiMajor = descriptor->abi_major;
  result.info.abiMinor = descriptor->abi_minor;
  const std::string versions = "plugin ABI " +
                               abiText(descriptor->abi_major, descriptor->abi_minor) +
                               ", kernel ABI " + kernelAbi();
  if (descriptor->abi_major != OPOSSUM_SDK_ABI_MAJOR) {
    // Nothing past the version fields may be read: another major may lay them out differently.
    result.status = Probe::Status::wrongAbi;
    result.problem = "has an incompatible ABI: " + versions +
                     "; rebuild it against the Opossum SDK " +
                     std::to_string(OPOSSUM_SDK_ABI_MAJOR) + ".x";
    return result;
  }
  if (descriptor->abi_minor > OPOSSUM_SDK_ABI_MINOR) {
    result.status = Probe::Status::wrongAbi;
    result.problem = "needs a newer kernel: " + versions +
                     "; update Opossum or rebuild the plugin against this SDK";
    return result;
  }
  if (descriptor->struct_size < kRequiredDescriptorSize || descriptor->name == nullptr ||
      descriptor->name[0] == '\0' || descriptor->create == nullptr ||
      descriptor->destroy == nullptr) {
    result.status = Probe::Status::badDescriptor;
    result.problem = "has an incomplete plugin descriptor (" +
                     std::to_string(descriptor->struct_size) + " bytes, expected at least " +
                     std::to_string(kRequiredDescriptorSize) + " with a name, create and destroy)";
    return result;
  }
  if (descriptor->abi_minor >= 3) {
    if (descriptor->struct_size < kToolchainDescriptorSize || descriptor->toolchain == nullptr) {
      result.status = Probe::Status::badDescriptor;
      result.problem = "has an incomplete plugin descriptor for ABI " +
                       abiText(descriptor->abi_major, descriptor->abi_minor) + " (" +
                       std::to_string(descriptor->struct_size) + " bytes, expected at least " +
                       std::to_string(kToolchainDescriptorSize) + " with a toolchain)";
      return result;
    }
    if (std::strcmp(descriptor->toolchain, OPOSSUM_SDK_TOOLCHAIN) != 0) {
      result.status = Probe::Status::wrongAbi;
      result.problem = std::string("was built with ") + descriptor->toolchain +
                       ", the kernel with " + OPOSSUM_SDK_TOOLCHAIN +
                       "; standard-library types cross the plugin boundary, so rebuild it with "
                       "the kernel's standard library";
      return result;
    }
    // Contexts grow only by appending fields, with a minor bump: a plugin of an older minor may
    // expect a shorter one, a plugin of this minor exactly this one.
    const std::size_t expected = contextSize(descriptor->kind);
    const bool fits = descriptor->abi_minor == OPOSSUM_SDK_ABI_MINOR
                          ? descriptor->context_size == expected
                          : descriptor->context_size <= expected;
    if (expected != 0 && !fits) {
      result.status = Probe::Status::wrongAbi;
      result.problem = "expects a " + kindName(descriptor->kind) + " context of " +
                       std::to_string(descriptor->context_size) + " bytes, the kernel's is " +
                       std::to_string(expected) +
                       " bytes (built against other SDK headers or with other compiler "
                       "settings); rebuild it against this SDK";
      return result;
    }
  }
  result.status = Probe::Status::plugin;
  result.info.kindId = descriptor->kind;
  result.info.kind = kindName(descriptor->kind);
  result.info.name = descriptor->name;
  result.info.version = descriptor->version != nullptr ? descriptor->version : "";
  result.info.description = descriptor->description != nullptr ? descriptor->description : "";
  result.descriptor = descriptor;
  result.library = std::move(library);
  return result;
}

// The ".so" files of a folder, sorted so discovery is deterministic.
std::vector<fs::path> libraryFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    if (path.extension() != ".so") continue;
    std::error_code typeEc;
    if (!fs::is_regular_file(path, typeEc)) continue;  // follows symlinks
    files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The folder of the library (or executable) this kernel is linked into.
std::optional<fs::path> kernelLocation() {
  std::error_code ec;
  fs::path location = dll::this_line_location(ec);
  // dladdr names the main executable as it was started (possibly relative); /proc/self/exe
  // gives its real place.
  if (!ec && location.is_relative()) location = dll::program_location(ec);
  if (ec || location.empty()) return std::nullopt;
  return location.parent_path();
}

}  // namespace

std::string kindName(std::uint32_t kind) {
  switch (kind) {
    case OPOSSUM_PLUGIN_STORAGE:
      return "storage";
    case OPOSSUM_PLUGIN_SERIALIZER:
      return "serializer";
    case OPOSSUM_PLUGIN_INDEX:
      return "index";
    case OPOSSUM_PLUGIN_PROJECTION_RUNNER:
      return "projection runner";
    case OPOSSUM_PLUGIN_PROJECTION:
      return "projection";
    default:
      return "unknown-kind (" + std::to_string(kind) + ")";
  }
}

fs::path installedPluginDir() {
  auto location = kernelLocation();
  if (!location) return {};
  // Next to the kernel library; for a program that links the kernel statically, in the lib
  // folder beside its bin folder (the install layout, and the build tree's).
  fs::path besideLibrary = *location / OPOSSUM_PLUGIN_RELATIVE_DIR;
  fs::path besideProgram =
      location->parent_path() / OPOSSUM_INSTALL_LIBDIR / OPOSSUM_PLUGIN_RELATIVE_DIR;
  std::error_code ec;
  if (!fs::is_directory(besideLibrary, ec) && fs::is_directory(besideProgram, ec)) {
    return besideProgram;
  }
  return besideLibrary;
}

PluginHost::PluginHost(std::vector<std::filesystem::path> configPaths,
                       std::filesystem::path configFile)
    : configFile_(std::move(configFile)) {
  std::vector<fs::path> candidates = std::move(configPaths);
  if (const char* env = std::getenv("OPOSSUM_PLUGIN_PATH")) {
    std::string text = env;
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find(':', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) candidates.emplace_back(text.substr(start, end - start));
      start = end + 1;
    }
  }
  const fs::path installed = installedPluginDir();
  if (!installed.empty()) candidates.push_back(installed);
  std::set<fs::path> seen;
  for (const auto& dir : candidates) {
    std::error_code ec;
    fs::path canonical = fs::canonical(dir, ec);
    if (ec || !fs::is_directory(canonical, ec)) {
      // The installed folder is optional (a kernel linked into a test program has none).
      if (dir != installed && std::find(missing_.begin(), missing_.end(), dir) == missing_.end()) {
        missing_.push_back(dir);
      }
      continue;
    }
    if (seen.insert(canonical).second) searchPath_.push_back(canonical);
  }
}

std::vector<PluginInfo> PluginHost::discover() const {
  std::vector<PluginInfo> found;
  std::set<fs::path> seenFiles;
  for (const auto& dir : searchPath_) {
    for (const auto& file : libraryFiles(dir)) {
      std::error_code ec;
      fs::path canonical = fs::canonical(file, ec);
      if (!seenFiles.insert(ec ? file : canonical).second) continue;
      Probe result = probe(file);
      if (result.status == Probe::Status::plugin || result.status == Probe::Status::wrongAbi) {
        found.push_back(std::move(result.info));
      }
    }
  }
  return found;
}

std::string PluginHost::describeSearchPath() const {
  std::string text = "plugin search path " + joinPaths(searchPath_) +
                     " (plugins.path of the config, then OPOSSUM_PLUGIN_PATH, then " +
                     installedPluginDir().string() + ")";
  if (!missing_.empty()) text += "; missing folders skipped: " + joinPaths(missing_);
  return text;
}

std::shared_ptr<void> PluginHost::createRaw(
    std::uint32_t kind, const PluginChoice& choice,
    const std::function<const void*(const PluginInfo&)>& context, PluginInfo* loaded,
    std::uint32_t minimumMinor, const std::string& need) {
  const std::string wanted =
      kindName(kind) + " plugin" + (choice.name.empty() ? std::string() : " '" + choice.name + "'");
  const std::string where =
      (configFile_.empty() ? std::string() : configFile_.string() + ": ") + configKey(kind) + ": ";

  Probe chosen;
  if (choice.file) {
    const fs::path& file = *choice.file;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      throw PluginError(where + wanted + ": library file " + quoted(file) +
                        (fs::exists(file, ec) ? " is not a regular file" : " does not exist") +
                        "; expected " + kExpectedLibrary);
    }
    chosen = probe(file);
    if (chosen.status != Probe::Status::plugin) {
      throw PluginError(where + wanted + ": " + quoted(file) + " " + chosen.problem);
    }
    if (chosen.info.kindId != kind) {
      throw PluginError(where + quoted(file) + " is " + withArticle(kindName(chosen.info.kindId)) +
                        " plugin ('" + chosen.info.name + "'), expected " +
                        withArticle(kindName(kind)) + " plugin");
    }
    if (!choice.name.empty() && chosen.info.name != choice.name) {
      throw PluginError(where + quoted(file) + " is the " + kindName(kind) + " plugin '" +
                        chosen.info.name + "', expected '" + choice.name + "'");
    }
  } else {
    if (choice.name.empty()) throw PluginError(where + "no plugin name or file given");
    std::vector<Probe> matches;
    std::vector<std::string> sameKind;  // "name (file)" of every plugin of the requested kind
    std::vector<Probe> otherKind;       // plugins with the requested name but another kind
    std::vector<std::string> skipped;   // libraries that could have been it
    std::set<fs::path> seenFiles;
    for (const auto& dir : searchPath_) {
      for (const auto& file : libraryFiles(dir)) {
        std::error_code ec;
        fs::path canonical = fs::canonical(file, ec);
        if (!seenFiles.insert(ec ? file : canonical).second) continue;
        Probe result = probe(file);
        switch (result.status) {
          case Probe::Status::plugin:
            if (result.info.kindId == kind) {
              sameKind.push_back(result.info.name + " (" + file.string() + ")");
              if (result.info.name == choice.name) matches.push_back(std::move(result));
            } else if (result.info.name == choice.name) {
              otherKind.push_back(std::move(result));
            }
            break;
          case Probe::Status::notPlugin:
            break;  // other libraries may share a plugin folder
          case Probe::Status::notLoadable:
          case Probe::Status::badDescriptor:
          case Probe::Status::wrongAbi:
            skipped.push_back(quoted(file) + " " + result.problem);
            break;
        }
      }
    }
    if (matches.size() > 1) {
      std::string files;
      for (const auto& match : matches) {
        files += (files.empty() ? "" : " and ") + quoted(match.info.file);
      }
      throw PluginError(
          where + "the " + wanted + " is provided by more than one library: " + files +
          "; expected exactly one on the " + describeSearchPath() + "; remove one or set 'file'");
    }
    if (matches.empty()) {
      if (!otherKind.empty()) {
        const Probe& other = otherKind.front();
        throw PluginError(where + quoted(other.info.file) + " is " +
                          withArticle(kindName(other.info.kindId)) + " plugin named '" +
                          choice.name + "', expected " + withArticle(kindName(kind)) + " plugin");
      }
      std::string message = where + "no " + wanted + " found on the " + describeSearchPath() +
                            "; " + kindName(kind) +
                            " plugins found: " + (sameKind.empty() ? std::string("none") : [&] {
                              std::string list;
                              for (const auto& s : sameKind) list += (list.empty() ? "" : ", ") + s;
                              return list;
                            }());
      for (const auto& problem : skipped) message += "; skipped " + problem;
      throw PluginError(message);
    }
    chosen = std::move(matches.front());
  }

  if (chosen.info.abiMinor < minimumMinor) {
    throw PluginError(kindName(kind) + " plugin '" + chosen.info.name + "' (" +
                      chosen.info.file.string() + ") declares SDK ABI " +
                      abiText(chosen.info.abiMajor, chosen.info.abiMinor) + "; " + need +
                      " needs a plugin built for ABI " +
                      abiText(OPOSSUM_SDK_ABI_MAJOR, minimumMinor) + " or later");
  }
  if (loaded != nullptr) *loaded = chosen.info;

  // The error buffer is ours: the plugin writes at most error_size bytes, NUL included.
  char error[2048] = {};
  void* object = nullptr;
  const std::int32_t status =
      chosen.descriptor->create(context(chosen.info), &object, error, sizeof(error));
  const std::string pluginMessage = error;
  const std::string origin =
      kindName(kind) + " plugin '" + chosen.info.name + "' (" + chosen.info.file.string() + ")";
  switch (status) {
    case OPOSSUM_PLUGIN_OK:
      break;
    case OPOSSUM_PLUGIN_CONFIG_ERROR:
      throw ConfigError(where + pluginMessage);
    case OPOSSUM_PLUGIN_INVALID_ARGUMENT:
      throw InvalidArgumentError(origin + ": " + pluginMessage);
    case OPOSSUM_PLUGIN_IO_ERROR:
      throw IoError(pluginMessage);
    case OPOSSUM_PLUGIN_CORRUPTION:
      throw CorruptionError(pluginMessage);
    default:
      throw PluginError(origin + " failed to start: " + pluginMessage);
  }
  if (object == nullptr) throw PluginError(origin + " created no object");

  // Destroys the object with the plugin's own code, then lets the library go: a library is never
  // unloaded while one of its objects lives.
  auto destroy = chosen.descriptor->destroy;
  return std::shared_ptr<void>(
      object, [destroy, library = std::move(chosen.library)](void* created) mutable {
        destroy(created);
        library.reset();
      });
}

}  // namespace opossum::detail
