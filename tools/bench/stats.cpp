#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace opossum::bench {

void LatencyRecorder::merge(const LatencyRecorder& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  sorted_ = false;
}

double LatencyRecorder::percentileMicros(double p) const {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  const auto n = samples_.size();
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<std::size_t>(rank, 1, n);
  return std::chrono::duration<double, std::micro>(samples_[rank - 1]).count();
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string formatValue(double value) {
  char buffer[64];
  const double magnitude = std::fabs(value);
  if (magnitude >= 1000) {
    // Thousands separators make the throughput columns readable at a glance.
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
    std::string digits = buffer;
    std::string out;
    const std::size_t sign = digits[0] == '-' ? 1 : 0;
    const std::size_t len = digits.size() - sign;
    for (std::size_t i = 0; i < len; ++i) {
      if (i > 0 && (len - i) % 3 == 0) out += ',';
      out += digits[sign + i];
    }
    return (sign ? "-" : "") + out;
  }
  if (magnitude >= 100) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  } else if (magnitude >= 10) {
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
  } else if (magnitude >= 1 || magnitude == 0) {
    std::snprintf(buffer, sizeof buffer, "%.2f", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
  }
  return buffer;
}

std::string formatRatio(double ratio) {
  char buffer[64];
  if (!std::isfinite(ratio)) return "n/a";
  if (ratio >= 10) {
    std::snprintf(buffer, sizeof buffer, "%.1fx", ratio);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2fx", ratio);
  }
  return buffer;
}

}  // namespace opossum::bench
