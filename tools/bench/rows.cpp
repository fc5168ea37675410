#include "rows.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <functional>
#include <latch>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "event_factory.hpp"
#include "machine_info.hpp"
#include "opossum/errors.hpp"
#include "stats.hpp"

namespace opossum::bench {
namespace fs = std::filesystem;

namespace {

constexpr int kWarmupAppends = 5;  // creates the files and warms the caches
constexpr std::size_t kWarmupQueries = 50;
constexpr std::uint64_t kStreams = 100;  // stream tags of the single-writer rows

// Stamped with the time since the column started, so a slow phase shows where it is.
void progress(const Workload& w, const std::string& text) {
  static const Clock::time_point start = Clock::now();
  const double t = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr, "[%s %6.1fs] %s\n", w.name().c_str(), t, text.c_str());
}

struct AppendRun {
  std::uint64_t appends = 0;
  double seconds = 0;
  LatencyRecorder latency;
  std::uint64_t busy = 0;       // waits that timed out (BusyError), retried
  std::uint64_t conflicts = 0;  // conditions that failed: none expected
  double rate() const { return seconds > 0 ? static_cast<double>(appends) / seconds : 0; }
};

// Single-event appends from one writer for `seconds`. With a condition, each append names its
// own stream tag and, as a DCB decision would, the last position this writer knows: it passes.
AppendRun singleWriter(Client& client, const EventFactory& factory, double seconds,
                       bool withCondition) {
  AppendRun run;
  Position last = 0;
  std::uint64_t i = 0;
  auto appendOne = [&](bool timed) {
    const Tag stream{"stream", "s" + std::to_string(i % kStreams)};
    const std::vector<NewEvent> events{factory.make(i, {stream, customerTag(i % 1000)})};
    std::optional<AppendCondition> condition;
    if (withCondition) {
      condition = AppendCondition{Query::fromTags({stream}),
                                  last == 0 ? std::nullopt : std::optional<Position>(last)};
    }
    const auto start = Clock::now();
    last = client.append(events, condition);
    if (timed) run.latency.add(Clock::now() - start);
    ++i;
  };
  for (int w = 0; w < kWarmupAppends; ++w) appendOne(false);
  Stopwatch clock;
  while (clock.seconds() < seconds) {
    appendOne(true);
    ++run.appends;
  }
  run.seconds = clock.seconds();
  return run;
}

// `writers` threads, one client each, single-event appends with a condition on the writer's own
// tag after the writer's last position, for `seconds`. Writers are numbered from `firstWriter`
// among `allWriters` (other processes run the others); `beforeStart` runs once every client is
// connected, before the clock starts.
AppendRun concurrentWriters(OpenStore& store, const EventFactory& factory, int writers,
                            double seconds, int firstWriter = 0, int allWriters = 0,
                            const std::function<void()>& beforeStart = {}) {
  if (allWriters == 0) allWriters = writers;
  std::atomic<bool> stop{false};
  std::latch ready(writers + 1);
  std::latch start(1);
  std::mutex mutex;
  std::exception_ptr error;
  std::vector<AppendRun> runs(static_cast<std::size_t>(writers));
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      AppendRun& run = runs[static_cast<std::size_t>(t)];
      std::unique_ptr<Client> client;
      try {
        client = store.connect();
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!error) error = std::current_exception();
      }
      ready.arrive_and_wait();
      start.wait();
      if (!client) return;
      const int writer = firstWriter + t;
      const Tag own{"writer", "w" + std::to_string(writer)};
      Position last = 0;
      for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const std::uint64_t n =
            i * static_cast<std::uint64_t>(allWriters) + static_cast<std::uint64_t>(writer);
        const std::vector<NewEvent> events{factory.make(n, {own, customerTag(n % 1000)})};
        const AppendCondition condition{Query::fromTags({own}),
                                        last == 0 ? std::nullopt : std::optional<Position>(last)};
        const auto start = Clock::now();
        try {
          last = client->append(events, condition);
          run.latency.add(Clock::now() - start);
          ++run.appends;
        } catch (const BusyError&) {
          ++run.busy;
        } catch (const AppendConditionFailedError&) {
          ++run.conflicts;
        } catch (...) {
          std::lock_guard lock(mutex);
          if (!error) error = std::current_exception();
          stop = true;
        }
      }
    });
  }
  ready.arrive_and_wait();
  if (beforeStart && !error) {
    try {
      beforeStart();
    } catch (...) {
      error = std::current_exception();
      stop = true;
    }
  }
  start.count_down();
  Stopwatch clock;
  if (!stop) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& thread : threads) thread.join();
  AppendRun total;
  // Appends still in flight when the time ran out finish and count, so the clock runs until then.
  total.seconds = clock.seconds();
  for (const auto& run : runs) {
    total.appends += run.appends;
    total.busy += run.busy;
    total.conflicts += run.conflicts;
    total.latency.merge(run.latency);
  }
  if (error) std::rethrow_exception(error);
  return total;
}

// A pipe's ends, closed with the object.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  }
  ~Pipe() {
    closeEnd(0);
    closeEnd(1);
  }
  void closeEnd(int end) {
    if (fds[end] >= 0) ::close(fds[end]);
    fds[end] = -1;
  }
  void write(const std::string& text) {
    for (std::size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(fds[1], text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }
  // Everything until the writers close it.
  std::string readAll() {
    std::string text;
    char buffer[256];
    for (;;) {
      const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return text;
      text.append(buffer, static_cast<std::size_t>(n));
    }
  }
};

// `processes` processes of `writers` threads each on one store, as concurrentWriters with tags
// of their own. They are forked before this process opens the store, and the clock runs once
// every process has connected all its clients.
AppendRun writerProcesses(Workload& w, const fs::path& dir, const EventFactory& factory,
                          int processes, int writers, double seconds) {
  // A process that died is reported through its result pipe, not by SIGPIPE on the way there.
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<std::unique_ptr<Pipe>> ready, go, result;
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    ready.push_back(std::make_unique<Pipe>());
    go.push_back(std::make_unique<Pipe>());
    result.push_back(std::make_unique<Pipe>());
  }
  std::fflush(nullptr);  // nothing buffered is written twice
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      for (int q = 0; q < processes; ++q) {
        ready[static_cast<std::size_t>(q)]->closeEnd(0);
        go[static_cast<std::size_t>(q)]->closeEnd(1);
        result[static_cast<std::size_t>(q)]->closeEnd(0);
        if (q != p) {
          ready[static_cast<std::size_t>(q)]->closeEnd(1);
          go[static_cast<std::size_t>(q)]->closeEnd(0);
          result[static_cast<std::size_t>(q)]->closeEnd(1);
        }
      }
      auto& mine = *result[static_cast<std::size_t>(p)];
      try {
        auto store = w.open(dir, Durability::kDurable);
        const AppendRun run = concurrentWriters(
            *store, factory, writers, seconds, p * writers, processes * writers, [&] {
              ready[static_cast<std::size_t>(p)]->write("r");
              if (go[static_cast<std::size_t>(p)]->readAll() != "g") {
                throw std::runtime_error("not started");
              }
            });
        std::ostringstream out;
        out << "ok " << run.appends << ' ' << run.busy << ' ' << run.conflicts << ' ' << run.seconds
            << ' ' << run.latency.count();
        for (auto sample : run.latency.samples()) out << ' ' << sample.count();
        mine.write(out.str());
      } catch (const std::exception& e) {
        mine.write(std::string("error ") + e.what());
      }
      std::fflush(nullptr);
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (int p = 0; p < processes; ++p) {
    ready[static_cast<std::size_t>(p)]->closeEnd(1);
    go[static_cast<std::size_t>(p)]->closeEnd(0);
    result[static_cast<std::size_t>(p)]->closeEnd(1);
  }
  // Every process ready (or gone), then all start at once.
  for (auto& pipe : ready) {
    char c = 0;
    while (::read(pipe->fds[0], &c, 1) < 0 && errno == EINTR) {
    }
  }
  for (auto& pipe : go) {
    pipe->write("g");
    pipe->closeEnd(1);
  }
  AppendRun total;
  std::string errors;
  for (int p = 0; p < processes; ++p) {
    std::istringstream in(result[static_cast<std::size_t>(p)]->readAll());
    std::string status;
    in >> status;
    if (status != "ok") {
      std::string rest;
      std::getline(in, rest);
      errors += "process " + std::to_string(p) + ": " + (status.empty() ? "died" : rest) + "; ";
      continue;
    }
    AppendRun run;
    std::size_t samples = 0;
    in >> run.appends >> run.busy >> run.conflicts >> run.seconds >> samples;
    run.latency.reserve(samples);
    for (std::size_t i = 0; i < samples; ++i) {
      Clock::rep ticks = 0;
      in >> ticks;
      run.latency.add(Clock::duration(ticks));
    }
    total.latency.merge(run.latency);
    total.appends += run.appends;
    total.busy += run.busy;
    total.conflicts += run.conflicts;
    total.seconds = std::max(total.seconds, run.seconds);
  }
  for (pid_t pid : children) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!errors.empty()) throw std::runtime_error(errors);
  return total;
}

// A failing row is reported and the next one runs.
void row(Workload& w, ResultSink& sink, const std::string& name,
         const std::function<void()>& body) {
  sink.beginStep(name);
  try {
    body();
  } catch (const std::exception& e) {
    sink.failure(name + ": " + e.what());
    progress(w, name + " FAILED: " + e.what());
  }
}

void reportAppendRun(Workload& w, ResultSink& sink, const std::string& metric,
                     const std::string& what, const AppendRun& run) {
  sink.value(metric, run.rate());
  progress(w, what + ": " + formatValue(run.rate()) + " appends/s (" + std::to_string(run.appends) +
                  " in " + formatValue(run.seconds) + " s, p50 " +
                  formatValue(run.latency.percentileMicros(50)) + " us, p99 " +
                  formatValue(run.latency.percentileMicros(99)) + " us)");
  if (run.conflicts > 0) {
    sink.failure(what + ": " + std::to_string(run.conflicts) +
                 " append conditions failed although no other writer used the tag");
  }
}

// Each row gets its own directory. Stores are removed only at the very end: unlinking a
// file-per-event store takes long (about 1 ms per file on ext4 mounted with discard) and would
// slow down the rows that follow.
fs::path freshDir(const fs::path& base, const std::string& name) {
  const fs::path dir = base / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// The time from a durable single-event append until the follower shows it, `samples` times. Each
// append waits a random part of the polling interval first, so it lands at a random moment of the
// daemon's cycle; each uses a customer of its own, absent until the daemon applies its event.
std::vector<double> measureLag(OpenStore& store, ProjectionFollower& follower,
                               const EventFactory& factory, std::size_t samples,
                               const std::string& prefix) {
  auto client = store.connect();
  const auto interval = follower.pollingInterval();
  std::mt19937_64 random(9);
  std::uniform_real_distribution<double> phase(0.0, 1.0);
  std::vector<double> lags;
  for (std::size_t s = 0; s < samples; ++s) {
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(
        phase(random) * static_cast<double>(interval.count())));
    const std::string customer = prefix + std::to_string(s);
    const auto start = Clock::now();
    client->append({factory.make(s, {{"customer", customer}})}, std::nullopt);
    const auto deadline = start + 3 * interval + std::chrono::seconds(10);
    while (!follower.count(customer)) {
      if (Clock::now() > deadline) {
        throw std::runtime_error("the daemon did not apply the event of " + customer + " within " +
                                 std::to_string(3 * interval.count() + 10000) + " ms");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    lags.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return lags;
}

void lagRow(Workload& w, ResultSink& sink, const fs::path& dir, const EventFactory& factory,
            std::optional<int> pollingMs, std::size_t samples, const std::string& metricA,
            const std::string& metricB) {
  auto store = w.open(freshDir(dir, "lag-" + metricA), Durability::kDurable);
  std::optional<std::chrono::milliseconds> interval;
  if (pollingMs) interval = std::chrono::milliseconds(*pollingMs);
  auto follower = store->followCustomerCounts(interval);
  if (!follower) {
    sink.notApplicable(metricA);
    sink.notApplicable(metricB);
    progress(w, "daemon lag: n/a (no background projection runner)");
    return;
  }
  if (!pollingMs && follower->pollingInterval() != std::chrono::milliseconds(5000)) {
    sink.note("the daemon's default polling interval is " +
              std::to_string(follower->pollingInterval().count()) + " ms, not 5000 ms");
  }
  std::vector<double> lags = measureLag(*store, *follower, factory, samples, metricA + "-");
  const double mid = median(lags);
  const double max = *std::max_element(lags.begin(), lags.end());
  sink.value(metricA, mid);
  sink.value(metricB, max);
  progress(w, "daemon lag, polling " + std::to_string(follower->pollingInterval().count()) +
                  " ms: median " + formatValue(mid) + " ms, max " + formatValue(max) + " ms over " +
                  std::to_string(lags.size()) + " appends");
}

}  // namespace

std::vector<MetricInfo> metricCatalog(const BenchOptions& o) {
  const std::string n = std::to_string(o.events);
  const std::string writers = std::to_string(o.writers);
  const std::string processes = std::to_string(o.processes);
  const std::string batch = std::to_string(o.batch);
  const std::string fast = std::to_string(o.fastPollingMs) + " ms";
  const std::string fastSamples = std::to_string(o.fastLagSamples);
  const std::string slow = o.defaultPollingMs
                               ? "polling " + std::to_string(*o.defaultPollingMs) + " ms (--quick)"
                               : "default polling (5000 ms)";
  const std::string slowSamples = std::to_string(o.defaultLagSamples);
  return {
      {"durable_append", "1. durable appends, 1 writer, no condition",
       "1. durable appends, 1 writer", "appends/s", true},
      {"durable_append_p50", "   latency p50", "1. append latency p50", "us", false},
      {"durable_append_p99", "   latency p99", "1. append latency p99", "us", false},
      {"durable_cond_append", "2. durable appends, 1 writer, condition on own tag",
       "2. durable conditional appends, 1 writer", "appends/s", true},
      {"group_append", "3. durable appends, " + writers + " writers, condition on own tag",
       "3. durable conditional appends, " + writers + " writers", "appends/s", true},
      {"group_append_p50", "   latency p50", "3. append latency p50", "us", false},
      {"group_append_p99", "   latency p99", "3. append latency p99", "us", false},
      {"group_busy", "   busy timeouts (retried)", "3. busy timeouts", "count", false},
      {"process_append", "   " + processes + " processes x " + writers + " writers each",
       "3. durable conditional appends, " + processes + " processes x " + writers + " writers",
       "appends/s", true},
      {"process_append_p50", "   latency p50", "3. append latency p50, " + processes + " processes",
       "us", false},
      {"process_append_p99", "   latency p99", "3. append latency p99, " + processes + " processes",
       "us", false},
      {"process_busy", "   busy timeouts (retried)",
       "3. busy timeouts, " + processes + " processes", "count", false},
      {"nondurable_append", "4. non-durable appends, 1 writer, no condition",
       "4. non-durable appends, 1 writer", "appends/s", true},
      {"build_append", "   read store: built with durable batches of " + batch,
       "durable batched appends (" + batch + " per append)", "events/s", true},
      {"disk_per_event", "   read store: disk per event (" + n + " events)", "disk per event",
       "bytes", false},
      {"open_ms", "   read store: reopen + first readLast", "reopen + first readLast", "ms", false},
      {"tag_query_p50", "5. tag query, 10 hits among " + n + ", p50", "5. tag query p50", "us",
       false},
      {"tag_query_p99", "   tag query p99", "5. tag query p99", "us", false},
      {"read_last_p50", "6. readLast(customer tag, 100 hits), p50", "6. readLast p50", "us", false},
      {"read_last_p99", "   readLast p99", "6. readLast p99", "us", false},
      {"read_all", "7. read all (Query::all, " + n + " events)", "7. read all", "events/s", true},
      {"rebuild", "8. projection rebuild, count per customer (" + n + " events)",
       "8. projection rebuild", "events/s", true},
      {"lag_fast_median", "9. daemon lag, polling " + fast + ", median of " + fastSamples,
       "9. daemon lag median (" + fast + ")", "ms", false},
      {"lag_fast_max", "   daemon lag max", "9. daemon lag max (" + fast + ")", "ms", false},
      {"lag_default_median", "10. daemon lag, " + slow + ", median of " + slowSamples,
       "10. daemon lag median (" + slow + ")", "ms", false},
      {"lag_default_max", "   daemon lag max", "10. daemon lag max (" + slow + ")", "ms", false},
      {"peak_rss", "11. peak RSS of the column's process", "11. peak RSS", "MiB", false},
  };
}

void runAllRows(Workload& w, const BenchOptions& o, const fs::path& dir, ResultSink& sink) {
  const EventFactory factory;
  progress(w, w.description());

  row(w, sink, "row 1", [&] {
    auto store = w.open(freshDir(dir, "durable"), Durability::kDurable);
    auto client = store->connect();
    const AppendRun run = singleWriter(*client, factory, o.seconds, false);
    reportAppendRun(w, sink, "durable_append", "durable, no condition", run);
    sink.value("durable_append_p50", run.latency.percentileMicros(50));
    sink.value("durable_append_p99", run.latency.percentileMicros(99));
  });

  row(w, sink, "row 2", [&] {
    auto store = w.open(freshDir(dir, "conditional"), Durability::kDurable);
    auto client = store->connect();
    const AppendRun run = singleWriter(*client, factory, o.seconds, true);
    reportAppendRun(w, sink, "durable_cond_append", "durable, condition", run);
  });

  row(w, sink, "row 3", [&] {
    auto store = w.open(freshDir(dir, "writers"), Durability::kDurable);
    const AppendRun run = concurrentWriters(*store, factory, o.writers, o.seconds);
    reportAppendRun(w, sink, "group_append",
                    "durable, " + std::to_string(o.writers) + " writers, condition", run);
    sink.value("group_append_p50", run.latency.percentileMicros(50));
    sink.value("group_append_p99", run.latency.percentileMicros(99));
    sink.value("group_busy", static_cast<double>(run.busy));
    if (run.busy > 0) {
      sink.note(std::to_string(run.busy) +
                " appends of row 3 timed out waiting for the lock "
                "and were retried");
    }
  });

  row(w, sink, "row 3, processes", [&] {
    const AppendRun run = writerProcesses(w, freshDir(dir, "writer-processes"), factory,
                                          o.processes, o.writers, o.seconds);
    reportAppendRun(w, sink, "process_append",
                    "durable, " + std::to_string(o.processes) + " processes x " +
                        std::to_string(o.writers) + " writers, condition",
                    run);
    sink.value("process_append_p50", run.latency.percentileMicros(50));
    sink.value("process_append_p99", run.latency.percentileMicros(99));
    sink.value("process_busy", static_cast<double>(run.busy));
  });

  row(w, sink, "row 4", [&] {
    auto store = w.open(freshDir(dir, "non-durable"), Durability::kNonDurable);
    auto client = store->connect();
    const AppendRun run = singleWriter(*client, factory, o.seconds, false);
    reportAppendRun(w, sink, "nondurable_append", "non-durable, no condition", run);
  });

  // Rows 5-7 share one store of o.events events: event i at position i + 1, tagged storeTags.
  const fs::path readDir = freshDir(dir, "read-store");
  bool built = false;
  row(w, sink, "building the read store", [&] {
    auto store = w.open(readDir, Durability::kDurable);
    auto client = store->connect();
    double appendSeconds = 0;
    Position last = 0;
    for (std::uint64_t i = 0; i < o.events; i += o.batch) {
      std::vector<NewEvent> batch;
      for (std::uint64_t j = i; j < std::min<std::uint64_t>(o.events, i + o.batch); ++j) {
        batch.push_back(factory.make(j, storeTags(j, o.events)));
      }
      Stopwatch clock;
      last = client->append(batch, std::nullopt);
      appendSeconds += clock.seconds();
    }
    if (last != o.events) {
      throw std::runtime_error("the read store ends at position " + std::to_string(last) +
                               ", expected " + std::to_string(o.events));
    }
    const double rate = static_cast<double>(o.events) / appendSeconds;
    sink.value("build_append", rate);
    progress(w, "built the read store: " + std::to_string(o.events) + " events in " +
                    formatValue(appendSeconds) + " s (" + formatValue(rate) + " events/s)");
    built = true;
  });
  if (!built) return;

  const double perEvent = static_cast<double>(w.diskBytes(readDir)) / static_cast<double>(o.events);
  sink.value("disk_per_event", perEvent);

  std::unique_ptr<OpenStore> store;
  std::unique_ptr<Client> client;
  row(w, sink, "reopening the read store", [&] {
    Stopwatch clock;
    store = w.open(readDir, Durability::kDurable);
    client = store->connect();
    const auto last = client->readLast(Query::all());
    const double ms = clock.seconds() * 1000;
    if (!last || last->position != o.events) {
      throw std::runtime_error("readLast(Query::all()) after reopening did not give position " +
                               std::to_string(o.events));
    }
    sink.value("open_ms", ms);
    progress(w, "reopened the read store in " + formatValue(ms) + " ms");
  });
  if (!client) return;

  row(w, sink, "row 5", [&] {
    const std::uint64_t groups = groupCount(o.events);
    std::mt19937_64 random(5);  // same query sequence in every column
    LatencyRecorder latency;
    std::size_t wrong = 0;
    for (std::size_t q = 0; q < kWarmupQueries + o.queries; ++q) {
      const std::uint64_t g = random() % groups;
      const Query query = Query::fromTags({groupTag(g)});
      const auto start = Clock::now();
      const auto events = client->read(query);
      const auto elapsed = Clock::now() - start;
      if (q >= kWarmupQueries) latency.add(elapsed);
      bool right = events.size() == 10;
      for (std::size_t k = 0; right && k < events.size(); ++k) {
        right = events[k].position == g + 1 + k * groups && events[k].event.tags.size() == 2 &&
                events[k].metadata.timestamp.has_value();
      }
      if (!right) ++wrong;
    }
    if (wrong > 0) {
      sink.failure("row 5: " + std::to_string(wrong) + " tag queries did not return the 10 events");
    }
    sink.value("tag_query_p50", latency.percentileMicros(50));
    sink.value("tag_query_p99", latency.percentileMicros(99));
    progress(w, "tag query: p50 " + formatValue(latency.percentileMicros(50)) + " us, p99 " +
                    formatValue(latency.percentileMicros(99)) + " us");
  });

  row(w, sink, "row 6", [&] {
    const std::uint64_t customers = customerCount(o.events);
    std::mt19937_64 random(6);
    LatencyRecorder latency;
    std::size_t wrong = 0;
    for (std::size_t q = 0; q < kWarmupQueries + o.queries; ++q) {
      const std::uint64_t c = random() % customers;
      const Query query = Query::fromTags({customerTag(c)});
      const auto start = Clock::now();
      const auto event = client->readLast(query);
      const auto elapsed = Clock::now() - start;
      if (q >= kWarmupQueries) latency.add(elapsed);
      if (!event || event->position != lastPositionOfCustomer(c, o.events)) ++wrong;
    }
    if (wrong > 0) {
      sink.failure("row 6: " + std::to_string(wrong) + " readLast calls gave the wrong event");
    }
    sink.value("read_last_p50", latency.percentileMicros(50));
    sink.value("read_last_p99", latency.percentileMicros(99));
    progress(w, "readLast: p50 " + formatValue(latency.percentileMicros(50)) + " us, p99 " +
                    formatValue(latency.percentileMicros(99)) + " us");
  });

  row(w, sink, "row 7", [&] {
    std::vector<double> rates;
    for (int r = 0; r < o.readAllRepeats; ++r) {
      Stopwatch clock;
      const auto events = client->read(Query::all());
      const double seconds = clock.seconds();
      if (events.size() != o.events || events.back().position != o.events) {
        throw std::runtime_error("read(Query::all()) returned " + std::to_string(events.size()) +
                                 " events, expected " + std::to_string(o.events));
      }
      rates.push_back(static_cast<double>(o.events) / seconds);
    }
    const double rate = median(rates);
    sink.value("read_all", rate);
    progress(w, "read all: " + formatValue(rate) + " events/s");
  });

  row(w, sink, "row 8", [&] {
    Stopwatch clock;
    const std::uint64_t applied = store->rebuildCustomerCounts();
    const double seconds = clock.seconds();
    if (applied != o.events) {
      throw std::runtime_error("the rebuild applied " + std::to_string(applied) +
                               " events, expected " + std::to_string(o.events));
    }
    const std::uint64_t customers = customerCount(o.events);
    std::size_t wrong = 0;
    for (std::uint64_t c = 0; c < customers; ++c) {
      // Event i carries customer i mod customers.
      const std::uint64_t expected = o.events / customers + (c < o.events % customers ? 1 : 0);
      if (store->customerCount(customerTag(c).value) != expected) ++wrong;
    }
    if (wrong > 0) {
      sink.failure("row 8: " + std::to_string(wrong) + " of " + std::to_string(customers) +
                   " customer counts are wrong after the rebuild");
    }
    const double rate = static_cast<double>(o.events) / seconds;
    sink.value("rebuild", rate);
    progress(w, "projection rebuild: " + std::to_string(o.events) + " events in " +
                    formatValue(seconds) + " s (" + formatValue(rate) + " events/s)");
  });

  client.reset();
  store.reset();

  row(w, sink, "row 9", [&] {
    lagRow(w, sink, dir, factory, o.fastPollingMs, o.fastLagSamples, "lag_fast_median",
           "lag_fast_max");
  });
  row(w, sink, "row 10", [&] {
    lagRow(w, sink, dir, factory, o.defaultPollingMs, o.defaultLagSamples, "lag_default_median",
           "lag_default_max");
  });
  progress(w, "done");
}

}  // namespace opossum::bench
