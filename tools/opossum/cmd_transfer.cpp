// export, import: the whole store as NDJSON (one opossum-json event per line, positions 1..N).
#include <fstream>
#include <iostream>
#include <memory>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli_support.hpp"
#include "commands.hpp"
#include "event_text.hpp"
#include "opossum/errors.hpp"
#include "store_access.hpp"

namespace opossum::cli {

namespace {

struct ExportArgs {
  StoreArgs store;
  std::string output;
  std::size_t batch = 1000;
};

void runExport(const ExportArgs& args) {
  auto config = resolveConfig(args.store);
  requireExistingStore(config);
  auto store = createEventStore(config);
  EventCodec codec(jsonSerializer(config));
  std::ofstream file;
  const bool toFile = !args.output.empty() && args.output != "-";
  if (toFile) {
    file.open(args.output, std::ios::binary | std::ios::trunc);
    if (!file) throw Error("cannot create output file '" + args.output + "'");
  }
  std::ostream& out = toFile ? static_cast<std::ostream&>(file) : std::cout;

  // The head when the export starts: later appends are not part of it.
  const Position head = store->head();
  Progress progress("export", head);
  Position done = 0;
  while (done < head) {
    auto page = store->read(
        Query::all(), ReadOptions{false, done, std::min<std::size_t>(args.batch, head - done)});
    if (page.empty())
      throw Error("store ended at position " + std::to_string(done) + " of " +
                  std::to_string(head) + " (deleted meanwhile?)");
    for (const auto& event : page) {
      if (event.position != done + 1) {
        throw CorruptionError("export: expected position " + std::to_string(done + 1) + ", read " +
                              std::to_string(event.position));
      }
      out << codec.toJsonLine(event) << '\n';
      done = event.position;
    }
    progress.update(done);
  }
  out.flush();
  if (!out) throw IoError("cannot write the export" + (toFile ? " to '" + args.output + "'" : ""));
  progress.finish();
  if (!toFile) return;  // stdout holds the data
  if (args.store.json) {
    std::cout << "{\"exported\":" << done << "}\n";
  } else {
    std::cout << "exported " << plural(done, "event") << " to " << args.output << '\n';
  }
}

struct ImportArgs {
  StoreArgs store;
  std::string input;
  std::size_t batch = 1000;
  bool resume = false;
};

// How far an import got. Reported whether it finished or stopped, so that a stopped import says
// what is in the store and where to go on from.
struct ImportReport {
  Position start = 0;          // the store's head before this run (only --resume allows one)
  std::uint64_t skipped = 0;   // input events at positions up to `start`, already in the store
  std::uint64_t imported = 0;  // events this run committed
  std::uint64_t batches = 0;
  std::size_t firstLine = 0;  // input lines of the first and last committed event
  std::size_t lastLine = 0;

  Position head() const { return start + imported; }
};

std::string batchCount(std::uint64_t n) {
  return std::to_string(n) + (n == 1 ? " batch" : " batches");
}

// The part of the error that says what the stopped import left in the store.
std::string describeStop(const ImportReport& r, const std::string& where, bool resumable,
                         bool badLine) {
  std::string text;
  if (r.imported == 0) {
    text = r.start == 0 ? "nothing was imported"
                        : "nothing more was imported; '" + where + "' still ends at position " +
                              std::to_string(r.start);
  } else {
    text = "committed " + plural(r.imported, "event") + " in " + batchCount(r.batches) +
           " before that (input lines " + std::to_string(r.firstLine) + ".." +
           std::to_string(r.lastLine) + " at positions " + std::to_string(r.start + 1) + ".." +
           std::to_string(r.head()) + ")";
  }
  if (resumable && r.head() > 0) {
    text += std::string(badLine ? "; fix the input and run" : "; run") +
            " the same import with --resume to continue after position " + std::to_string(r.head());
  }
  return text;
}

void printImportJson(const ImportReport& r, const std::string* error, std::size_t failedLine) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("imported");
  w.Uint64(r.imported);
  w.Key("batches");
  w.Uint64(r.batches);
  w.Key("skipped");
  w.Uint64(r.skipped);
  w.Key("firstLine");
  w.Uint64(r.firstLine);
  w.Key("lastLine");
  w.Uint64(r.lastLine);
  w.Key("lastPosition");
  w.Uint64(r.head());
  w.Key("complete");
  w.Bool(error == nullptr);
  if (error) {
    w.Key("error");
    w.String(error->c_str(), static_cast<rapidjson::SizeType>(error->size()));
    if (failedLine != 0) {
      w.Key("failedLine");
      w.Uint64(failedLine);
    }
  }
  w.EndObject();
  std::cout << buffer.GetString() << '\n';
}

// --resume continues after the store's head; the input's event at that position must be the one
// the store holds (same type and tags), or this is not the input of the import that stopped.
void checkResumePoint(Store& store, const SequencedEvent& input, const std::string& source,
                      std::size_t line) {
  auto stored = store.read(Query::all(), ReadOptions{false, input.position - 1, 1});
  // Tags as the store keeps them: exact duplicates collapsed.
  const auto inputTags = normalizeEvent(NewEvent{input.event, input.metadata}).event.tags;
  if (stored.size() != 1 || stored.front().position != input.position ||
      stored.front().event.eventType != input.event.eventType ||
      stored.front().event.tags != inputTags) {
    throw InputLineError(
        source, line,
        "--resume: position " + std::to_string(input.position) +
            " differs from the store's event there (" +
            (stored.empty() ? std::string("none") : stored.front().event.eventType) +
            " in the store, " + input.event.eventType +
            " in the input): not the input of the import that stopped");
  }
}

void runImport(const ImportArgs& args) {
  auto config = resolveConfig(args.store);
  std::ifstream file;
  const bool fromFile = !args.input.empty() && args.input != "-";
  std::uint64_t total = 0;
  if (fromFile) {
    file.open(args.input, std::ios::binary);
    if (!file) throw Error("cannot open input file '" + args.input + "'");
    // Lines are counted first so progress can show an ETA (only worth it on a terminal).
    if (::isatty(STDERR_FILENO) == 1) {
      std::string line;
      while (std::getline(file, line)) total += line.empty() ? 0 : 1;
      file.clear();
      file.seekg(0);
    }
  }
  std::istream& in = fromFile ? static_cast<std::istream&>(file) : std::cin;
  const std::string source =
      fromFile ? "input file '" + args.input + "'" : std::string("standard input");

  EventCodec codec(jsonSerializer(config));
  auto store = createEventStore(config);
  const std::string where = storeLocation(config);
  ImportReport report;
  report.start = store->head();
  if (report.start != 0 && !args.resume) {
    throw Error("import needs an empty store; '" + where + "' holds " +
                plural(report.start, "event") +
                " (--resume continues an import that stopped after them)");
  }

  Progress progress("import", total);
  EventLineReader reader(codec, in, source, true);
  std::vector<NewEvent> batch;
  std::size_t batchFirstLine = 0;
  std::size_t batchLastLine = 0;
  bool resumable = true;
  auto flush = [&] {
    if (batch.empty()) return;
    // Nothing may slip in between the batches: each one requires the store to end where the
    // previous one ended, so the positions of the export are kept exactly.
    try {
      store->append(batch, AppendCondition{Query::all(), report.head()}, {});
    } catch (const AppendConditionFailedError&) {
      resumable = false;
      throw Error("another process appended to '" + where + "' after position " +
                  std::to_string(report.head()) + " (an import needs the store to itself)");
    } catch (const std::exception& e) {
      throw Error("batch " + std::to_string(report.batches + 1) + " (input lines " +
                  std::to_string(batchFirstLine) + ".." + std::to_string(batchLastLine) +
                  ") was not written: " + e.what());
    }
    if (report.imported == 0) report.firstLine = batchFirstLine;
    report.imported += batch.size();
    report.lastLine = batchLastLine;
    ++report.batches;
    batch.clear();
    progress.update(report.skipped + report.imported);
  };
  try {
    Position expected = 1;
    while (auto event = reader.next()) {
      if (event->position != expected) {
        throw InputLineError(source, reader.line(),
                             "position " + std::to_string(event->position) + ", expected " +
                                 std::to_string(expected) +
                                 " (an export lists positions 1, 2, 3, ... in order)");
      }
      ++expected;
      if (event->position <= report.start) {
        if (event->position == report.start) {
          resumable = false;  // a mismatch means another input, which --resume cannot fix
          checkResumePoint(*store, *event, source, reader.line());
          resumable = true;
        }
        ++report.skipped;
        continue;
      }
      if (batch.empty()) batchFirstLine = reader.line();
      batchLastLine = reader.line();
      batch.push_back(NewEvent{std::move(event->event), std::move(event->metadata)});
      if (batch.size() >= args.batch) flush();
    }
    if (report.skipped < report.start) {
      resumable = false;
      throw Error("--resume: " + source + " ends at position " + std::to_string(report.skipped) +
                  ", before the store's head " + std::to_string(report.start) +
                  ": not the input of the import that stopped");
    }
    flush();
  } catch (const std::exception& e) {
    progress.finish();
    const auto* lineError = dynamic_cast<const InputLineError*>(&e);
    const std::string message = std::string(e.what()) + "; import stopped: " +
                                describeStop(report, where, resumable, lineError != nullptr);
    if (args.store.json) printImportJson(report, &message, lineError ? lineError->line() : 0);
    throw Error(message);
  }
  progress.finish();
  if (args.store.json) {
    printImportJson(report, nullptr, 0);
  } else {
    std::cout << "imported " << plural(report.imported, "event") << " into " << where;
    if (report.skipped > 0) {
      std::cout << " (resumed after position " << report.start << ", where the store ended)";
    }
    std::cout << '\n';
  }
}

}  // namespace

void registerTransferCommands(CLI::App& app, int& status) {
  (void)status;
  {
    auto args = std::make_shared<ExportArgs>();
    auto* cmd = app.add_subcommand(
        "export", "write every event as NDJSON (position, type, payload, tags, metadata)");
    addStoreOptions(*cmd, args->store);
    cmd->add_option("--output,-o", args->output, "output file (default: stdout)");
    addNumberOption(*cmd, "--batch", args->batch, "events read at a time (default 1000)", 1,
                    1000000);
    cmd->footer("Example:\n  opossum export --root ./data --store shop -o shop.ndjson");
    cmd->callback([args] { runExport(*args); });
  }
  {
    auto args = std::make_shared<ImportArgs>();
    auto* cmd = app.add_subcommand(
        "import", "load an export into an empty store (created if missing), same positions");
    addStoreOptions(*cmd, args->store);
    cmd->add_option("--input,-i", args->input, "input file (default: stdin)");
    cmd->add_flag("--resume", args->resume,
                  "continue an import that stopped: the store may hold the input's first "
                  "events, which are skipped");
    addNumberOption(*cmd, "--batch", args->batch, "events appended per atomic batch (default 1000)",
                    1, 1000000);
    cmd->footer(
        "Example:\n  opossum import --root ./data --store shop-copy --serializer cbor -i "
        "shop.ndjson");
    cmd->callback([args] { runImport(*args); });
  }
}

}  // namespace opossum::cli
