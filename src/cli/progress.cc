#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace kith::cli {

namespace {

constexpr auto kRedraw = std::chrono::milliseconds(200);  // a terminal's bar
constexpr int kBarWidth = 30;

std::string Duration(double seconds) {
  auto s = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return text;
}

}  // namespace

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::ostream& err, std::string label, bool terminal, int64_t total_bytes,
                   double every_seconds)
    : err_(err),
      label_(std::move(label)),
      terminal_(terminal),
      total_bytes_(total_bytes),
      every_(terminal ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(kRedraw)
                      : std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(std::max(0.0, every_seconds)))),
      start_(std::chrono::steady_clock::now()),
      next_(start_ + every_) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::Line(int64_t rows, int64_t bytes, double seconds) const {
  double rate = seconds > 0 ? static_cast<double>(rows) / seconds : 0;
  char text[160];
  std::string line;
  if (total_bytes_ > 0) {
    double done = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_bytes_));
    if (terminal_) {
      int filled = static_cast<int>(done * kBarWidth);
      line += "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "] ";
    }
    double eta = done > 0 ? seconds * (1 - done) / done : 0;
    std::snprintf(text, sizeof text, "%3.0f%% %lld rows, %.0f rows/s, ETA %s", done * 100,
                  static_cast<long long>(rows), rate, Duration(eta).c_str());
  } else {
    std::snprintf(text, sizeof text, "%lld rows, %.0f rows/s, %s elapsed",
                  static_cast<long long>(rows), rate, Duration(seconds).c_str());
  }
  return line + text;
}

void Progress::Report(int64_t rows, int64_t bytes) {
  auto now = std::chrono::steady_clock::now();
  next_ = now + every_;
  double seconds = std::chrono::duration<double>(now - start_).count();
  if (terminal_) {
    err_ << "\r\033[K" << Line(rows, bytes, seconds) << std::flush;
    drawn_ = true;
  } else {
    err_ << label_ << ": " << Line(rows, bytes, seconds) << "\n" << std::flush;
  }
}

void Progress::Finish() {
  if (drawn_) err_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace kith::cli
