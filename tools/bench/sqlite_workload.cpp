#include "sqlite_workload.hpp"

#include <sqlite3.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <thread>

#include "opossum/errors.hpp"

namespace opossum::bench {
namespace fs = std::filesystem;

namespace {

constexpr int kBusyTimeoutMs = 5000;

// The tag index serves condition checks and tag queries; the primary key of event_tags clusters
// the tags by position so reading an event's tags is one range lookup (without it every read
// would scan the tag table).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events(
  position INTEGER PRIMARY KEY, type TEXT NOT NULL, payload TEXT NOT NULL, metadata TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS event_tags(
  position INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(position, key, value)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_tags_by_tag ON event_tags(key, value, position);
CREATE INDEX IF NOT EXISTS events_by_type ON events(type);
)sql";

// The customer counts of rows 8-10 as a SQLite application would keep them: a state table and
// the position it reflects.
constexpr const char* kProjectionSchema = R"sql(
CREATE TABLE IF NOT EXISTS customer_counts(customer TEXT PRIMARY KEY, count INTEGER NOT NULL)
  WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS projection_checkpoints(name TEXT PRIMARY KEY, position INTEGER NOT NULL);
)sql";

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
  const std::string message =
      "sqlite: " + what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) throw BusyError(message);
  throw std::runtime_error(message);
}

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) fail(db, rc, "prepare '" + sql + "'");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int index, std::string_view text) {
    check(sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                            SQLITE_TRANSIENT),
          "bind");
  }
  void bind(int index, sqlite3_int64 value) {
    check(sqlite3_bind_int64(stmt_, index, value), "bind");
  }
  // True while there is a row.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(stmt_);
    fail(db_, rc, std::string("step '") + sqlite3_sql(stmt_) + "'");
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  sqlite3_int64 integer(int column) { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(p),
                             static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  bool isNull(int column) { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  void check(int rc, const char* what) {
    if (rc != SQLITE_OK) fail(db_, rc, what);
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends, whichever way it ends.
class Use {
 public:
  explicit Use(Statement& s) : s_(s) {}
  ~Use() { s_.reset(); }
  Statement* operator->() { return &s_; }
  Statement& operator*() { return s_; }

 private:
  Statement& s_;
};

std::string formatTimestamp(Timestamp t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buffer;
}

std::optional<Timestamp> parseTimestamp(const char* text) {
  using namespace std::chrono;
  int y = 0, h = 0, mi = 0, s = 0, ms = 0;
  unsigned mo = 0, d = 0;
  if (std::sscanf(text, "%d-%u-%uT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms) != 7) {
    return std::nullopt;
  }
  return sys_days(year{y} / month{mo} / day{d}) + hours{h} + minutes{mi} + seconds{s} +
         milliseconds{ms};
}

std::string metadataJson(const Metadata& m) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  if (m.timestamp) {
    w.Key("timestamp");
    w.String(formatTimestamp(*m.timestamp).c_str());
  }
  const std::pair<const char*, const std::optional<std::string>*> fields[] = {
      {"correlationId", &m.correlationId},
      {"causationId", &m.causationId},
      {"operationId", &m.operationId},
      {"userId", &m.userId}};
  for (const auto& [key, value] : fields) {
    if (!*value) continue;
    w.Key(key);
    w.String((*value)->c_str(), static_cast<rapidjson::SizeType>((*value)->size()));
  }
  w.EndObject();
  return buffer.GetString();
}

Metadata parseMetadata(const std::string& json) {
  Metadata m;
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError() || !d.IsObject()) throw std::runtime_error("sqlite: bad metadata " + json);
  if (auto it = d.FindMember("timestamp"); it != d.MemberEnd() && it->value.IsString()) {
    m.timestamp = parseTimestamp(it->value.GetString());
  }
  const std::pair<const char*, std::optional<std::string>*> fields[] = {
      {"correlationId", &m.correlationId},
      {"causationId", &m.causationId},
      {"operationId", &m.operationId},
      {"userId", &m.userId}};
  for (const auto& [key, value] : fields) {
    if (auto it = d.FindMember(key); it != d.MemberEnd() && it->value.IsString()) {
      *value = std::string(it->value.GetString(), it->value.GetStringLength());
    }
  }
  return m;
}

// A Query as an SQL condition on `events e`. Its text parameters are numbered from `first` on,
// in the order of `params`.
struct Filter {
  std::string sql;
  std::vector<std::string> params;
};

// With `afterParam` (e.g. "?1"), only events after that position match, and the bound is pushed
// into each tag lookup so that the (key, value, position) index answers it with one range probe
// instead of listing every position of the tag.
Filter filterOf(const Query& query, int first, const char* afterParam = nullptr) {
  Filter f;
  auto param = [&](const std::string& value) {
    f.params.push_back(value);
    return "?" + std::to_string(first + static_cast<int>(f.params.size()) - 1);
  };
  const std::string after =
      afterParam != nullptr ? std::string(" AND position > ") + afterParam : "";
  if (query.matchesEverything()) {
    f.sql = afterParam != nullptr ? std::string("e.position > ") + afterParam : "1";
    return f;
  }
  for (const auto& item : query.items()) {
    std::string clause;
    if (!item.eventTypes.empty()) {
      clause = "e.type IN (";
      for (std::size_t i = 0; i < item.eventTypes.size(); ++i) {
        clause += (i == 0 ? "" : ",") + param(item.eventTypes[i]);
      }
      clause += ")";
      if (afterParam != nullptr) clause += std::string(" AND e.position > ") + afterParam;
    }
    if (!item.tags.empty()) {
      if (!clause.empty()) clause += " AND ";
      clause += "e.position IN (";
      for (std::size_t i = 0; i < item.tags.size(); ++i) {
        if (i > 0) clause += " INTERSECT ";
        clause += "SELECT position FROM event_tags WHERE key = " + param(item.tags[i].key);
        clause += " AND value = " + param(item.tags[i].value) + after;
      }
      clause += ")";
    }
    f.sql += (f.sql.empty() ? "(" : " OR (") + clause + ")";
  }
  return f;
}

// The newest position carrying one tag is the last entry of that tag in the index.
bool isSingleTag(const Query& query) {
  return query.items().size() == 1 && query.items()[0].eventTypes.empty() &&
         query.items()[0].tags.size() == 1;
}

class Connection : public Client {
 public:
  Connection(const fs::path& file, Durability durability, bool createSchema) {
    // One connection per thread (the multi-thread mode): no mutex on every call.
    const int rc =
        sqlite3_open_v2(file.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      throw std::runtime_error("sqlite: cannot open " + file.string() + ": " + message);
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    setUp("PRAGMA journal_mode=WAL");
    exec(durability == Durability::kDurable ? "PRAGMA synchronous=FULL"
                                            : "PRAGMA synchronous=NORMAL");
    if (createSchema) setUp(kSchema);
  }
  ~Connection() override {
    statements_.clear();  // statements before the connection
    sqlite3_close_v2(db_);
  }

  Position append(const std::vector<NewEvent>& events,
                  const std::optional<AppendCondition>& condition) override {
    {
      Use begin(statement("BEGIN IMMEDIATE"));
      begin->step();  // BusyError when busy_timeout ran out: nothing to roll back
    }
    try {
      if (condition) checkCondition(*condition);
      Position last = 0;
      Use insertEvent(statement("INSERT INTO events(type, payload, metadata) VALUES(?, ?, ?)"));
      Use insertTag(
          statement("INSERT OR IGNORE INTO event_tags(position, key, value) VALUES(?, ?, ?)"));
      for (const auto& e : events) {
        insertEvent->bind(1, e.event.eventType);
        insertEvent->bind(2, e.event.event);
        insertEvent->bind(3, metadataJson(e.metadata));
        insertEvent->step();
        insertEvent->reset();
        last = static_cast<Position>(sqlite3_last_insert_rowid(db_));
        for (const auto& tag : e.event.tags) {
          insertTag->bind(1, static_cast<sqlite3_int64>(last));
          insertTag->bind(2, tag.key);
          insertTag->bind(3, tag.value);
          insertTag->step();
          insertTag->reset();
        }
      }
      Use commit(statement("COMMIT"));
      commit->step();
      return last;
    } catch (...) {
      if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  std::vector<SequencedEvent> read(const Query& query) override {
    const Filter f = filterOf(query, 1);
    Use s(
        statement("SELECT e.position, e.type, e.payload, e.metadata, t.key, t.value FROM events e "
                  "LEFT JOIN event_tags t ON t.position = e.position WHERE " +
                  f.sql + " ORDER BY e.position"));
    bindAll(*s, f.params, 1);
    std::vector<SequencedEvent> out;
    while (s->step()) {
      const auto position = static_cast<Position>(s->integer(0));
      if (out.empty() || out.back().position != position) {
        SequencedEvent& e = out.emplace_back();
        e.position = position;
        e.event.eventType = s->text(1);
        e.event.event = s->text(2);
        e.metadata = parseMetadata(s->text(3));
      }
      if (!s->isNull(4)) out.back().event.tags.push_back({s->text(4), s->text(5)});
    }
    return out;
  }

  std::optional<SequencedEvent> readLast(const Query& query) override {
    SequencedEvent e;
    Position position = 0;
    if (isSingleTag(query)) {
      Use s(statement("SELECT max(position) FROM event_tags WHERE key = ? AND value = ?"));
      s->bind(1, query.items()[0].tags[0].key);
      s->bind(2, query.items()[0].tags[0].value);
      if (!s->step() || s->isNull(0)) return std::nullopt;
      position = static_cast<Position>(s->integer(0));
    } else {
      const Filter f = filterOf(query, 1);
      Use s(statement("SELECT e.position FROM events e WHERE " + f.sql +
                      " ORDER BY e.position DESC LIMIT 1"));
      bindAll(*s, f.params, 1);
      if (!s->step()) return std::nullopt;
      position = static_cast<Position>(s->integer(0));
    }
    {
      Use s(statement("SELECT type, payload, metadata FROM events WHERE position = ?"));
      s->bind(1, static_cast<sqlite3_int64>(position));
      if (!s->step()) return std::nullopt;
      e.position = position;
      e.event.eventType = s->text(0);
      e.event.event = s->text(1);
      e.metadata = parseMetadata(s->text(2));
    }
    Use tags(statement("SELECT key, value FROM event_tags WHERE position = ?"));
    tags->bind(1, static_cast<sqlite3_int64>(e.position));
    while (tags->step()) e.event.tags.push_back({tags->text(0), tags->text(1)});
    return e;
  }

  // The same fold as the Opossum projection: every event read in full (as read() does), one
  // upsert per event into the state table, all in one transaction with the checkpoint.
  std::uint64_t rebuildCustomerCounts() {
    exec(kProjectionSchema);
    exec("BEGIN IMMEDIATE");
    try {
      exec("DELETE FROM customer_counts");
      Use scan(statement(
          "SELECT e.position, e.type, e.payload, e.metadata, t.key, t.value FROM events e "
          "LEFT JOIN event_tags t ON t.position = e.position ORDER BY e.position"));
      Use upsert(
          statement("INSERT INTO customer_counts(customer, count) VALUES(?, 1) "
                    "ON CONFLICT(customer) DO UPDATE SET count = count + 1"));
      std::uint64_t applied = 0;
      std::optional<SequencedEvent> current;
      auto apply = [&] {
        if (!current) return;
        std::string customer = "none";
        for (const auto& tag : current->event.tags) {
          if (tag.key == "customer") customer = tag.value;
        }
        upsert->bind(1, customer);
        upsert->step();
        upsert->reset();
        ++applied;
      };
      while (scan->step()) {
        const auto position = static_cast<Position>(scan->integer(0));
        if (!current || current->position != position) {
          apply();
          current.emplace();
          current->position = position;
          current->event.eventType = scan->text(1);
          current->event.event = scan->text(2);
          current->metadata = parseMetadata(scan->text(3));
        }
        if (!scan->isNull(4)) current->event.tags.push_back({scan->text(4), scan->text(5)});
      }
      apply();
      Use checkpoint(
          statement("INSERT OR REPLACE INTO projection_checkpoints(name, position) VALUES(?, ?)"));
      checkpoint->bind(1, std::string_view(kCustomerCounts));
      checkpoint->bind(2, static_cast<sqlite3_int64>(current ? current->position : 0));
      checkpoint->step();
      exec("COMMIT");
      return applied;
    } catch (...) {
      if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  std::optional<std::uint64_t> customerCount(const std::string& customer) {
    Use s(statement("SELECT count FROM customer_counts WHERE customer = ?"));
    s->bind(1, customer);
    if (!s->step()) return std::nullopt;
    return static_cast<std::uint64_t>(s->integer(0));
  }

 private:
  // Processes opening a new database together race to switch it to WAL and to create the
  // tables: SQLite answers SQLITE_BUSY at once, without its busy handler, to all but one of the
  // connections that upgrade a shared lock together (deadlock avoidance). Such a statement is
  // tried again until the busy timeout has passed, as an application would.
  void setUp(const char* sql) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    for (;;) {
      try {
        exec(sql);
        return;
      } catch (const BusyError&) {
        if (std::chrono::steady_clock::now() >= deadline) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }

  void exec(const char* sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      const std::string message = error != nullptr ? error : sqlite3_errstr(rc);
      sqlite3_free(error);
      if (rc == SQLITE_BUSY) throw BusyError("sqlite: " + message);
      throw std::runtime_error(std::string("sqlite: ") + sql + ": " + message);
    }
  }

  // Prepared once per connection and shape of query.
  Statement& statement(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      it = statements_.emplace(sql, std::make_unique<Statement>(db_, sql)).first;
    }
    return *it->second;
  }

  static void bindAll(Statement& s, const std::vector<std::string>& params, int first) {
    for (std::size_t i = 0; i < params.size(); ++i) s.bind(first + static_cast<int>(i), params[i]);
  }

  // The DCB check inside the write transaction: any matching event after the given position?
  void checkCondition(const AppendCondition& condition) {
    const Filter f = filterOf(condition.failIfEventsMatch, 2, "?1");
    Use s(statement("SELECT EXISTS(SELECT 1 FROM events e WHERE " + f.sql + ")"));
    s->bind(1, static_cast<sqlite3_int64>(condition.afterSequencePosition.value_or(0)));
    bindAll(*s, f.params, 2);
    if (s->step() && s->integer(0) != 0) {
      throw AppendConditionFailedError("sqlite: append condition failed");
    }
  }

  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Statement>> statements_;
};

class SqliteOpenStore : public OpenStore {
 public:
  SqliteOpenStore(fs::path file, Durability durability)
      : file_(std::move(file)),
        durability_(durability),
        // Keeps the database (and its WAL) open for as long as the store is.
        primary_(file_, durability, true) {}

  std::unique_ptr<Client> connect() override {
    return std::make_unique<Connection>(file_, durability_, false);
  }
  std::uint64_t rebuildCustomerCounts() override { return primary_.rebuildCustomerCounts(); }
  std::optional<std::uint64_t> customerCount(const std::string& customer) override {
    return primary_.customerCount(customer);
  }
  // No followCustomerCounts: SQLite has no background projection runner (rows 9-10 are n/a).

 private:
  fs::path file_;
  Durability durability_;
  Connection primary_;
};

}  // namespace

std::string SqliteWorkload::description() const {
  return std::string("SQLite ") + sqlite3_libversion() +
         ", WAL, tables events + event_tags (index on key,value,position and on type), "
         "BEGIN IMMEDIATE per append, busy_timeout " +
         std::to_string(kBusyTimeoutMs) + " ms";
}

std::string SqliteWorkload::setting(Durability durability) const {
  return durability == Durability::kDurable ? "journal_mode=WAL, synchronous=FULL"
                                            : "journal_mode=WAL, synchronous=NORMAL";
}

std::unique_ptr<OpenStore> SqliteWorkload::open(const fs::path& dir, Durability durability) {
  return std::make_unique<SqliteOpenStore>(dir / "events.db", durability);
}

}  // namespace opossum::bench
