#include "server/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string_view>
#include <vector>

#include "base/strings.h"

namespace kith::server {
namespace {

constexpr std::array<std::string_view, Metrics::kProtocols> kProtocolNames = {"3.2", "v3", "v4",
                                                                              "other"};
constexpr char kSep = '\x1f';

size_t ProtocolIndex(std::string_view protocol) {
  for (size_t i = 0; i + 1 < kProtocolNames.size(); ++i) {
    if (kProtocolNames[i] == protocol) return i;
  }
  return kProtocolNames.size() - 1;
}

// The error label of a request: its noted error's canonical code, or the
// HTTP status of an answer that failed before any call (an unknown path,
// a refused credential, a wrong method); "" for a success.
std::string ErrorCode(const RequestRecord& record, int status) {
  if (record.error != absl::StatusCode::kOk) {
    return AsciiLower(absl::StatusCodeToString(record.error));
  }
  return status >= 400 ? "http_" + std::to_string(status) : std::string();
}

// A label value with \, " and newline escaped.
void AppendLabel(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
}

void AppendNumber(std::string& out, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  out += buf;
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void Sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  AppendNumber(out, value);
  out += '\n';
}

// One sample of `name` per entry of `series`, whose keys are the values of
// the labels `names`, in order, joined by kSep.
void Series(std::string& out, std::string_view name, const std::map<std::string, uint64_t>& series,
            std::initializer_list<std::string_view> names) {
  std::string labels;
  for (const auto& [key, n] : series) {
    std::vector<std::string_view> values = Split(key, kSep);
    labels.clear();
    size_t i = 0;
    for (std::string_view label : names) {
      if (i > 0) labels += ',';
      AppendLabel(labels, label, i < values.size() ? values[i] : std::string_view());
      ++i;
    }
    Sample(out, name, labels, static_cast<double>(n));
  }
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Resident memory in bytes (/proc/self/statm), 0 when unreadable.
double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double OpenFiles() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

Metrics::Metrics()
    : started_(std::chrono::steady_clock::now()), start_time_seconds_(WallSeconds()) {}

Metrics::Stripe& Metrics::ThisThreadsStripe() const {
  static std::atomic<size_t> next_thread{0};
  thread_local const size_t index = next_thread.fetch_add(1, std::memory_order_relaxed);
  return stripes_[index % kStripes];
}

void Metrics::CountRequest(const RequestRecord& record, int status,
                           std::chrono::nanoseconds elapsed) {
  const size_t protocol = ProtocolIndex(record.protocol);
  const double seconds = std::chrono::duration<double>(elapsed).count();
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  // Only names the registry serves become labels: a request cannot add series.
  std::string_view entity = "";
  std::string_view action = "";
  if (record.call_noted) {
    entity = record.known_call ? std::string_view(record.entity) : std::string_view("unknown");
    action = record.known_call ? std::string_view(record.action) : std::string_view("unknown");
  }
  thread_local std::string key;
  key.clear();
  key += kProtocolNames[protocol];
  key += kSep;
  key += entity;
  key += kSep;
  key += action;
  key += kSep;
  key += std::to_string(status);
  std::string error = ErrorCode(record, status);

  Stripe& stripe = ThisThreadsStripe();
  std::lock_guard<std::mutex> lock(stripe.mu);
  if (auto it = stripe.requests.find(key); it != stripe.requests.end()) {
    ++it->second;
  } else {
    stripe.requests.emplace(key, 1);
  }
  if (!error.empty()) {
    ++stripe.errors[std::string(kProtocolNames[protocol]) + kSep + error];
  }
  Latency& latency = stripe.latency[protocol];
  ++latency.buckets[bucket];
  latency.seconds += seconds;
  latency.database_seconds += static_cast<double>(record.database_nanos) / 1e9;
  latency.transactions += static_cast<uint64_t>(record.transactions);
}

void Metrics::SetOpenConnections(std::function<size_t()> count) {
  std::lock_guard<std::mutex> lock(gauge_mu_);
  open_connections_ = std::move(count);
}

std::string Metrics::Render() const {
  // Every stripe summed, the series in a stable order.
  std::map<std::string, uint64_t> requests;
  std::map<std::string, uint64_t> errors;
  std::array<Latency, kProtocols> latency{};
  for (Stripe& stripe : stripes_) {
    std::lock_guard<std::mutex> lock(stripe.mu);
    for (const auto& [k, n] : stripe.requests) requests[k] += n;
    for (const auto& [k, n] : stripe.errors) errors[k] += n;
    for (int p = 0; p < kProtocols; ++p) {
      const Latency& from = stripe.latency[p];
      Latency& to = latency[p];
      for (size_t b = 0; b < from.buckets.size(); ++b) to.buckets[b] += from.buckets[b];
      to.seconds += from.seconds;
      to.database_seconds += from.database_seconds;
      to.transactions += from.transactions;
    }
  }
  std::string out;
  out.reserve(4096 + 128 * requests.size());
  std::string labels;

  Header(out, "kith_requests_total", "counter",
         "HTTP requests answered, by protocol (3.2, v3, v4, other), API entity and action, and "
         "HTTP status.");
  Series(out, "kith_requests_total", requests, {"protocol", "entity", "action", "status"});
  Header(out, "kith_request_errors_total", "counter",
         "Requests answered with an error, by protocol and error code (3.2 and APIv3 answer "
         "most errors with HTTP 200; they count here too).");
  Series(out, "kith_request_errors_total", errors, {"protocol", "code"});

  Header(out, "kith_request_duration_seconds", "histogram",
         "Time from a request's arrival to its answer, by protocol.");
  for (int p = 0; p < kProtocols; ++p) {
    uint64_t cumulative = 0;
    std::string protocol;
    AppendLabel(protocol, "protocol", kProtocolNames[p]);
    for (size_t b = 0; b < latency[p].buckets.size(); ++b) {
      cumulative += latency[p].buckets[b];
      labels = protocol + ",le=\"";
      if (b < kBuckets.size()) {
        AppendNumber(labels, kBuckets[b]);
      } else {
        labels += "+Inf";
      }
      labels += '"';
      Sample(out, "kith_request_duration_seconds_bucket", labels, static_cast<double>(cumulative));
    }
    Sample(out, "kith_request_duration_seconds_sum", protocol, latency[p].seconds);
    Sample(out, "kith_request_duration_seconds_count", protocol, static_cast<double>(cumulative));
  }

  // One sample per protocol of `name`, its value taken from that protocol's figures.
  auto per_protocol = [&](std::string_view name, double (*of)(const Latency&)) {
    for (int p = 0; p < kProtocols; ++p) {
      labels.clear();
      AppendLabel(labels, "protocol", kProtocolNames[p]);
      Sample(out, name, labels, of(latency[p]));
    }
  };
  Header(out, "kith_database_seconds_total", "counter",
         "Time requests spent in store transactions (from Begin, its wait included, to commit "
         "or rollback), by protocol.");
  per_protocol("kith_database_seconds_total", [](const Latency& l) { return l.database_seconds; });
  Header(out, "kith_database_transactions_total", "counter",
         "Store transactions requests ran, by protocol.");
  per_protocol("kith_database_transactions_total",
               [](const Latency& l) { return static_cast<double>(l.transactions); });

  size_t open = 0;
  {
    std::lock_guard<std::mutex> lock(gauge_mu_);
    if (open_connections_) open = open_connections_();
  }
  Header(out, "kith_open_connections", "gauge", "HTTP connections open now.");
  Sample(out, "kith_open_connections", "", static_cast<double>(open));

  Header(out, "kith_uptime_seconds", "gauge", "Seconds since this server started.");
  Sample(out, "kith_uptime_seconds", "",
         std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  Header(out, "process_start_time_seconds", "gauge",
         "Start time of the process since the Unix epoch, in seconds.");
  Sample(out, "process_start_time_seconds", "", start_time_seconds_);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  Header(out, "process_cpu_seconds_total", "counter", "User and system CPU time, in seconds.");
  Sample(out, "process_cpu_seconds_total", "", cpu);
  Header(out, "process_resident_memory_bytes", "gauge", "Resident memory size, in bytes.");
  Sample(out, "process_resident_memory_bytes", "", ResidentBytes());
  Header(out, "process_open_fds", "gauge", "Open file descriptors.");
  Sample(out, "process_open_fds", "", OpenFiles());
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    Header(out, "process_max_fds", "gauge", "The limit on open file descriptors.");
    Sample(out, "process_max_fds", "",
           files.rlim_cur == RLIM_INFINITY ? 1e18 : static_cast<double>(files.rlim_cur));
  }
  return out;
}

}  // namespace kith::server
