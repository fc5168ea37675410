#include "connection.hpp"

#include <charconv>
#include <cstring>
#include <optional>

#include "opossum/errors.hpp"

namespace opossum::plugins::postgres {

namespace {

std::string trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string describe(PGconn* connection) {
  auto field = [](const char* value) { return std::string(value != nullptr ? value : "?"); };
  return "host " + field(PQhost(connection)) + " port " + field(PQport(connection)) + " database " +
         field(PQdb(connection));
}

// Asks the server to cancel the statement running on `connection`.
void cancelRunning(PGconn* connection) {
  PGcancel* handle = PQgetCancel(connection);
  if (handle == nullptr) return;
  char error[256];
  PQcancel(handle, error, sizeof error);
  PQfreeCancel(handle);
}

}  // namespace

std::string Result::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

long long Result::integer(int row, int column) const {
  const char* value = PQgetvalue(result_.get(), row, column);
  long long out = 0;
  auto [end, error] = std::from_chars(value, value + std::strlen(value), out);
  if (error != std::errc{} || *end != '\0') {
    throw CorruptionError("PostgreSQL returned '" + std::string(value) + "' for an integer");
  }
  return out;
}

std::optional<std::string> Result::optionalText(int row, int column) const {
  if (isNull(row, column)) return std::nullopt;
  return text(row, column);
}

Connection::Connection(const ConnectionSettings& settings) {
  // The conninfo's own settings win over these defaults (later keywords override earlier ones,
  // and the expanded dbname comes last).
  std::string timeout = std::to_string(settings.connectTimeoutSeconds);
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "opossum", settings.conninfo.c_str(), nullptr};
  connection_ = PQconnectdbParams(keywords, values, 1);
  if (connection_ == nullptr) throw IoError("PostgreSQL: out of memory while connecting");
  if (PQstatus(connection_) != CONNECTION_OK) {
    std::string message = "cannot connect to PostgreSQL (" + describe(connection_) +
                          "): " + trimmed(PQerrorMessage(connection_));
    PQfinish(connection_);
    throw IoError(message);
  }
  PQsetNoticeProcessor(
      connection_, [](void*, const char*) {}, nullptr);
  // Statements are prepared once per connection and their shapes are few: a generic plan saves
  // planning every call (measured: faster appends and tag queries than custom plans). A generic
  // plan's row estimates under a LIMIT parameter can pass jit_above_cost, and compiling takes
  // milliseconds for a query of microseconds: JIT is off.
  std::string setup =
      "SET lock_timeout = " + std::to_string(settings.lockTimeout.count()) +
      "; SET statement_timeout = " + std::to_string(settings.statementTimeout.count()) +
      "; SET TIME ZONE 'UTC'; SET plan_cache_mode = force_generic_plan; SET jit = off;"
      " SET default_transaction_isolation = 'read committed'" +
      (settings.synchronousCommit ? "" : "; SET synchronous_commit = off");
  try {
    exec(setup);
  } catch (...) {
    PQfinish(connection_);
    throw;
  }
}

Connection::~Connection() { PQfinish(connection_); }

bool Connection::connected() const { return PQstatus(connection_) == CONNECTION_OK; }

bool Connection::usable() const {
  return PQstatus(connection_) == CONNECTION_OK && PQtransactionStatus(connection_) == PQTRANS_IDLE;
}

std::string Connection::where() const { return describe(connection_); }

Result Connection::exec(const std::string& sql, const std::vector<Param>& params,
                        std::stop_token cancel) {
  if (cancel.stop_requested()) throw CancelledError("cancelled before PostgreSQL was asked");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* raw = nullptr;
  {
    std::stop_callback onStop(cancel, [this] { cancelRunning(connection_); });
    const std::string* name =
        params.empty() ? nullptr : prepared(sql, static_cast<int>(params.size()));
    if (params.empty()) {
      raw = PQexec(connection_, sql.c_str());
    } else if (name != nullptr) {
      raw = PQexecPrepared(connection_, name->c_str(), static_cast<int>(params.size()),
                           values.data(), nullptr, nullptr, 0);
    } else {
      raw = PQexecParams(connection_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                         values.data(), nullptr, nullptr, 0);
    }
  }
  Result result(raw);
  ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  fail(raw, cancel);
}

void Connection::fail(PGresult* raw, const std::stop_token& cancel) {
  if (PQstatus(connection_) != CONNECTION_OK) {
    throw IoError("the connection to PostgreSQL (" + where() +
                  ") was lost: " + trimmed(PQerrorMessage(connection_)));
  }
  const char* state = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  std::string code = state != nullptr ? state : "";
  std::string message = trimmed(raw != nullptr ? PQresultErrorMessage(raw) : nullptr);
  if (message.empty()) message = trimmed(PQerrorMessage(connection_));
  if (code == "55P03") throw LockTimeoutError("PostgreSQL lock timeout: " + message);
  if (code == "57014" && cancel.stop_requested()) {
    throw CancelledError("cancelled while PostgreSQL was running a statement");
  }
  if (code.starts_with("08")) {
    throw IoError("the connection to PostgreSQL (" + where() + ") failed: " + message);
  }
  throw IoError("PostgreSQL (" + where() + ") refused a statement [" + code + "]: " + message);
}

std::vector<Result> Connection::execAll(const std::vector<Statement>& statements,
                                        std::stop_token cancel, bool& sent) {
  sent = false;
  if (cancel.stop_requested()) throw CancelledError("cancelled before PostgreSQL was asked");
  std::vector<const std::string*> names;
  for (const auto& statement : statements) {
    names.push_back(statement.params.empty()
                        ? nullptr
                        : prepared(statement.sql, static_cast<int>(statement.params.size())));
  }
  std::stop_callback onStop(cancel, [this] { cancelRunning(connection_); });
  if (PQenterPipelineMode(connection_) != 1) fail(nullptr, cancel);
  bool queued = true;
  for (std::size_t i = 0; i < statements.size() && queued; ++i) {
    const auto& params = statements[i].params;
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    const int count = static_cast<int>(params.size());
    queued = names[i] != nullptr
                 ? PQsendQueryPrepared(connection_, names[i]->c_str(), count, values.data(),
                                       nullptr, nullptr, 0) == 1
                 : PQsendQueryParams(connection_, statements[i].sql.c_str(), count, nullptr,
                                     values.data(), nullptr, nullptr, 0) == 1;
  }
  queued = queued && PQpipelineSync(connection_) == 1;
  sent = queued;
  std::vector<Result> results;
  std::optional<Result> failure;
  for (std::size_t i = 0; queued && i < statements.size(); ++i) {
    PGresult* raw = PQgetResult(connection_);
    if (raw == nullptr) break;  // the connection is gone
    Result result(raw);
    while (PGresult* rest = PQgetResult(connection_)) PQclear(rest);  // up to this query's end
    ExecStatusType status = PQresultStatus(raw);
    if (!failure && status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
        status != PGRES_PIPELINE_ABORTED) {
      failure.emplace(std::move(result));
      results.emplace_back(nullptr);
      continue;
    }
    results.push_back(std::move(result));
  }
  if (queued && results.size() == statements.size()) {
    if (PGresult* sync = PQgetResult(connection_)) PQclear(sync);  // PGRES_PIPELINE_SYNC
  }
  const bool left = PQexitPipelineMode(connection_) == 1;
  if (!left || PQstatus(connection_) != CONNECTION_OK || results.size() != statements.size()) {
    fail(nullptr, cancel);
  }
  if (failure) fail(failure->raw(), cancel);
  return results;
}

const std::string* Connection::prepared(const std::string& sql, int parameters) {
  // Queries are built from their shape (how many types and tags), so few texts recur; past this
  // many, the rest run unprepared.
  constexpr std::size_t kMaxPrepared = 256;
  if (auto it = prepared_.find(sql); it != prepared_.end()) return &it->second;
  if (prepared_.size() >= kMaxPrepared) return nullptr;
  std::string name = "opossum_" + std::to_string(prepared_.size());
  Result result(PQprepare(connection_, name.c_str(), sql.c_str(), parameters, nullptr));
  // A failed prepare is reported when the statement runs unprepared.
  if (PQresultStatus(result.raw()) != PGRES_COMMAND_OK) return nullptr;
  return &prepared_.emplace(sql, std::move(name)).first->second;
}

ConnectionPool::ConnectionPool(ConnectionSettings settings, std::size_t keep)
    : settings_(std::move(settings)), keep_(keep) {}

ConnectionPool::Lease ConnectionPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  return Lease(*this, std::make_unique<Connection>(settings_));
}

void ConnectionPool::giveBack(std::unique_ptr<Connection> connection) {
  // A broken connection, or one left inside a transaction, is dropped: the next call reconnects.
  if (!connection || !connection->usable()) return;
  std::lock_guard lock(mutex_);
  if (idle_.size() < keep_) idle_.push_back(std::move(connection));
}

IoError unknownOutcome(const Error& cause) {
  return IoError(std::string("the outcome of a commit is unknown (") + cause.what() +
                 "); read the store to find out whether it was committed before retrying");
}

void commitOrThrow(Connection& connection) {
  try {
    connection.exec("COMMIT");
  } catch (const IoError& e) {
    if (connection.connected()) throw;  // refused, so rolled back
    throw unknownOutcome(e);
  }
}

void rollbackQuietly(Connection& connection) {
  try {
    if (connection.connected()) connection.exec("ROLLBACK");
  } catch (...) {
    // The connection is broken; the pool drops it and the server rolls back on its own.
  }
}

std::string quoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string arrayLiteral(const std::vector<Param>& elements) {
  std::string out = "{";
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out += ',';
    if (!elements[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *elements[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace opossum::plugins::postgres
