// opossum_bench: the default Opossum stack and SQLite, side by side, measured in one run on this
// machine. Each column runs in its own child process so that its peak memory is its own and a
// crash in one column still reports the other. README.md describes the rows and the flags.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "event_factory.hpp"
#include "machine_info.hpp"
#include "opossum_workload.hpp"
#include "rows.hpp"
#include "sqlite_workload.hpp"
#include "stats.hpp"

namespace opossum::bench {
namespace {
namespace fs = std::filesystem;

struct Args {
  BenchOptions bench;
  std::optional<fs::path> dir;
  bool keep = false;
  bool waitCleanup = false;
  bool json = false;
  bool quick = false;
  std::vector<OpossumStack> extraStacks;
  std::vector<std::string> only;
};

constexpr const char* kUsage = R"(usage: opossum_bench [options]
  --events N              size of the read store for rows 5-7 (default 100000, a multiple of 10)
  --seconds S             duration of each append-throughput row (default 3)
  --queries Q             measured calls per latency row (default 2000)
  --batch B               events per append while building the read store (default 1000)
  --writers W             threads of row 3, in each process of its second part (default 8)
  --processes P           processes of row 3's second part (default 4)
  --dir DIR               work in a fresh directory inside DIR (default: the system temp dir)
  --keep                  keep the stores afterwards (default: remove them)
  --wait-cleanup          remove the stores before exiting (default: in the background,
                          except with --quick)
  --quick                 tiny sizes, a smoke test of a few seconds
  --json                  print the results as JSON instead of a table
  --opossum-config FILE   add an Opossum column whose plugins come from FILE (repeatable)
  --opossum-serializer S  add an Opossum column with serializer plugin S (repeatable)
  --only NAME             run only the column NAME (repeatable), e.g. --only sqlite
)";

[[noreturn]] void usageError(const std::string& message) {
  std::cerr << "opossum_bench: " << message << "\n" << kUsage;
  std::exit(2);
}

double number(const std::string& flag, const char* text) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(v > 0)) {
    usageError(flag + " needs a positive number, got '" + text + "'");
  }
  return v;
}

Args parseArgs(int argc, char** argv) {
  Args a;
  bool eventsGiven = false, secondsGiven = false, queriesGiven = false, batchGiven = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usageError(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--events") {
      a.bench.events = static_cast<std::uint64_t>(number(flag, value()));
      eventsGiven = true;
    } else if (flag == "--seconds") {
      a.bench.seconds = number(flag, value());
      secondsGiven = true;
    } else if (flag == "--queries") {
      a.bench.queries = static_cast<std::size_t>(number(flag, value()));
      queriesGiven = true;
    } else if (flag == "--batch") {
      a.bench.batch = static_cast<std::size_t>(number(flag, value()));
      batchGiven = true;
    } else if (flag == "--writers") {
      a.bench.writers = static_cast<int>(number(flag, value()));
    } else if (flag == "--processes") {
      a.bench.processes = static_cast<int>(number(flag, value()));
    } else if (flag == "--dir") {
      a.dir = value();
    } else if (flag == "--keep") {
      a.keep = true;
    } else if (flag == "--wait-cleanup") {
      a.waitCleanup = true;
    } else if (flag == "--quick") {
      a.quick = true;
    } else if (flag == "--json") {
      a.json = true;
    } else if (flag == "--opossum-config") {
      const fs::path file = value();
      a.extraStacks.push_back({"opossum-" + file.stem().string(), file, std::nullopt});
    } else if (flag == "--opossum-serializer") {
      const std::string serializer = value();
      a.extraStacks.push_back({"opossum-" + serializer, std::nullopt, serializer});
    } else if (flag == "--only") {
      a.only.push_back(value());
    } else if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else {
      usageError("unknown option " + flag);
    }
  }
  if (a.quick) {
    if (!eventsGiven) a.bench.events = 1000;
    if (!secondsGiven) a.bench.seconds = 0.2;
    if (!queriesGiven) a.bench.queries = 100;
    if (!batchGiven) a.bench.batch = 250;
    a.bench.readAllRepeats = 1;
    a.bench.fastLagSamples = 5;
    a.bench.defaultPollingMs = 200;  // 5000 ms polls would not fit a smoke test
    a.bench.defaultLagSamples = 1;
  }
  // Each group tag must match exactly 10 events.
  a.bench.events = std::max<std::uint64_t>(100, a.bench.events / 10 * 10);
  return a;
}

struct ColumnResult {
  std::string name, description, durable, nonDurable;
  std::map<std::string, double> values;
  std::vector<std::string> notes, failures;
  std::set<std::string> notApplicable;
};

// Carries a child's results to the parent, one line per item: "<kind>\t<a>[\t<b>]", and waits
// for the parent's go before each step.
class PipeSink : public ResultSink {
 public:
  PipeSink(int results, int commands) : results_(results), commands_(commands) {}
  void beginStep(const std::string& name) override {
    send("s\t" + name);
    char go = 0;
    ssize_t n;
    while ((n = ::read(commands_, &go, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1) ::_exit(1);  // the parent is gone
  }
  void value(const std::string& metric, double v) override {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    send("v\t" + metric + "\t" + buffer);
  }
  void note(const std::string& text) override { send("n\t" + text); }
  void failure(const std::string& text) override { send("f\t" + text); }
  void notApplicable(const std::string& metric) override { send("x\t" + metric); }

 private:
  void send(std::string line) {
    for (char& c : line) {
      if (c == '\n') c = ' ';
    }
    line += '\n';
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      const ssize_t n = ::write(results_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  int results_;
  int commands_;
};

void parseLine(const std::string& line, ColumnResult& result) {
  const auto tab = line.find('\t');
  if (tab == std::string::npos) return;
  const std::string kind = line.substr(0, tab), rest = line.substr(tab + 1);
  if (kind == "v") {
    const auto tab2 = rest.find('\t');
    if (tab2 != std::string::npos) {
      result.values[rest.substr(0, tab2)] = std::strtod(rest.c_str() + tab2 + 1, nullptr);
    }
  } else if (kind == "n") {
    result.notes.push_back(rest);
  } else if (kind == "f") {
    result.failures.push_back(rest);
  } else if (kind == "x") {
    result.notApplicable.insert(rest);
  }
}

// One column's process. Columns run step by step in alternation (column A row 1, column B row 1,
// column A row 2, ...) so that a change in the machine's load hits every column alike; each
// column has its own process, so its peak memory is its own.
class ColumnProcess {
 public:
  ColumnProcess(Workload& workload, const BenchOptions& options, const fs::path& dir) {
    result_ = {workload.name(),
               workload.description(),
               workload.setting(Durability::kDurable),
               workload.setting(Durability::kNonDurable),
               {},
               {},
               {},
               {}};
    int results[2], commands[2];
    if (::pipe(results) != 0 || ::pipe(commands) != 0) {
      throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    std::fflush(stdout);
    std::fflush(stderr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
      ::close(results[0]);
      ::close(commands[1]);
      PipeSink sink(results[1], commands[0]);
      try {
        runAllRows(workload, options, dir, sink);
      } catch (const std::exception& e) {
        sink.failure(e.what());
      } catch (...) {
        sink.failure("unknown exception");
      }
      rusage usage{};
      ::getrusage(RUSAGE_SELF, &usage);
      sink.value("peak_rss", static_cast<double>(usage.ru_maxrss) / 1024.0);  // KiB on Linux
      std::fflush(stderr);
      ::_exit(0);  // not exit(): the parent's atexit handlers and buffers are not the child's
    }
    ::close(results[1]);
    ::close(commands[0]);
    results_ = results[0];
    commands_ = commands[1];
    // Later columns must not hold this column's pipe ends, or its end would never be seen.
    ::fcntl(results_, F_SETFD, FD_CLOEXEC);
    ::fcntl(commands_, F_SETFD, FD_CLOEXEC);
  }
  ~ColumnProcess() {
    if (!finished_) {
      ::close(commands_);  // the child exits at its next step
      finish();
    }
  }
  ColumnProcess(const ColumnProcess&) = delete;
  ColumnProcess& operator=(const ColumnProcess&) = delete;

  bool finished() const { return finished_; }

  // Reads the child's results up to its next step request (false: it has finished).
  bool awaitStep(std::string* step) {
    for (;;) {
      for (auto eol = pending_.find('\n'); eol != std::string::npos; eol = pending_.find('\n')) {
        const std::string line = pending_.substr(0, eol);
        pending_.erase(0, eol + 1);
        if (line.rfind("s\t", 0) == 0) {
          *step = line.substr(2);
          return true;
        }
        parseLine(line, result_);
      }
      char buffer[4096];
      const ssize_t n = ::read(results_, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        finish();
        return false;
      }
      pending_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  void go() {
    const char c = 'g';
    while (::write(commands_, &c, 1) < 0 && errno == EINTR) {
    }
  }

  ColumnResult take() { return std::move(result_); }

 private:
  void finish() {
    finished_ = true;
    ::close(results_);
    ::close(commands_);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
      result_.failures.push_back("the column's process died of signal " +
                                 std::to_string(WTERMSIG(status)) + " (" +
                                 strsignal(WTERMSIG(status)) + ")");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      result_.failures.push_back("the column's process exited with status " +
                                 std::to_string(WEXITSTATUS(status)));
    }
  }

  ColumnResult result_;
  pid_t pid_ = -1;
  int results_ = -1, commands_ = -1;
  std::string pending_;
  bool finished_ = false;
};

std::vector<ColumnResult> runColumns(const std::vector<std::unique_ptr<Workload>>& workloads,
                                     const BenchOptions& options, const fs::path& runDir,
                                     bool syncBetweenSteps) {
  std::vector<std::unique_ptr<ColumnProcess>> processes;
  for (const auto& w : workloads) {
    processes.push_back(std::make_unique<ColumnProcess>(*w, options, runDir / w->name()));
  }
  std::vector<std::string> steps(processes.size());
  std::vector<bool> waiting(processes.size());
  for (std::size_t i = 0; i < processes.size(); ++i)
    waiting[i] = processes[i]->awaitStep(&steps[i]);
  for (;;) {
    bool any = false;
    for (std::size_t i = 0; i < processes.size(); ++i) {
      if (!waiting[i]) continue;
      any = true;
      processes[i]->go();
      waiting[i] = processes[i]->awaitStep(&steps[i]);
      // The next step starts on a quiet disk, not behind this one's write-back.
      if (syncBetweenSteps) ::sync();
    }
    if (!any) break;
  }
  std::vector<ColumnResult> columns;
  for (auto& p : processes) columns.push_back(p->take());
  return columns;
}

std::string pad(const std::string& s, std::size_t width, bool right) {
  // Labels are ASCII, so bytes are columns.
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

double ratio(const ColumnResult& a, const ColumnResult& b, const std::string& metric) {
  const auto x = a.values.find(metric), y = b.values.find(metric);
  if (x == a.values.end() || y == b.values.end() || y->second == 0) return NAN;
  return x->second / y->second;
}

void printTable(const Args& args, const MachineInfo& machine,
                const std::vector<ColumnResult>& columns, const ColumnResult* sqlite) {
  const auto catalog = metricCatalog(args.bench);
  std::cout << "Opossum vs SQLite, one run on one machine\n";
  for (const auto& [label, value] : machine)
    std::cout << "  " << pad(label, 12, false) << value << "\n";
  const EventFactory factory;
  std::cout << "  " << pad("workload", 12, false) << "events of ~"
            << formatValue(factory.averagePayloadBytes())
            << " B JSON payload, 2 tags, a timestamp in metadata; append rows run "
            << formatValue(args.bench.seconds) << " s each; latency rows " << args.bench.queries
            << " calls; read store " << args.bench.events << " events"
            << (args.quick ? " (--quick: numbers are a smoke test only)" : "") << "\n";
  std::cout << "Columns:\n";
  std::size_t nameWidth = 0;
  for (const auto& c : columns) nameWidth = std::max(nameWidth, c.name.size() + 2);
  for (const auto& c : columns) {
    std::cout << "  " << pad(c.name, nameWidth, false) << c.description << "\n"
              << "  " << pad("", nameWidth, false) << "durable: " << c.durable
              << "; non-durable (row 4): " << c.nonDurable << "\n";
  }

  std::vector<std::string> header{"metric", "unit"};
  for (const auto& c : columns) header.push_back(c.name);
  std::vector<const ColumnResult*> compared;
  if (sqlite != nullptr) {
    for (const auto& c : columns) {
      if (&c != sqlite) {
        header.push_back(c.name + "/" + sqlite->name);
        compared.push_back(&c);
      }
    }
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : catalog) {
    std::vector<std::string> r{m.label, m.unit};
    for (const auto& c : columns) {
      const auto it = c.values.find(m.id);
      if (it == c.values.end()) {
        r.push_back(c.notApplicable.count(m.id) > 0 ? "n/a" : "-");
      } else {
        r.push_back(m.unit == "count" ? std::to_string(std::llround(it->second))
                                      : formatValue(it->second));
      }
    }
    for (const auto* c : compared) r.push_back(formatRatio(ratio(*c, *sqlite, m.id)));
    rows.push_back(r);
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  auto printRow = [&](const std::vector<std::string>& r) {
    std::cout << "|";
    for (std::size_t i = 0; i < r.size(); ++i)
      std::cout << " " << pad(r[i], width[i], i >= 2) << " |";
    std::cout << "\n";
  };
  std::cout << "\n";
  printRow(header);
  std::cout << "|";
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::cout << (i >= 2 ? std::string(width[i] + 1, '-') + ":"
                         : ":" + std::string(width[i] + 1, '-'))
              << "|";
  }
  std::cout << "\n";
  for (const auto& r : rows) printRow(r);

  for (const auto* c : compared) {
    std::cout << "\nRatios " << c->name << "/" << sqlite->name << " (throughput: above 1 means "
              << c->name << " is faster; latency, memory, disk: below 1 means it is better):\n";
    for (const auto& m : catalog) {
      const double r = ratio(*c, *sqlite, m.id);
      if (!std::isfinite(r) || m.unit == "count") continue;
      const std::string& label = m.summary;
      const bool better = m.higherIsBetter ? r > 1 : r < 1;
      std::cout << "  " << pad(label, 46, false) << pad(formatRatio(r), 8, true) << "  "
                << (r == 1 ? "even" : (better ? c->name : sqlite->name) + " ahead") << "\n";
    }
  }

  std::cout << "\nNotes:\n"
            << "  - Each column has its own child process (fork); the columns take turns step "
               "by step (row 1 of each, then row 2 of each, ...), with a sync() after each step, "
               "so drifting machine load hits them alike.\n"
            << "  - Peak RSS is the column process's ru_maxrss; it includes the "
            << args.bench.events << " events that row 7 holds in memory.\n"
            << "  - Rows 5-7 run warm: the read store was just written, so the page cache holds "
               "it for every column (no cache drop without root).\n"
            << "  - Each append row starts from an empty store; row 3 uses one store object "
               "shared by the threads for Opossum, one connection per thread for SQLite.\n"
            << "  - Latencies are per call (steady_clock), percentiles by nearest rank, after "
               "warm-up calls; disk is allocated blocks / events (a database engine adds its "
               "store's share of its tables, indexes included).\n";
  for (const auto& c : columns) {
    for (const auto& n : c.notes) std::cout << "  - [" << c.name << "] " << n << "\n";
  }
  bool anyFailure = false;
  for (const auto& c : columns) {
    for (const auto& f : c.failures) {
      if (!anyFailure) std::cout << "\nFAILURES:\n";
      anyFailure = true;
      std::cout << "  - [" << c.name << "] " << f << "\n";
    }
  }
}

void printJson(const Args& args, const MachineInfo& machine,
               const std::vector<ColumnResult>& columns, const ColumnResult* sqlite) {
  rapidjson::OStreamWrapper out(std::cout);
  rapidjson::PrettyWriter<rapidjson::OStreamWrapper> w(out);
  auto str = [&](const std::string& s) {
    w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("machine");
  w.StartObject();
  for (const auto& [label, value] : machine) {
    str(label);
    str(value);
  }
  w.EndObject();
  w.Key("options");
  w.StartObject();
  w.Key("events");
  w.Uint64(args.bench.events);
  w.Key("seconds");
  w.Double(args.bench.seconds);
  w.Key("queries");
  w.Uint64(args.bench.queries);
  w.Key("batch");
  w.Uint64(args.bench.batch);
  w.Key("writers");
  w.Int(args.bench.writers);
  w.Key("quick");
  w.Bool(args.quick);
  w.Key("fastPollingMs");
  w.Int(args.bench.fastPollingMs);
  w.Key("defaultPollingMs");
  if (args.bench.defaultPollingMs) {
    w.Int(*args.bench.defaultPollingMs);
  } else {
    w.Null();  // the daemon's own default
  }
  w.EndObject();
  w.Key("metrics");
  w.StartArray();
  for (const auto& m : metricCatalog(args.bench)) {
    w.StartObject();
    w.Key("id");
    str(m.id);
    w.Key("label");
    str(m.summary);
    w.Key("unit");
    str(m.unit);
    w.Key("higherIsBetter");
    w.Bool(m.higherIsBetter);
    w.EndObject();
  }
  w.EndArray();
  w.Key("columns");
  w.StartArray();
  for (const auto& c : columns) {
    w.StartObject();
    w.Key("name");
    str(c.name);
    w.Key("description");
    str(c.description);
    w.Key("durable");
    str(c.durable);
    w.Key("nonDurable");
    str(c.nonDurable);
    w.Key("values");
    w.StartObject();
    for (const auto& [id, v] : c.values) {
      str(id);
      w.Double(v);
    }
    w.EndObject();
    w.Key("notApplicable");
    w.StartArray();
    for (const auto& id : c.notApplicable) str(id);
    w.EndArray();
    if (sqlite != nullptr && &c != sqlite) {
      w.Key("ratioToSqlite");
      w.StartObject();
      for (const auto& [id, v] : c.values) {
        const double r = ratio(c, *sqlite, id);
        if (!std::isfinite(r)) continue;
        str(id);
        w.Double(r);
      }
      w.EndObject();
    }
    w.Key("notes");
    w.StartArray();
    for (const auto& n : c.notes) str(n);
    w.EndArray();
    w.Key("failures");
    w.StartArray();
    for (const auto& f : c.failures) str(f);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::cout << "\n";
}

fs::path makeRunDir(const std::optional<fs::path>& base) {
  const fs::path parent = base ? *base : fs::temp_directory_path();
  fs::create_directories(parent);
  std::string pattern = (parent / "opossum-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a directory in " + parent.string() + ": " +
                             std::strerror(errno));
  }
  return fs::absolute(pattern);
}

// Unlinking the hundreds of thousands of files of the stores can take minutes on some file
// systems, so unless asked to wait it runs in a detached process after the results are out.
void removeRunDir(const fs::path& runDir, bool wait) {
  if (!wait) {
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setsid();
      if (::fork() != 0) ::_exit(0);  // the grandchild is nobody's child: no zombie, no wait
      // Let go of the caller's pipes, or whoever reads them (ctest, a shell) would wait for us.
      const int null = ::open("/dev/null", O_RDWR);
      for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
      std::error_code ec;
      fs::remove_all(runDir, ec);
      ::_exit(0);
    }
    if (pid > 0) {
      ::waitpid(pid, nullptr, 0);
      std::cerr << "removing " << runDir.string() << " in the background\n";
      return;
    }
  }
  std::error_code ec;
  fs::remove_all(runDir, ec);
  if (ec) std::cerr << "could not remove " << runDir.string() << ": " << ec.message() << "\n";
}

int run(int argc, char** argv) {
  const Args args = parseArgs(argc, argv);

  std::vector<std::unique_ptr<Workload>> workloads;
  workloads.push_back(std::make_unique<OpossumWorkload>(OpossumStack{}));
  for (const auto& stack : args.extraStacks)
    workloads.push_back(std::make_unique<OpossumWorkload>(stack));
  workloads.push_back(std::make_unique<SqliteWorkload>());
  if (!args.only.empty()) {
    std::erase_if(workloads, [&](const auto& w) {
      return std::find(args.only.begin(), args.only.end(), w->name()) == args.only.end();
    });
    if (workloads.empty()) usageError("--only matches no column");
  }

  const fs::path runDir = makeRunDir(args.dir);
  const MachineInfo machine = describeMachine(runDir);
  // A smoke test neither needs nor should wait for the whole machine's write-back.
  const std::vector<ColumnResult> columns = runColumns(workloads, args.bench, runDir, !args.quick);

  const ColumnResult* sqlite = nullptr;
  for (const auto& c : columns) {
    if (c.name == "sqlite") sqlite = &c;
  }
  if (args.json) {
    printJson(args, machine, columns, sqlite);
  } else {
    printTable(args, machine, columns, sqlite);
  }
  std::cout.flush();
  if (args.keep) {
    std::cerr << "kept the stores in " << runDir.string() << "\n";
  } else {
    removeRunDir(runDir, args.quick || args.waitCleanup);
  }
  for (const auto& c : columns) {
    if (!c.failures.empty()) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace opossum::bench

int main(int argc, char** argv) {
  try {
    return opossum::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "opossum_bench: " << e.what() << "\n";
    return 1;
  }
}
