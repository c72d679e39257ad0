// For tests that guard against parsers whose cost grows faster than their
// input (a request of many parameters must not hold a core for minutes):
// how many times more CPU the work takes on an input `factor` times larger.
// The calling thread's CPU time, the least of a few runs, so that a loaded
// machine's waits for a core do not count, as a wall-clock bound would.
#pragma once

#include <time.h>

#include <algorithm>
#include <functional>

namespace kith::testing {

inline double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline double LeastCpuSeconds(const std::function<void()>& work, int runs = 3) {
  double least = 1e9;
  for (int i = 0; i < runs; ++i) {
    double start = ThreadCpuSeconds();
    work();
    least = std::min(least, ThreadCpuSeconds() - start);
  }
  return least;
}

// CPU(work(n * factor)) / CPU(work(n)): about `factor` for linear work,
// factor² for quadratic.
inline double CpuGrowth(const std::function<void(int)>& work, int n, int factor) {
  double small = LeastCpuSeconds([&] { work(n); });
  double large = LeastCpuSeconds([&] { work(n * factor); });
  return large / std::max(small, 1e-6);
}

}  // namespace kith::testing
