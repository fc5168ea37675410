#include "postgres_server.hpp"

#include <fstream>
#include <stdexcept>

namespace opossum::test {

std::string readConninfo(const std::string& file) {
  std::ifstream in(file);
  std::string conninfo;
  if (!in || !std::getline(in, conninfo) || conninfo.empty()) {
    throw std::runtime_error("no PostgreSQL conninfo in " + file);
  }
  return conninfo;
}

std::string postgresConninfo() {
  const std::string file = std::string(OPOSSUM_TEST_BINARY_DIR) + "/postgres/conninfo";
  std::ifstream in(file);
  std::string conninfo;
  if (!in || !std::getline(in, conninfo) || conninfo.empty()) {
    throw std::runtime_error(
        "the tests' PostgreSQL server is not running (no " + file +
        "): run the tests through ctest, whose fixture postgres:start starts it, or run "
        "tests/support/postgres_cluster.sh start " +
        std::string(OPOSSUM_TEST_BINARY_DIR) + "/postgres");
  }
  return conninfo;
}

}  // namespace opossum::test
