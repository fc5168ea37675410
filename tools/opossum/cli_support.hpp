// Shared pieces of the `opossum` tool: exit statuses, usage errors, progress on stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace opossum::cli {

// The documented exit statuses (README.md).
enum ExitStatus : int {
  kExitOk = 0,
  kExitError = 1,
  kExitUsage = 2,
  kExitConflict = 3,
  kExitVerifyFailed = 4,
};

// Bad command-line input (exit status 2), found after CLI11 parsed the arguments.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Events done, rate and ETA of a long operation, on one stderr line that is rewritten in place.
// Silent unless stderr is a terminal, so scripts and logs never see it.
class Progress {
 public:
  // `total` 0: unknown (no ETA).
  Progress(std::string label, std::uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(std::uint64_t done);
  // Clears the line.
  void finish();

 private:
  void draw(std::uint64_t done);

  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, lastDraw_;
};

// "1 event", "3 events".
std::string plural(std::uint64_t count, const std::string& word);

}  // namespace opossum::cli
