// Shared pieces of the `opossum` tool: exit statuses, usage errors, numeric options, progress on
// stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <CLI/CLI.hpp>

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

// A whole number from the command line: decimal digits only, within [min, max]. Otherwise a
// UsageError naming `what` (the option) and the text, so "-1", "12abc" or a number beyond 64 bits
// never wrap around or get cut short, as the C library's conversions would let them.
std::uint64_t parseNumber(const std::string& what, const std::string& text, std::uint64_t min = 0,
                          std::uint64_t max = std::numeric_limits<std::uint64_t>::max());

// An option taking one such number (name as CLI11 spells it, e.g. "--batch" or "--output,-o").
template <typename T>
CLI::Option* addNumberOption(CLI::App& command, const std::string& name, T& target,
                             const std::string& description, std::uint64_t min = 0,
                             std::uint64_t max = std::numeric_limits<T>::max()) {
  static_assert(std::is_unsigned_v<T>);
  const std::string what = name.substr(0, name.find(','));
  return command
      .add_option_function<std::string>(
          name,
          [&target, what, min, max](const std::string& text) {
            target = static_cast<T>(parseNumber(what, text, min, max));
          },
          description)
      ->type_name("N");
}

template <typename T>
CLI::Option* addNumberOption(CLI::App& command, const std::string& name, std::optional<T>& target,
                             const std::string& description, std::uint64_t min = 0,
                             std::uint64_t max = std::numeric_limits<T>::max()) {
  static_assert(std::is_unsigned_v<T>);
  const std::string what = name.substr(0, name.find(','));
  return command
      .add_option_function<std::string>(
          name,
          [&target, what, min, max](const std::string& text) {
            target = static_cast<T>(parseNumber(what, text, min, max));
          },
          description)
      ->type_name("N");
}

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
