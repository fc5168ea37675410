#include <catch2/catch.hpp>

#include "opossum/errors.hpp"
#include "opossum/sdk/options.hpp"

using opossum::ConfigError;
using opossum::sdk::OptionReader;
using opossum::sdk::PluginOptions;

namespace {
const std::string kOwner = "storage plugin 'test'";
}

TEST_CASE("getters return the value or the fallback", "[options]") {
  PluginOptions options{{"dir", "x/y"}, {"count", "42"}, {"fast", "true"}};
  OptionReader reader(options, kOwner);
  CHECK(reader.getString("dir", "d") == "x/y");
  CHECK(reader.getString("missing", "d") == "d");
  CHECK(reader.getUnsigned("count", 7) == 42);
  CHECK(reader.getUnsigned("other", 7) == 7);
  CHECK(reader.getBool("fast", false));
  CHECK(reader.getBool("slow", true));
  CHECK_NOTHROW(reader.finish());
}

TEST_CASE("getBool accepts the usual spellings, case-insensitively", "[options]") {
  for (const char* yes : {"true", "TRUE", "True", "1", "yes", "YES", "on", "On"}) {
    PluginOptions options{{"b", yes}};
    OptionReader reader(options, kOwner);
    CHECK(reader.getBool("b", false));
  }
  for (const char* no : {"false", "FALSE", "0", "no", "No", "off", "OFF"}) {
    PluginOptions options{{"b", no}};
    OptionReader reader(options, kOwner);
    CHECK_FALSE(reader.getBool("b", true));
  }
}

TEST_CASE("a bad boolean names the owner, the key and the value", "[options]") {
  PluginOptions options{{"fast", "maybe"}};
  OptionReader reader(options, kOwner);
  CHECK_THROWS_MATCHES(reader.getBool("fast", false), ConfigError,
                       Catch::Matchers::Predicate<ConfigError>([](const ConfigError& e) {
                         std::string m = e.what();
                         return m.find("'fast'") != std::string::npos &&
                                m.find(kOwner) != std::string::npos &&
                                m.find("'maybe'") != std::string::npos;
                       }));
}

TEST_CASE("a bad unsigned names the owner, the key and the value", "[options]") {
  for (const char* bad : {"-1", "abc", "12x", "", " 5", "1.5", "99999999999999999999999"}) {
    PluginOptions options{{"count", bad}};
    OptionReader reader(options, kOwner);
    try {
      reader.getUnsigned("count", 1);
      FAIL("accepted '" << bad << "'");
    } catch (const ConfigError& e) {
      std::string m = e.what();
      CHECK(m.find("'count'") != std::string::npos);
      CHECK(m.find(kOwner) != std::string::npos);
      CHECK(m.find("'" + std::string(bad) + "'") != std::string::npos);
    }
  }
}

TEST_CASE("getUnsigned reads the full 64-bit range", "[options]") {
  PluginOptions options{{"n", "18446744073709551615"}, {"z", "0"}};
  OptionReader reader(options, kOwner);
  CHECK(reader.getUnsigned("n", 1) == UINT64_MAX);
  CHECK(reader.getUnsigned("z", 1) == 0);
}

TEST_CASE("finish refuses unknown keys and lists the known ones", "[options]") {
  PluginOptions options{{"dir", "x"}, {"typo", "1"}};
  OptionReader reader(options, kOwner);
  reader.getString("dir", "");
  reader.getBool("fast", false);
  try {
    reader.finish();
    FAIL("unknown key accepted");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "unknown option 'typo' for " + kOwner + "; known options: dir, fast");
  }
}

TEST_CASE("finish passes when every key was read", "[options]") {
  PluginOptions options{{"a", "1"}};
  OptionReader reader(options, kOwner);
  CHECK_THROWS_AS(reader.finish(), ConfigError);
  reader.getUnsigned("a", 0);
  CHECK_NOTHROW(reader.finish());
}
