#include "cli_support.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string_view>

namespace opossum::cli {

Progress::Progress(std::string label, std::uint64_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      lastDraw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  // A few redraws a second are enough for a person and cost nothing.
  if (drawn_ && now - lastDraw_ < std::chrono::milliseconds(200)) return;
  lastDraw_ = now;
  draw(done);
}

void Progress::draw(std::uint64_t done) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  std::string line = "\r" + label_ + ": " + std::to_string(done);
  if (total_ > 0) line += "/" + std::to_string(total_);
  line += " events, " + std::to_string(static_cast<std::uint64_t>(rate)) + " events/s";
  if (total_ > 0 && rate > 0 && done <= total_) {
    auto eta = static_cast<std::uint64_t>(static_cast<double>(total_ - done) / rate);
    line += ", ETA " + std::to_string(eta / 60) + "m" + (eta % 60 < 10 ? "0" : "") +
            std::to_string(eta % 60) + "s";
  }
  line += "\x1b[K";  // clear the rest of a longer previous line
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!enabled_ || !drawn_) return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

std::uint64_t parseNumber(const std::string& what, const std::string& text, std::uint64_t min,
                          std::uint64_t max) {
  const std::string expected =
      max == std::numeric_limits<std::uint64_t>::max()
          ? "expected a whole number, " + std::to_string(min) + " or more"
          : "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  auto refuse = [&](const std::string& why) {
    return UsageError(what + " '" + text + "': " + why + "; " + expected);
  };
  const auto digits = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (!digits(text)) {
    if (text.size() > 1 && text[0] == '-' && digits(std::string_view(text).substr(1))) {
      throw refuse("negative");
    }
    throw refuse("not a whole number");
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range || (ec == std::errc{} && value > max)) {
    throw refuse("too large");
  }
  if (ec != std::errc{} || end != text.data() + text.size()) throw refuse("not a whole number");
  if (value < min) throw refuse("out of range");
  return value;
}

std::string plural(std::uint64_t count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

}  // namespace opossum::cli
