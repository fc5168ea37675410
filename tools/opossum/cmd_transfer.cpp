// export, import: the whole store as NDJSON (one opossum-json event per line, positions 1..N).
#include <fstream>
#include <iostream>
#include <memory>

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
  auto store = openEventStore(config);
  EventCodec codec(config);
  std::ofstream file;
  const bool toFile = !args.output.empty() && args.output != "-";
  if (toFile) {
    file.open(args.output, std::ios::binary | std::ios::trunc);
    if (!file) throw Error("cannot create output file '" + args.output + "'");
  }
  std::ostream& out = toFile ? static_cast<std::ostream&>(file) : std::cout;

  // The head when the export starts: later appends are not part of it.
  const Position head = store->storage().head();
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
};

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
  const std::string source = fromFile ? args.input : "standard input";

  EventCodec codec(config);
  auto store = openEventStore(config);
  if (store->storage().head() != 0) {
    throw Error("import needs an empty store; '" + storeDirectory(config).string() + "' holds " +
                plural(store->storage().head(), "event"));
  }
  Progress progress("import", total);
  std::vector<NewEvent> batch;
  Position imported = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    // Nothing may slip in between the batches: each one requires the store to end where the
    // previous one ended, so the positions of the export are kept exactly.
    try {
      store->append(batch, AppendCondition{Query::all(), imported}, {});
    } catch (const AppendConditionFailedError&) {
      throw Error(imported == 0
                      ? "import needs an empty store; another process appended to '" +
                            storeDirectory(config).string() + "'"
                      : "another process appended to '" + storeDirectory(config).string() +
                            "' during the import, after "
                            "position " +
                            std::to_string(imported));
    }
    imported += batch.size();
    batch.clear();
    progress.update(imported);
  };
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    SequencedEvent event;
    try {
      event = codec.fromJsonLine(line, true);
    } catch (const InvalidArgumentError& e) {
      throw InvalidArgumentError(source + ", line " + std::to_string(number) + ": " + e.what());
    }
    const Position expected = imported + batch.size() + 1;
    if (event.position != expected) {
      throw InvalidArgumentError(source + ", line " + std::to_string(number) + ": position " +
                                 std::to_string(event.position) + ", expected " +
                                 std::to_string(expected) +
                                 " (an export lists positions 1, 2, 3, ... in order)");
    }
    batch.push_back(NewEvent{std::move(event.event), std::move(event.metadata)});
    if (batch.size() >= args.batch) flush();
  }
  flush();
  progress.finish();
  if (args.store.json) {
    std::cout << "{\"imported\":" << imported << "}\n";
  } else {
    std::cout << "imported " << plural(imported, "event") << " into "
              << storeDirectory(config).string() << '\n';
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
    addNumberOption(*cmd, "--batch", args->batch, "events appended per atomic batch (default 1000)",
                    1, 1000000);
    cmd->footer(
        "Example:\n  opossum import --root ./data --store shop-copy --serializer cbor -i "
        "shop.ndjson");
    cmd->callback([args] { runImport(*args); });
  }
}

}  // namespace opossum::cli
