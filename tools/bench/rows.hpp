// The rows of the benchmark table, each written once against the Workload interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "workload.hpp"

namespace opossum::bench {

struct BenchOptions {
  std::uint64_t events = 100000;    // size of the read store (rows 5-7), a multiple of 10
  double seconds = 3;               // duration of each append-throughput row
  std::size_t queries = 2000;       // measured calls per latency row
  std::size_t batch = 1000;         // events per append while building the read store
  int writers = 8;                  // threads of row 3 (in each process)
  int processes = 4;                // processes of row 3's second part
  int readAllRepeats = 3;           // full scans in row 7 (the median counts)
  int fastPollingMs = 50;           // daemon polling interval of row 9
  std::size_t fastLagSamples = 20;  // appends timed in row 9
  // Row 10's polling interval; nullopt: the daemon's default (5000 ms). --quick: 200 ms.
  std::optional<int> defaultPollingMs;
  std::size_t defaultLagSamples = 3;  // appends timed in row 10
};

// What a row reports. A failure (an error, or a wrong answer from the store) makes the run fail.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // Called before each step (a row, building the read store, ...); may block until the step
  // should run.
  virtual void beginStep(const std::string& name) { (void)name; }
  virtual void value(const std::string& metric, double v) = 0;
  virtual void note(const std::string& text) = 0;
  virtual void failure(const std::string& text) = 0;
  // The metric does not apply to this column (shown as n/a).
  virtual void notApplicable(const std::string& metric) = 0;
};

struct MetricInfo {
  std::string id;
  std::string label;    // in the table, under its row's heading
  std::string summary;  // on its own, in the list of ratios
  std::string unit;
  bool higherIsBetter;
};

// Every metric in table order; labels mention the sizes in `options`.
std::vector<MetricInfo> metricCatalog(const BenchOptions& options);

// Runs every row against `workload` in stores under `dir` (created; left for the caller to
// remove). Progress goes to stderr. Peak memory is the caller's (it owns the process).
void runAllRows(Workload& workload, const BenchOptions& options, const std::filesystem::path& dir,
                ResultSink& sink);

}  // namespace opossum::bench
