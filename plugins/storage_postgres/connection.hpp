// A thin layer over libpq: connections that report failures as opossum errors, and a pool.
//
// Errors: a lost or refused connection is an IoError naming host, port and database (never the
// password); lock_timeout is a LockTimeoutError; a statement cancelled through the caller's stop
// token is a CancelledError; anything else the server refuses is an IoError with its SQLSTATE.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "opossum/errors.hpp"

namespace opossum::plugins::postgres {

using Param = std::optional<std::string>;  // nullopt: SQL NULL

// One result set, text format.
class Result {
 public:
  explicit Result(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  bool isNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string text(int row, int column) const;
  long long integer(int row, int column) const;
  std::optional<std::string> optionalText(int row, int column) const;
  PGresult* raw() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

// A statement with its parameters.
struct Statement {
  std::string sql;
  std::vector<Param> params;
};

struct ConnectionSettings {
  std::string conninfo;  // libpq key/value string or URI
  std::chrono::milliseconds lockTimeout{5000};
  std::chrono::milliseconds statementTimeout{0};  // 0: none
  unsigned connectTimeoutSeconds = 10;
  // Off: a commit returns before the server's WAL is flushed (flushEventsImmediately = false).
  bool synchronousCommit = true;
};

class Connection {
 public:
  explicit Connection(const ConnectionSettings& settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement; `cancel` stopping cancels it on the server.
  Result exec(const std::string& sql, const std::vector<Param>& params = {},
              std::stop_token cancel = {});
  // Sends every statement at once and then reads their results (libpq pipeline mode: one round
  // trip). The server skips the statements after a failed one; the first failure is thrown.
  // `sent` tells whether all of them reached the connection (else none ran).
  std::vector<Result> execAll(const std::vector<Statement>& statements, std::stop_token cancel,
                              bool& sent);
  bool connected() const;
  // Whether the connection can still be used (a failed one is dropped by the pool).
  bool usable() const;
  // "host /tmp/x port 5432 database opossum", for messages.
  std::string where() const;

 private:
  [[noreturn]] void fail(PGresult* result, const std::stop_token& cancel);
  // The name of `sql` prepared on this connection, preparing it the first time (a statement
  // is parsed and planned once per connection, not per call).
  const std::string* prepared(const std::string& sql, int parameters);

  PGconn* connection_;
  std::unordered_map<std::string, std::string> prepared_;
};

// Connections kept for reuse; a lease gives one back when it ends, unless it broke.
class ConnectionPool {
 public:
  ConnectionPool(ConnectionSettings settings, std::size_t keep);

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ~Lease() { pool_.giveBack(std::move(connection_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    ConnectionPool& pool_;
    std::unique_ptr<Connection> connection_;
  };

  Lease acquire();
  const ConnectionSettings& settings() const { return settings_; }

 private:
  void giveBack(std::unique_ptr<Connection> connection);

  ConnectionSettings settings_;
  std::size_t keep_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

// Runs `body` inside BEGIN ... COMMIT on `connection`, rolling back when it throws. A COMMIT whose
// answer is lost is an IoError saying the outcome is unknown.
template <class Body>
auto inTransaction(Connection& connection, std::stop_token cancel, Body body);

// SQL text helpers.
std::string quoteIdentifier(const std::string& name);
// A PostgreSQL array literal of text elements ('{"a","b"}'), NULL for nullopt elements.
std::string arrayLiteral(const std::vector<Param>& elements);

// The error for a commit whose answer was lost with the connection.
IoError unknownOutcome(const Error& cause);
void commitOrThrow(Connection& connection);
void rollbackQuietly(Connection& connection);

template <class Body>
auto inTransaction(Connection& connection, std::stop_token cancel, Body body) {
  connection.exec("BEGIN", {}, cancel);
  try {
    if constexpr (std::is_void_v<decltype(body())>) {
      body();
      commitOrThrow(connection);
    } else {
      auto result = body();
      commitOrThrow(connection);
      return result;
    }
  } catch (...) {
    rollbackQuietly(connection);
    throw;
  }
}

}  // namespace opossum::plugins::postgres
