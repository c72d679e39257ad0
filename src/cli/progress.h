// Progress of a long command on stderr: on a terminal, a bar redrawn in
// place (rows, rows/s, ETA when the total size is known); otherwise a plain
// line every `every` seconds, for logs. Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace kith::cli {

class Progress {
 public:
  // `total_bytes`: the input's size (0: unknown, no percentage or ETA).
  // `terminal`: draw the bar; else plain lines every `every_seconds` (0:
  // at every Update).
  // `label` starts each plain line ("kith import").
  Progress(std::ostream& err, std::string label, bool terminal, int64_t total_bytes,
           double every_seconds);

  // Whether a line or a redraw is due (cheap: call it for every row).
  bool Due() const { return std::chrono::steady_clock::now() >= next_; }

  // Reports `rows` read so far and `bytes` of the input consumed, and sets
  // when the next report is due.
  void Report(int64_t rows, int64_t bytes);

  // Clears the bar (a terminal); the summary is the caller's.
  void Finish();

  double elapsed_seconds() const;

 private:
  std::string Line(int64_t rows, int64_t bytes, double seconds) const;

  std::ostream& err_;
  std::string label_;
  bool terminal_;
  int64_t total_bytes_;
  std::chrono::steady_clock::duration every_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point next_;
  bool drawn_ = false;
};

// Whether file descriptor 2 is a terminal.
bool StderrIsTerminal();

}  // namespace kith::cli
