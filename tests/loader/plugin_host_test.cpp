// The plugin host against small fixture plugins (tests/loader/fixtures, built into their own
// folders) and the in-tree plugins.
#include "plugin_host.hpp"

#include <dlfcn.h>
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "opossum/errors.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using opossum::ConfigError;
using opossum::PluginChoice;
using opossum::PluginError;
using opossum::detail::PluginHost;
using opossum::detail::PluginInfo;
using opossum::sdk::Serializer;
using opossum::sdk::SerializerContext;

namespace {

const fs::path kFixtures = OPOSSUM_LOADER_FIXTURE_DIR;
const fs::path kValidDir = kFixtures / "valid";
const fs::path kValidFile = kValidDir / "libfixture_serializer.so";
const fs::path kDuplicateFile = kFixtures / "duplicate" / "libfixture_serializer_copy.so";
const fs::path kNotAPluginFile = kFixtures / "not_a_plugin" / "libfixture_not_a_plugin.so";
const fs::path kAbi99File = kFixtures / "abi99" / "libfixture_abi99.so";
const fs::path kNewerMinorFile = kFixtures / "newer_minor" / "libfixture_abi_newer_minor.so";
const fs::path kOtherStdlibFile = kFixtures / "other_stdlib" / "libfixture_other_stdlib.so";
const fs::path kOtherContextFile = kFixtures / "other_context" / "libfixture_other_context.so";
const std::string kKernelAbi =
    std::to_string(OPOSSUM_SDK_ABI_MAJOR) + "." + std::to_string(OPOSSUM_SDK_ABI_MINOR);
const fs::path kWrongKindFile = kFixtures / "wrong_kind" / "libfixture_wrong_kind.so";
constexpr const char* kExpected = "a shared library exporting opossum_plugin_entry";

// Sets (or unsets) an environment variable for one test and restores it afterwards, so a
// developer's OPOSSUM_PLUGIN_PATH cannot change what the tests see.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class RecordingLogger final : public opossum::sdk::Logger {
 public:
  void log(opossum::sdk::LogLevel, std::string_view message) override {
    std::lock_guard lock(mutex_);
    messages_.emplace_back(message);
  }
  bool enabled(opossum::sdk::LogLevel) const override { return true; }
  std::vector<std::string> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> messages_;
};

bool isLoaded(const fs::path& file) {
  void* handle = dlopen(file.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle != nullptr) dlclose(handle);
  return handle != nullptr;
}

PluginChoice byName(const std::string& name) { return PluginChoice{name, std::nullopt, {}}; }
PluginChoice byFile(const fs::path& file, const std::string& name = "") {
  return PluginChoice{name, file, {}};
}

std::shared_ptr<Serializer> createSerializer(PluginHost& host, const PluginChoice& choice) {
  SerializerContext context;
  context.options = choice.options;
  return host.create<Serializer>(choice, context);
}

std::string errorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const PluginError& e) {
    return e.what();
  }
  FAIL("expected a PluginError");
  return "";
}

const PluginInfo* findInfo(const std::vector<PluginInfo>& infos, const fs::path& file) {
  auto it = std::find_if(infos.begin(), infos.end(),
                         [&](const PluginInfo& info) { return fs::equivalent(info.file, file); });
  return it == infos.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("the fixture plugins were built", "[loader]") {
  for (const auto& file :
       {kValidFile, kDuplicateFile, kNotAPluginFile, kAbi99File, kWrongKindFile}) {
    INFO(file);
    CHECK(fs::is_regular_file(file));
  }
}

TEST_CASE("a valid plugin loads, works, and keeps its library loaded while its object lives",
          "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  auto logger = std::make_shared<RecordingLogger>();
  std::shared_ptr<Serializer> serializer;
  {
    PluginHost host({kValidDir});
    SerializerContext context;
    context.logger = logger;
    serializer = host.create<Serializer>(byName("fixture-serializer"), context);
  }  // the host is gone; the object must still work

  REQUIRE(serializer);
  CHECK(logger->messages() == std::vector<std::string>{"created"});
  CHECK(isLoaded(kValidFile));
  opossum::SequencedEvent event;
  event.position = 42;
  event.event.eventType = "OrderPlaced";
  event.event.event = R"({"id":1})";
  const std::string bytes = serializer->serialize(event);
  CHECK(bytes == "fixture\n42\nOrderPlaced\n{\"id\":1}");
  const opossum::SequencedEvent back = serializer->deserialize(bytes);
  CHECK(back.position == 42);
  CHECK(back.event.eventType == "OrderPlaced");
  CHECK(back.event.event == R"({"id":1})");
  CHECK_THROWS_AS(serializer->deserialize("garbage"), opossum::CorruptionError);

  serializer.reset();
  CHECK_FALSE(isLoaded(kValidFile));  // the last object took the library with it
}

TEST_CASE("a plugin chosen by file loads from that file", "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost host({});
  PluginChoice choice = byFile(kValidFile);
  choice.options["prefix"] = "custom";
  auto serializer = createSerializer(host, choice);
  CHECK(serializer->serialize({}) == "custom\n0\n\n");

  // With a name as well, it must match the plugin in the file.
  auto named = createSerializer(host, byFile(kValidFile, "fixture-serializer"));
  CHECK(named->formatName() == "fixture");
  const std::string message = errorOf([&] { createSerializer(host, byFile(kValidFile, "json")); });
  CHECK_THAT(message, Contains(kValidFile.string()));
  CHECK_THAT(message, Contains("'fixture-serializer', expected 'json'"));
}

TEST_CASE("a missing plugin file is a PluginError naming the file and what was expected",
          "[loader]") {
  opossum::test::TempDir dir;
  PluginHost host({}, dir / "opossum.json");
  const fs::path missing = dir / "libnothing.so";
  const std::string message = errorOf([&] { createSerializer(host, byFile(missing, "json")); });
  CHECK_THAT(message, Contains(missing.string()));
  CHECK_THAT(message, Contains("does not exist"));
  CHECK_THAT(message, Contains(kExpected));
  CHECK_THAT(message, Contains("opossum.json"));
  CHECK_THAT(message, Contains("plugins.serializer"));
}

TEST_CASE("a library without the entry point is not a plugin", "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost host({});
  const std::string message =
      errorOf([&] { createSerializer(host, byFile(kNotAPluginFile, "json")); });
  CHECK_THAT(message, Contains(kNotAPluginFile.string()));
  CHECK_THAT(message, Contains("is not an Opossum plugin"));
  CHECK_THAT(message, Contains(kExpected));

  // During a search such files are skipped, not errors.
  PluginHost search({kNotAPluginFile.parent_path(), kValidDir});
  CHECK(createSerializer(search, byName("fixture-serializer")));
  CHECK(findInfo(search.discover(), kNotAPluginFile) == nullptr);
}

TEST_CASE("a file that is not a shared library cannot be loaded", "[loader]") {
  opossum::test::TempDir dir;
  const fs::path fake = dir / "libfake.so";
  std::ofstream(fake) << "not an ELF file";
  PluginHost host({});
  const std::string message = errorOf([&] { createSerializer(host, byFile(fake, "json")); });
  CHECK_THAT(message, Contains(fake.string()));
  CHECK_THAT(message, Contains("cannot be loaded"));
  CHECK_THAT(message, Contains(kExpected));
}

TEST_CASE("a plugin of another ABI major is refused naming both ABI versions", "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost host({kAbi99File.parent_path()});
  const std::string explicitFile =
      errorOf([&] { createSerializer(host, byFile(kAbi99File, "fixture-abi99")); });
  CHECK_THAT(explicitFile, Contains(kAbi99File.string()));
  CHECK_THAT(explicitFile, Contains("plugin ABI 99.0, kernel ABI " + kKernelAbi));

  // Found during a search, it cannot be used either, and the error says why.
  const std::string searched = errorOf([&] { createSerializer(host, byName("fixture-abi99")); });
  CHECK_THAT(searched, Contains(kAbi99File.string()));
  CHECK_THAT(searched, Contains("plugin ABI 99.0, kernel ABI " + kKernelAbi));

  // discover() lists it with its version so a tool can show it.
  const auto infos = host.discover();
  const PluginInfo* info = findInfo(infos, kAbi99File);
  REQUIRE(info != nullptr);
  CHECK(info->abiMajor == 99);
  CHECK(info->abiMinor == 0);
  CHECK(info->name.empty());
}

TEST_CASE("a plugin of a newer ABI minor is refused naming both ABI versions", "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost host({kNewerMinorFile.parent_path()});
  const std::string newer =
      std::to_string(OPOSSUM_SDK_ABI_MAJOR) + "." + std::to_string(OPOSSUM_SDK_ABI_MINOR + 1);
  const std::string message =
      errorOf([&] { createSerializer(host, byFile(kNewerMinorFile, "fixture-newer-minor")); });
  CHECK_THAT(message, Contains(kNewerMinorFile.string()));
  CHECK_THAT(message,
             Contains("needs a newer kernel: plugin ABI " + newer + ", kernel ABI " + kKernelAbi));
  const std::string searched =
      errorOf([&] { createSerializer(host, byName("fixture-newer-minor")); });
  CHECK_THAT(searched, Contains(kNewerMinorFile.string()));
  CHECK_THAT(searched, Contains("needs a newer kernel"));
}

TEST_CASE("a plugin built with another standard library is refused naming both toolchains",
          "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost host({kOtherStdlibFile.parent_path()});
  const std::string expected =
      std::string("was built with libc++ abi 1, the kernel with ") + OPOSSUM_SDK_TOOLCHAIN;
  const std::string message =
      errorOf([&] { createSerializer(host, byFile(kOtherStdlibFile, "fixture-other-stdlib")); });
  CHECK_THAT(message, Contains(kOtherStdlibFile.string()));
  CHECK_THAT(message, Contains(expected));
  CHECK_THAT(errorOf([&] { createSerializer(host, byName("fixture-other-stdlib")); }),
             Contains(expected));
  const auto infos = host.discover();
  const PluginInfo* info = findInfo(infos, kOtherStdlibFile);
  REQUIRE(info != nullptr);
  CHECK(info->kind == "incompatible");
}

TEST_CASE("a plugin expecting another context layout is refused naming both sizes", "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost host({kOtherContextFile.parent_path()});
  const std::string message =
      errorOf([&] { createSerializer(host, byFile(kOtherContextFile, "fixture-other-context")); });
  CHECK_THAT(message, Contains(kOtherContextFile.string()));
  CHECK_THAT(message, Contains("expects a serializer context of 8 bytes, the kernel's is " +
                               std::to_string(sizeof(opossum::sdk::SerializerContext)) + " bytes"));
}

TEST_CASE("an unknown plugin name names the kind, the search path and what was found", "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  opossum::test::TempDir missing;
  PluginHost host({kValidDir, missing / "nowhere"}, "config/opossum.json");
  const std::string message = errorOf([&] { createSerializer(host, byName("jsno")); });
  CHECK_THAT(message, Contains("config/opossum.json: plugins.serializer"));
  CHECK_THAT(message, Contains("no serializer plugin 'jsno'"));
  CHECK_THAT(message, Contains(fs::canonical(kValidDir).string()));
  CHECK_THAT(message, Contains("serializer plugins found: fixture-serializer"));
  CHECK_THAT(message, Contains((missing / "nowhere").string()));  // named as skipped

  // The same library offers no storage plugin.
  std::string storage;
  try {
    opossum::sdk::StorageContext context;
    host.create<opossum::sdk::Storage>(byName("fixture-serializer"), context);
  } catch (const PluginError& e) {
    storage = e.what();
  }
  CHECK_THAT(storage, Contains("is a serializer plugin named 'fixture-serializer', expected a "
                               "storage plugin"));
  CHECK_THAT(storage, Contains(kValidFile.string()));
}

TEST_CASE("the same plugin name in two libraries is an error naming both", "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost host({kValidDir, kDuplicateFile.parent_path()});
  const std::string message =
      errorOf([&] { createSerializer(host, byName("fixture-serializer")); });
  CHECK_THAT(message, Contains(kValidFile.string()));
  CHECK_THAT(message, Contains(kDuplicateFile.string()));
  CHECK_THAT(message, Contains("more than one library"));

  // Naming the file resolves the ambiguity.
  CHECK(createSerializer(host, byFile(kDuplicateFile, "fixture-serializer")));
}

TEST_CASE("a plugin of the wrong kind is refused naming its kind and the expected one",
          "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost host({kWrongKindFile.parent_path()});
  const std::string searched = errorOf([&] { createSerializer(host, byName("fixture-json")); });
  CHECK_THAT(searched, Contains(kWrongKindFile.string()));
  CHECK_THAT(searched, Contains("is an index plugin named 'fixture-json', expected a serializer "
                                "plugin"));

  const std::string explicitFile =
      errorOf([&] { createSerializer(host, byFile(kWrongKindFile, "fixture-json")); });
  CHECK_THAT(explicitFile, Contains(kWrongKindFile.string()));
  CHECK_THAT(explicitFile, Contains("is an index plugin"));
  CHECK_THAT(explicitFile, Contains("expected a serializer plugin"));
}

TEST_CASE("a plugin's ConfigError for an unknown option names the config file and section",
          "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost host({kValidDir}, "/etc/pos/opossum.json");
  PluginChoice choice = byName("fixture-serializer");
  choice.options["prefx"] = "typo";
  try {
    createSerializer(host, choice);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Contains("/etc/pos/opossum.json: plugins.serializer"));
    CHECK_THAT(e.what(), Contains("prefx"));
  }
}

TEST_CASE("OPOSSUM_PLUGIN_PATH is searched after the config paths", "[loader]") {
  opossum::test::TempDir empty;
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", "/nonexistent/opossum-plugins::" + kValidDir.string() + ":" +
                                           empty.path().string());
  PluginHost host({empty.path()});
  REQUIRE(host.searchPath().size() >= 2);
  CHECK(host.searchPath()[0] == fs::canonical(empty.path()));  // config first, not repeated
  CHECK(host.searchPath()[1] == fs::canonical(kValidDir));
  CHECK(std::count(host.searchPath().begin(), host.searchPath().end(),
                   fs::canonical(empty.path())) == 1);
  CHECK(host.missingDirectories() ==
        std::vector<fs::path>{fs::path("/nonexistent/opossum-plugins")});
  CHECK(createSerializer(host, byName("fixture-serializer")));

  ScopedEnv unset("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost without({empty.path()});
  CHECK_THROWS_AS(createSerializer(without, byName("fixture-serializer")), PluginError);
}

TEST_CASE("a folder reached twice (through a symlink) is searched once", "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  opossum::test::TempDir dir;
  fs::create_directory_symlink(kValidDir, dir / "link");
  PluginHost host({kValidDir, dir / "link"});
  CHECK(std::count(host.searchPath().begin(), host.searchPath().end(), fs::canonical(kValidDir)) ==
        1);
  CHECK(createSerializer(host, byName("fixture-serializer")));  // no duplicate error
}

TEST_CASE("discover lists plugins with their descriptors", "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  PluginHost host({kValidDir, kWrongKindFile.parent_path(), kNotAPluginFile.parent_path(),
                   kAbi99File.parent_path()});
  const auto infos = host.discover();
  const PluginInfo* serializer = findInfo(infos, kValidFile);
  REQUIRE(serializer != nullptr);
  CHECK(serializer->kindId == OPOSSUM_PLUGIN_SERIALIZER);
  CHECK(serializer->kind == "serializer");
  CHECK(serializer->name == "fixture-serializer");
  CHECK(serializer->version == "0.0.1");
  CHECK(serializer->description == "loader test fixture");
  CHECK(serializer->abiMajor == OPOSSUM_SDK_ABI_MAJOR);
  const PluginInfo* index = findInfo(infos, kWrongKindFile);
  REQUIRE(index != nullptr);
  CHECK(index->kindId == OPOSSUM_PLUGIN_INDEX);
  CHECK(index->kind == "index");
  const PluginInfo* foreign = findInfo(infos, kAbi99File);
  REQUIRE(foreign != nullptr);
  CHECK(foreign->kind == "incompatible");
  CHECK(foreign->kindId == 0);
  CHECK(foreign->abiMajor == 99);
  CHECK(foreign->name.empty());
  CHECK(findInfo(infos, kNotAPluginFile) == nullptr);
}

TEST_CASE("the in-tree plugins are discovered in the build's plugin folder", "[loader]") {
  ScopedEnv env("OPOSSUM_PLUGIN_PATH", std::nullopt);
  const fs::path dir = opossum::test::pluginDir();
  REQUIRE(fs::is_directory(dir));
  PluginHost host({dir});
  const auto infos = host.discover();
  auto has = [&](std::uint32_t kind, const std::string& name) {
    return std::any_of(infos.begin(), infos.end(), [&](const PluginInfo& info) {
      return info.kindId == kind && info.name == name && info.abiMajor == OPOSSUM_SDK_ABI_MAJOR;
    });
  };
  CHECK(has(OPOSSUM_PLUGIN_STORAGE, "file-per-event"));
  CHECK(has(OPOSSUM_PLUGIN_SERIALIZER, "json"));
  CHECK(has(OPOSSUM_PLUGIN_INDEX, "tag-index"));

  auto json = createSerializer(host, byName("json"));
  REQUIRE(json);
  CHECK(json->fileExtension() == ".json");
}
