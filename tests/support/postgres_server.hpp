// The tests' PostgreSQL server: the throw-away cluster that CTest's fixture "postgres" starts
// (tests/support/postgres_cluster.sh), reached through the conninfo it wrote into the build tree.
#pragma once

#include <string>

namespace opossum::test {

// The cluster's libpq conninfo. Throws std::runtime_error saying why when the cluster is not
// running, so a test that needs it fails with the reason instead of being skipped.
std::string postgresConninfo();

// The conninfo postgres_cluster.sh wrote to `file`; std::runtime_error when there is none.
std::string readConninfo(const std::string& file);

}  // namespace opossum::test
