// Timing and summary helpers shared by all rows.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace opossum::bench {

using Clock = std::chrono::steady_clock;

class Stopwatch {
 public:
  Stopwatch() : start_(Clock::now()) {}
  void restart() { start_ = Clock::now(); }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  Clock::time_point start_;
};

// Collects the duration of each operation; percentiles by nearest rank.
class LatencyRecorder {
 public:
  void reserve(std::size_t n) { samples_.reserve(n); }
  void add(Clock::duration d) { samples_.push_back(d); }
  void merge(const LatencyRecorder& other);
  std::size_t count() const { return samples_.size(); }
  const std::vector<Clock::duration>& samples() const { return samples_; }
  // p in [0, 100]; 0 when empty.
  double percentileMicros(double p) const;

 private:
  mutable std::vector<Clock::duration> samples_;
  mutable bool sorted_ = false;
};

double median(std::vector<double> values);

// "12,345" / "1.23" / "0.045": enough digits to compare, no more.
std::string formatValue(double value);
// "×1.23" style ratio with two significant decimals.
std::string formatRatio(double ratio);

}  // namespace opossum::bench
