// Metrics: kith's counters for GET /metrics, in Prometheus' text exposition
// format (version 0.0.4): requests by protocol, entity, action and status;
// request latency; time in store transactions; errors; open connections;
// and the process basics (resident memory, CPU, open files, uptime).
//
// Thread-safe. Counting is cheap: each thread counts into one of a few
// stripes (its own lock, practically never contended), and only Render()
// visits them all.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/request_record.h"

namespace kith::server {

// Who may read GET /metrics (kith.toml metrics).
enum class MetricsAccess { kOff, kLoopback, kOpen };

class Metrics {
 public:
  Metrics();

  // One answered request: what its record noted, its HTTP status and how
  // long it took from its arrival to its answer.
  void CountRequest(const RequestRecord& record, int status, std::chrono::nanoseconds elapsed);

  // Where the open-connections gauge comes from (the HTTP server, once
  // it runs); called by Render() only.
  void SetOpenConnections(std::function<size_t()> count);

  // Every metric in the text exposition format.
  std::string Render() const;

  // The latency histogram's upper bounds, in seconds.
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  static constexpr int kProtocols = 4;  // 3.2, v3, v4, other

 private:
  struct Latency {
    std::array<uint64_t, kBuckets.size() + 1> buckets{};  // the last: over every bound
    double seconds = 0;
    double database_seconds = 0;
    uint64_t transactions = 0;
  };
  struct alignas(64) Stripe {
    std::mutex mu;
    // "protocol\x1f entity\x1f action\x1f status" -> requests
    std::unordered_map<std::string, uint64_t> requests;
    // "protocol\x1f code" -> requests answered with an error
    std::unordered_map<std::string, uint64_t> errors;
    std::array<Latency, kProtocols> latency;
  };
  static constexpr size_t kStripes = 8;

  Stripe& ThisThreadsStripe() const;

  mutable std::array<Stripe, kStripes> stripes_;
  const std::chrono::steady_clock::time_point started_;
  const double start_time_seconds_;  // since the epoch
  mutable std::mutex gauge_mu_;
  std::function<size_t()> open_connections_;  // guarded by gauge_mu_
};

}  // namespace kith::server
