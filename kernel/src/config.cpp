#include "opossum/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "logging.hpp"
#include "opossum/errors.hpp"
#include "opossum/sdk/nesting.hpp"

namespace opossum {

namespace detail {

namespace {

namespace fs = std::filesystem;
namespace pt = boost::property_tree;
using Tree = pt::ptree;

enum class Format { json, ini, xml };

// Durations beyond this (about 24.8 days) are refused, so later deadline arithmetic cannot
// overflow.
constexpr std::uint64_t kMaxMilliseconds = std::numeric_limits<std::int32_t>::max();

constexpr const char* kXmlRoot = "opossum";
constexpr const char* kXmlAttributes = "<xmlattr>";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string childPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

class Reader;

// One section of the config (a JSON object, an INI section, an XML element with children): finds
// keys, refuses duplicates and, in finish(), every key nobody asked for.
class Section {
 public:
  // `listKeys` may repeat in XML (one element per list item).
  Section(const Reader& reader, const Tree& node, std::string path,
          const std::set<std::string>& listKeys = {});

  const std::string& path() const { return path_; }
  std::string keyPath(const std::string& key) const { return childPath(path_, key); }

  // The value of `key`, or null when absent.
  const Tree* find(const std::string& key);
  // Every element named `key` (XML lists).
  std::vector<const Tree*> findAll(const std::string& key);
  // The keys nobody asked for, in file order.
  std::vector<std::pair<std::string, const Tree*>> takeRest();
  // ConfigError for the first key nobody asked for.
  void finish(const std::vector<std::string>& known) const;

 private:
  const Reader& reader_;
  const Tree& node_;
  std::string path_;
  std::set<std::string> used_;
};

class Reader {
 public:
  Reader(fs::path file, Format format) : file_(std::move(file)), format_(format) {
    std::error_code ec;
    fs::path absolute = fs::absolute(file_, ec);
    base_ = (ec ? file_ : absolute).parent_path();
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw ConfigError(file_.string() + ": " + (key.empty() ? "" : key + ": ") + what);
  }

  Format format() const { return format_; }

  std::string sectionWord() const {
    switch (format_) {
      case Format::json:
        return "a JSON object";
      case Format::ini:
        return "an INI section";
      case Format::xml:
        return "an element with child elements";
    }
    return "a section";
  }

  // A value: a JSON string, number or boolean; an INI value; an XML element holding text.
  const std::string& scalar(const Tree& value, const std::string& key,
                            const std::string& expected) const {
    if (!value.empty()) {
      const bool array = format_ == Format::json && value.front().first.empty();
      fail(key, "expected " + expected + ", got " +
                    (array                    ? std::string("an array")
                     : format_ == Format::xml ? std::string("child elements")
                                              : std::string("a section")));
    }
    return value.data();
  }

  std::string string(const Tree& value, const std::string& key) const {
    return scalar(value, key, "a string");
  }

  std::string nonEmptyString(const Tree& value, const std::string& key) const {
    std::string text = string(value, key);
    if (text.empty()) fail(key, "must not be empty");
    return text;
  }

  // The same spellings as sdk::OptionReader::getBool.
  bool boolean(const Tree& value, const std::string& key) const {
    const std::string& text = scalar(value, key, "a boolean (true or false)");
    const std::string folded = lower(text);
    if (folded == "true" || folded == "1" || folded == "yes" || folded == "on") return true;
    if (folded == "false" || folded == "0" || folded == "no" || folded == "off") return false;
    fail(key, "expected a boolean (true or false), got '" + text + "'");
  }

  std::uint64_t unsignedInteger(const Tree& value, const std::string& key, std::uint64_t min,
                                std::uint64_t max) const {
    const std::string expected =
        "an unsigned integer from " + std::to_string(min) + " to " + std::to_string(max);
    const std::string& text = scalar(value, key, expected);
    std::uint64_t number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || number < min ||
        number > max) {
      fail(key, "expected " + expected + ", got '" + text + "'");
    }
    return number;
  }

  // A list of strings: a JSON array, an INI value separated by ':', repeated XML elements.
  std::vector<std::string> list(Section& section, const std::string& key) const {
    const std::string path = section.keyPath(key);
    std::vector<std::string> items;
    if (format_ == Format::xml) {
      for (const Tree* element : section.findAll(key)) {
        items.push_back(nonEmptyString(*element, path));
      }
      return items;
    }
    const Tree* value = section.find(key);
    if (value == nullptr) return items;
    if (format_ == Format::ini) {
      for (auto& part : split(string(*value, path), ':')) {
        if (!part.empty()) items.push_back(std::move(part));
      }
      return items;
    }
    // JSON: an array is a node whose children all have empty keys; [] is indistinguishable from
    // "" in a property tree and both mean an empty list.
    if (value->empty()) {
      if (!value->data().empty()) {
        fail(path, "expected an array of strings, got '" + value->data() + "'");
      }
      return items;
    }
    std::size_t index = 0;
    for (const auto& [itemKey, item] : *value) {
      if (!itemKey.empty()) fail(path, "expected an array of strings, got an object");
      const std::string itemPath = path + "[" + std::to_string(index++) + "]";
      items.push_back(nonEmptyString(item, itemPath));
    }
    return items;
  }

  fs::path resolve(const fs::path& path) const {
    return path.is_absolute() ? path : (base_ / path).lexically_normal();
  }

  const fs::path& file() const { return file_; }

 private:
  fs::path file_;
  Format format_;
  fs::path base_;
};

Section::Section(const Reader& reader, const Tree& node, std::string path,
                 const std::set<std::string>& listKeys)
    : reader_(reader), node_(node), path_(std::move(path)) {
  if (!node_.data().empty()) {
    reader_.fail(path_, "expected " + reader_.sectionWord() + ", got '" + node_.data() + "'");
  }
  std::set<std::string> seen;
  for (const auto& [key, value] : node_) {
    if (key.empty()) reader_.fail(path_, "expected " + reader_.sectionWord() + ", got an array");
    if (key == kXmlAttributes) {
      reader_.fail(path_, "XML attributes are not supported; write each key as a child element");
    }
    const bool mayRepeat = reader_.format() == Format::xml && listKeys.count(key) != 0;
    if (!seen.insert(key).second && !mayRepeat) reader_.fail(keyPath(key), "duplicate key");
  }
}

const Tree* Section::find(const std::string& key) {
  used_.insert(key);
  auto it = node_.find(key);
  return it == node_.not_found() ? nullptr : &it->second;
}

std::vector<const Tree*> Section::findAll(const std::string& key) {
  used_.insert(key);
  std::vector<const Tree*> found;
  for (const auto& [childKey, value] : node_) {
    if (childKey == key) found.push_back(&value);
  }
  return found;
}

std::vector<std::pair<std::string, const Tree*>> Section::takeRest() {
  std::vector<std::pair<std::string, const Tree*>> rest;
  for (const auto& [key, value] : node_) {
    if (used_.insert(key).second) rest.emplace_back(key, &value);
  }
  return rest;
}

void Section::finish(const std::vector<std::string>& known) const {
  for (const auto& [key, value] : node_) {
    if (used_.count(key) == 0) {
      reader_.fail(keyPath(key),
                   "unknown key; " +
                       (path_.empty() ? std::string("the top level") : "'" + path_ + "'") +
                       " accepts " + join(known));
    }
  }
}

bool startsWith(std::string_view text, std::size_t at, std::string_view prefix) {
  return text.substr(at, prefix.size()) == prefix;
}

// Whether XML text opens more than `limit` elements inside one another. Comments, CDATA,
// processing instructions and declarations are skipped as the parser skips them; quoted attribute
// values may hold '>'. Never counts fewer levels than the parser would build.
bool xmlNestsDeeperThan(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t at = 0;
  const auto skipPast = [&](std::string_view end) {
    const std::size_t found = text.find(end, at);
    at = found == std::string_view::npos ? text.size() : found + end.size();
  };
  while ((at = text.find('<', at)) != std::string_view::npos) {
    if (startsWith(text, at, "<!--")) {
      at += 4;
      skipPast("-->");
    } else if (startsWith(text, at, "<![CDATA[")) {
      at += 9;
      skipPast("]]>");
    } else if (startsWith(text, at, "<?")) {
      at += 2;
      skipPast("?>");
    } else if (startsWith(text, at, "<!")) {
      skipPast(">");
    } else if (startsWith(text, at, "</")) {
      if (depth > 0) --depth;
      skipPast(">");
    } else {
      char quote = 0;
      std::size_t end = at + 1;
      for (; end < text.size(); ++end) {
        const char c = text[end];
        if (quote != 0) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '>') {
          break;
        }
      }
      const bool selfClosing = end < text.size() && text[end - 1] == '/';
      if (!selfClosing && ++depth > limit) return true;
      at = end;
    }
  }
  return false;
}

// INI has two levels; deeper keys are written as dotted section names ([plugins.storage]), which
// this turns into the nested tree the other formats give.
Tree nestIniSections(const Reader& reader, const Tree& flat) {
  Tree root;
  for (const auto& [name, content] : flat) {
    if (content.empty()) {
      // A key outside any section (empty sections are dropped by the parser).
      root.push_back({name, content});
      continue;
    }
    Tree* node = &root;
    const std::vector<std::string> parts = split(name, '.');
    if (parts.size() > sdk::kMaxNestingDepth) {
      reader.fail("", "section name [" + name.substr(0, 64) + "...] nests deeper than " +
                          std::to_string(sdk::kMaxNestingDepth) + " levels");
    }
    for (const auto& part : parts) {
      if (part.empty()) reader.fail(name, "bad section name [" + name + "]");
      auto it = node->find(part);
      node = it == node->not_found() ? &node->push_back({part, Tree()})->second : &it->second;
    }
    for (const auto& entry : content) node->push_back(entry);
  }
  return root;
}

Tree parse(const Reader& reader) {
  const fs::path& file = reader.file();
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (ec || !fs::exists(status)) {
    reader.fail("", "cannot read config file: " + (ec && ec != std::errc::no_such_file_or_directory
                                                       ? ec.message()
                                                       : std::string("no such file")));
  }
  if (fs::is_directory(status)) reader.fail("", "cannot read config file: it is a directory");
  std::ifstream stream(file, std::ios::binary);
  if (!stream) reader.fail("", std::string("cannot read config file: ") + std::strerror(errno));
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  if (stream.bad())
    reader.fail("", std::string("cannot read config file: ") + std::strerror(errno));
  const std::string text = std::move(buffer).str();

  // Boost's JSON and XML parsers recurse per level, and so do copying and destroying the tree.
  const bool tooDeep = reader.format() == Format::json
                           ? sdk::jsonNestsDeeperThan(text, sdk::kMaxNestingDepth)
                       : reader.format() == Format::xml
                           ? xmlNestsDeeperThan(text, sdk::kMaxNestingDepth)
                           : false;  // INI: nesting comes from section names, checked below
  if (tooDeep) {
    reader.fail("", "nests deeper than " + std::to_string(sdk::kMaxNestingDepth) + " levels");
  }
  std::istringstream in(text);

  Tree tree;
  const char* formatName = "JSON";
  try {
    switch (reader.format()) {
      case Format::json:
        pt::read_json(in, tree);
        break;
      case Format::ini:
        formatName = "INI";
        pt::read_ini(in, tree);
        tree = nestIniSections(reader, tree);
        break;
      case Format::xml:
        formatName = "XML";
        pt::read_xml(in, tree, pt::xml_parser::no_comments | pt::xml_parser::trim_whitespace);
        break;
    }
  } catch (const pt::file_parser_error& e) {
    const std::string where = e.line() > 0 ? "line " + std::to_string(e.line()) + ": " : "";
    throw ConfigError(file.string() + ": " + where + "invalid " + formatName + ": " + e.message());
  } catch (const pt::ptree_error& e) {
    throw ConfigError(file.string() + ": invalid " + formatName + ": " + e.what());
  }

  if (reader.format() != Format::xml) return tree;
  // XML: everything sits under the root element <opossum>.
  const Tree* root = nullptr;
  for (const auto& [key, value] : tree) {
    if (key != kXmlRoot) reader.fail("", "expected the root element <opossum>, got <" + key + ">");
    root = &value;
  }
  if (root == nullptr) reader.fail("", "expected the root element <opossum>");
  return *root;
}

void readStore(const Reader& reader, const Tree* node, EventStoreOptions& options) {
  if (node == nullptr) reader.fail("store.name", "required key is missing");
  Section store(reader, *node, "store");
  const Tree* name = store.find("name");
  if (name == nullptr) reader.fail("store.name", "required key is missing");
  options.storeName = reader.nonEmptyString(*name, "store.name");
  if (const Tree* v = store.find("rootPath")) {
    options.rootPath = reader.nonEmptyString(*v, "store.rootPath");
  }
  if (const Tree* v = store.find("flushEventsImmediately")) {
    options.flushEventsImmediately = reader.boolean(*v, "store.flushEventsImmediately");
  }
  if (const Tree* v = store.find("writeProtectEventFiles")) {
    options.writeProtectEventFiles = reader.boolean(*v, "store.writeProtectEventFiles");
  }
  if (const Tree* v = store.find("writeProtectProjectionFiles")) {
    options.writeProtectProjectionFiles = reader.boolean(*v, "store.writeProtectProjectionFiles");
  }
  if (const Tree* v = store.find("crossProcessLockTimeoutMs")) {
    options.crossProcessLockTimeout = std::chrono::milliseconds(
        reader.unsignedInteger(*v, "store.crossProcessLockTimeoutMs", 0, kMaxMilliseconds));
  }
  store.finish({"name", "rootPath", "flushEventsImmediately", "writeProtectEventFiles",
                "writeProtectProjectionFiles", "crossProcessLockTimeoutMs"});
}

// A plugin section: `name` and/or `file`; every other key not already taken by the caller is an
// option of the plugin (which validates it).
void readPluginChoice(const Reader& reader, Section& section, PluginChoice& choice) {
  const Tree* name = section.find("name");
  const Tree* file = section.find("file");
  if (name == nullptr && file == nullptr) {
    std::string found;
    for (const auto& [key, value] : section.takeRest()) {
      found += (found.empty() ? "" : ", ") + section.keyPath(key);
    }
    reader.fail(section.keyPath("name"),
                "required key is missing (a plugin section names its plugin with 'name', or "
                "'file' for a library path)" +
                    (found.empty() ? std::string() : "; found " + found));
  }
  choice.name = name != nullptr ? reader.nonEmptyString(*name, section.keyPath("name")) : "";
  choice.file.reset();
  if (file != nullptr) {
    choice.file = reader.resolve(reader.nonEmptyString(*file, section.keyPath("file")));
  }
  choice.options.clear();
  for (const auto& [key, value] : section.takeRest()) {
    choice.options[key] = reader.scalar(*value, section.keyPath(key), "a plugin option value");
  }
}

void readPlugin(const Reader& reader, const Tree& node, const std::string& path,
                PluginChoice& choice) {
  Section section(reader, node, path);
  readPluginChoice(reader, section, choice);
}

void readProjections(const Reader& reader, const Tree& node, ProjectionsConfig& projections) {
  projections.configured = true;
  Section section(reader, node, "plugins.projections", {"libraries"});
  if (const Tree* runnerNode = section.find("runner")) {
    Section runner(reader, *runnerNode, "plugins.projections.runner");
    if (const Tree* v = runner.find("pollingIntervalMs")) {
      projections.pollingInterval = std::chrono::milliseconds(reader.unsignedInteger(
          *v, "plugins.projections.runner.pollingIntervalMs", 1, kMaxMilliseconds));
    }
    if (const Tree* v = runner.find("batchSize")) {
      projections.batchSize = reader.unsignedInteger(*v, "plugins.projections.runner.batchSize", 1,
                                                     std::numeric_limits<std::size_t>::max());
    }
    readPluginChoice(reader, runner, projections.runner);
  }
  projections.libraries = reader.list(section, "libraries");
  section.finish({"runner", "libraries"});
}

void readPlugins(const Reader& reader, const Tree& node, StoreConfig& config) {
  Section plugins(reader, node, "plugins", {"path"});
  for (const auto& dir : reader.list(plugins, "path")) {
    config.pluginPaths.push_back(reader.resolve(dir));
  }
  if (const Tree* v = plugins.find("storage")) {
    readPlugin(reader, *v, "plugins.storage", config.storage);
  }
  if (const Tree* v = plugins.find("serializer")) {
    readPlugin(reader, *v, "plugins.serializer", config.serializer);
  }
  if (const Tree* v = plugins.find("index")) readPlugin(reader, *v, "plugins.index", config.index);
  if (const Tree* v = plugins.find("projections")) readProjections(reader, *v, config.projections);
  plugins.finish({"path", "storage", "serializer", "index", "projections"});
}

void readLogging(const Reader& reader, const Tree& node, StoreConfig& config) {
  Section logging(reader, node, "logging");
  if (const Tree* v = logging.find("level")) {
    std::string level = reader.string(*v, "logging.level");
    if (!parseLogLevel(level)) {
      reader.fail("logging.level",
                  "expected one of trace, debug, info, warn, error, off, got '" + level + "'");
    }
    config.logLevel = std::move(level);
  }
  logging.finish({"level"});
}

}  // namespace

}  // namespace detail

using namespace detail;

StoreConfig loadConfig(const std::filesystem::path& file) {
  const std::string extension = lower(file.extension().string());
  Format format = Format::json;
  if (extension == ".json") {
    format = Format::json;
  } else if (extension == ".ini") {
    format = Format::ini;
  } else if (extension == ".xml") {
    format = Format::xml;
  } else {
    throw ConfigError(file.string() + ": unsupported config file extension '" +
                      file.extension().string() + "'; expected .json, .ini or .xml");
  }
  const Reader reader(file, format);
  const Tree tree = parse(reader);

  StoreConfig config;
  config.file = file;
  Section top(reader, tree, "");
  readStore(reader, top.find("store"), config.options);
  if (const Tree* v = top.find("plugins")) readPlugins(reader, *v, config);
  if (const Tree* v = top.find("logging")) readLogging(reader, *v, config);
  top.finish({"store", "plugins", "logging"});
  return config;
}

StoreConfig defaultConfig(const EventStoreOptions& options) {
  StoreConfig config;
  config.options = options;
  return config;
}

}  // namespace opossum
