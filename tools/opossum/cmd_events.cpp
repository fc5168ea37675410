// info, read, last, append, tail.
#include <csignal>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli_support.hpp"
#include "commands.hpp"
#include "event_text.hpp"
#include "opossum/errors.hpp"
#include "query_syntax.hpp"
#include "store_access.hpp"

namespace opossum::cli {

namespace {

constexpr std::size_t kPage = 1000;

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void key(JsonWriter& w, const char* name, const std::string& value) {
  w.Key(name);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void printEvent(const SequencedEvent& event, const EventCodec* codec) {
  std::cout << (codec ? codec->toJsonLine(event) : plainLine(event)) << '\n';
}

// ---- info ----

struct InfoArgs {
  StoreArgs store;
};

void runInfo(const InfoArgs& args) {
  auto config = resolveConfig(args.store);
  auto maintenance = requireExistingStore(config);
  auto store = createEventStore(config);
  const StoreDescription description = store->describe();
  const Position head = description.head;

  std::map<std::string, std::uint64_t> perType;
  std::set<Tag> tags;
  std::uint64_t count = 0;
  {
    Progress progress("info", head);
    Position from = 0;
    while (from < head) {
      auto page = store->read(Query::all(), ReadOptions{false, from, kPage});
      if (page.empty()) break;
      for (const auto& event : page) {
        ++perType[event.event.eventType];
        tags.insert(event.event.tags.begin(), event.event.tags.end());
        ++count;
      }
      from = page.back().position;
      progress.update(count);
    }
  }

  // Storage, serializer, index.
  const auto& plugins = description.plugins;
  const std::string dir = maintenance->property("location").value_or("?");
  const std::string bytes = maintenance->property("bytes").value_or("0");

  if (args.store.json) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    key(w, "store", dir);
    w.Key("plugins");
    w.StartObject();
    for (const auto& plugin : plugins) {
      w.Key(plugin.kind.c_str());
      w.StartObject();
      key(w, "name", plugin.name);
      key(w, "version", plugin.version);
      if (!plugin.format.empty()) {
        key(w, "format", plugin.format);
        w.Key("formatVersion");
        w.Int(plugin.formatVersion);
      }
      w.EndObject();
    }
    w.EndObject();
    w.Key("head");
    w.Uint64(head);
    w.Key("events");
    w.Uint64(count);
    w.Key("eventTypes");
    w.StartObject();
    for (const auto& [type, n] : perType) {
      w.Key(type.c_str(), static_cast<rapidjson::SizeType>(type.size()));
      w.Uint64(n);
    }
    w.EndObject();
    w.Key("distinctTags");
    w.Uint64(tags.size());
    w.Key("bytes");
    w.Uint64(std::stoull(bytes));
    w.EndObject();
    std::cout << buffer.GetString() << '\n';
    return;
  }
  std::cout << "store        " << dir << '\n';
  // The parts the engine loaded: a database engine has no serializer or index of its own.
  for (const auto& plugin : plugins) {
    std::cout << std::left << std::setw(13) << plugin.kind << plugin.name << ' ' << plugin.version;
    if (!plugin.format.empty()) {
      std::cout << " (format " << plugin.format << ' ' << plugin.formatVersion << ')';
    }
    std::cout << '\n';
  }
  std::cout << "head         " << head << '\n'
            << "events       " << count << '\n'
            << "tags         " << tags.size() << " distinct\n"
            << "bytes        " << bytes << '\n'
            << "event types  " << perType.size() << '\n';
  std::size_t width = 0;
  for (const auto& entry : perType) width = std::max(width, entry.first.size());
  for (const auto& [type, n] : perType) {
    std::cout << "  " << type << std::string(width - type.size() + 2, ' ') << n << '\n';
  }
}

// ---- read, last ----

struct ReadArgs {
  StoreArgs store;
  QueryArgs query;
  std::optional<Position> from;
  std::optional<std::size_t> max;
  bool descending = false;
};

void runRead(const ReadArgs& args) {
  auto config = resolveConfig(args.store);
  Query query = buildQuery(args.query);
  requireExistingStore(config);
  auto store = createEventStore(config);
  std::unique_ptr<EventCodec> codec;
  if (args.store.json) codec = std::make_unique<EventCodec>(jsonSerializer(config));
  if (args.descending || args.max) {
    for (const auto& event :
         store->read(query, ReadOptions{args.descending, args.from, args.max})) {
      printEvent(event, codec.get());
    }
    return;
  }
  // Ascending without a limit: page through the store so memory stays flat.
  std::optional<Position> from = args.from;
  for (;;) {
    auto page = store->read(query, ReadOptions{false, from, kPage});
    for (const auto& event : page) printEvent(event, codec.get());
    if (page.size() < kPage) break;
    from = page.back().position;
  }
}

struct LastArgs {
  StoreArgs store;
  QueryArgs query;
};

void runLast(const LastArgs& args) {
  auto config = resolveConfig(args.store);
  Query query = buildQuery(args.query);
  requireExistingStore(config);
  auto store = createEventStore(config);
  auto event = store->readLast(query, {});
  if (!event) return;
  std::unique_ptr<EventCodec> codec;
  if (args.store.json) codec = std::make_unique<EventCodec>(jsonSerializer(config));
  printEvent(*event, codec.get());
}

// ---- append ----

struct AppendArgs {
  StoreArgs store;
  std::string file;
  std::vector<std::string> failIf;
  std::optional<Position> after;
};

// With --json a failed append still prints one object, so a script reads the outcome from stdout
// whatever happened.
void printAppendFailure(const std::string& message, std::size_t failedLine) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("count");
  w.Uint64(0);
  key(w, "error", message);
  if (failedLine != 0) {
    w.Key("failedLine");
    w.Uint64(failedLine);
  }
  w.EndObject();
  std::cout << buffer.GetString() << '\n';
}

void appendLines(const AppendArgs& args) {
  auto config = resolveConfig(args.store);
  std::optional<AppendCondition> condition;
  if (!args.failIf.empty() || args.after) {
    // --after alone guards against any event after that position.
    Query query = args.failIf.empty() ? Query::all() : buildQuery({}, {}, args.failIf);
    condition = AppendCondition{std::move(query), args.after};
  }
  std::ifstream file;
  if (!args.file.empty() && args.file != "-") {
    file.open(args.file, std::ios::binary);
    if (!file) throw Error("cannot open input file '" + args.file + "'");
  }
  std::istream& in = file.is_open() ? static_cast<std::istream&>(file) : std::cin;
  const std::string source =
      file.is_open() ? "input file '" + args.file + "'" : std::string("standard input");

  EventCodec codec(jsonSerializer(config));
  EventLineReader reader(codec, in, source, false);
  std::vector<NewEvent> events;
  try {
    while (auto parsed = reader.next()) {
      events.push_back(NewEvent{std::move(parsed->event), std::move(parsed->metadata)});
    }
  } catch (const InputLineError& e) {
    // Every line is part of one atomic append: nothing before the bad line was written either.
    throw InputLineError(source, e.line(), e.reason() + "; nothing was appended");
  }
  if (events.empty()) throw InvalidArgumentError("no events in " + source);

  auto store = createEventStore(config);
  const Position last = store->append(events, condition, {});
  const Position first = last - events.size() + 1;
  if (args.store.json) {
    std::cout << "{\"count\":" << events.size() << ",\"firstPosition\":" << first
              << ",\"lastPosition\":" << last << "}\n";
  } else if (first == last) {
    std::cout << "appended 1 event at position " << last << '\n';
  } else {
    std::cout << "appended " << events.size() << " events at positions " << first << ".." << last
              << '\n';
  }
}

void runAppend(const AppendArgs& args) {
  if (!args.store.json) return appendLines(args);
  try {
    appendLines(args);
  } catch (const UsageError&) {
    throw;  // not an append at all: the usage line says what to fix
  } catch (const InputLineError& e) {
    printAppendFailure(e.what(), e.line());
    throw;
  } catch (const std::exception& e) {
    printAppendFailure(e.what(), 0);
    throw;
  }
}

// ---- tail ----

volatile std::sig_atomic_t stopRequested = 0;

extern "C" void onStopSignal(int) { stopRequested = 1; }

struct TailArgs {
  StoreArgs store;
  QueryArgs query;
  std::optional<Position> from;
  unsigned intervalMs = 500;
};

void runTail(const TailArgs& args) {
  auto config = resolveConfig(args.store);
  Query query = buildQuery(args.query);
  requireExistingStore(config);
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  auto store = createEventStore(config);
  std::unique_ptr<EventCodec> codec;
  if (args.store.json) codec = std::make_unique<EventCodec>(jsonSerializer(config));
  Position seen = args.from ? *args.from : store->head();
  while (!stopRequested) {
    // Everything up to the head read before the query has been seen once the page is not full.
    const Position head = store->head();
    auto page = store->read(query, ReadOptions{false, seen, kPage});
    for (const auto& event : page) printEvent(event, codec.get());
    std::cout.flush();
    if (!page.empty()) seen = page.back().position;
    if (page.size() == kPage) continue;
    seen = std::max(seen, head);
    for (unsigned waited = 0; waited < args.intervalMs && !stopRequested; waited += 20) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace

void registerEventCommands(CLI::App& app, int& status) {
  (void)status;
  {
    auto args = std::make_shared<InfoArgs>();
    auto* cmd = app.add_subcommand(
        "info", "store path, plugins, head, event count, counts per type, tags, bytes on disk");
    addStoreOptions(*cmd, args->store);
    cmd->footer(
        "Example:\n  opossum info --root ./data --store shop\n  opossum info --config "
        "opossum.json --json");
    cmd->callback([args] { runInfo(*args); });
  }
  {
    auto args = std::make_shared<ReadArgs>();
    auto* cmd = app.add_subcommand("read", "print the events matching a query");
    addStoreOptions(*cmd, args->store);
    addQueryOptions(*cmd, args->query);
    addNumberOption(*cmd, "--from", args->from, "only positions after this one (exclusive)");
    addNumberOption(*cmd, "--max", args->max, "at most this many events");
    cmd->add_flag("--desc", args->descending, "newest first");
    cmd->footer(
        "Example:\n  opossum read --root ./data --store shop --type ItemAdded --tag cart=C1\n"
        "  opossum read --root ./data --store shop --item 'type=CartOpened' --item "
        "'tag=cart=C2' --desc --max 5 --json");
    cmd->callback([args] { runRead(*args); });
  }
  {
    auto args = std::make_shared<LastArgs>();
    auto* cmd = app.add_subcommand("last", "print the last event matching a query (readLast)");
    addStoreOptions(*cmd, args->store);
    addQueryOptions(*cmd, args->query);
    cmd->footer("Example:\n  opossum last --root ./data --store shop --tag cart=C1");
    cmd->callback([args] { runLast(*args); });
  }
  {
    auto args = std::make_shared<AppendArgs>();
    auto* cmd = app.add_subcommand(
        "append", "append JSON-lines events atomically (exit 3 when the condition fails)");
    addStoreOptions(*cmd, args->store);
    cmd->add_option("--file", args->file, "read the events from this file (default: stdin)");
    cmd->add_option("--fail-if", args->failIf,
                    "condition: fail if an event matches this item (query item syntax, "
                    "repeatable, OR-ed)");
    addNumberOption(*cmd, "--after", args->after,
                    "condition: only events after this position count (alone: any event)");
    cmd->footer(
        "Each input line: {\"eventType\":\"ItemAdded\",\"event\":{...},\"tags\":[{\"key\":"
        "\"cart\",\"value\":\"C1\"}],\"metadata\":{\"correlationId\":\"...\"}}\n"
        "Example:\n  opossum append --root ./data --store shop --fail-if 'tag=cart=C3' --after 0 "
        "< cart-c3.ndjson");
    cmd->callback([args] { runAppend(*args); });
  }
  {
    auto args = std::make_shared<TailArgs>();
    auto* cmd = app.add_subcommand(
        "tail", "print new events as they are committed, until interrupted (Ctrl-C)");
    addStoreOptions(*cmd, args->store);
    addQueryOptions(*cmd, args->query);
    addNumberOption(*cmd, "--from", args->from,
                    "start after this position (default: the head, only new events)");
    addNumberOption(*cmd, "--interval", args->intervalMs,
                    "poll interval in milliseconds (default 500)", 10, 3600000);
    cmd->footer("Example:\n  opossum tail --root ./data --store shop --type ItemAdded --json");
    cmd->callback([args] { runTail(*args); });
  }
}

}  // namespace opossum::cli
