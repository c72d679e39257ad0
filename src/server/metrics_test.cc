#include "server/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kith::server {
namespace {

RequestRecord Call(std::string_view protocol, std::string entity, std::string action, bool known) {
  RequestRecord r;
  r.protocol = protocol;
  r.entity = std::move(entity);
  r.action = std::move(action);
  r.known_call = known;
  r.call_noted = true;
  return r;
}

TEST(MetricsTest, CountsByLabelsAcrossThreads) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        metrics.CountRequest(Call("v4", "Contact", "get", true), 200, std::chrono::microseconds(300));
      }
    });
  }
  for (auto& t : threads) t.join();
  RequestRecord failed = Call("v3", "Contact", "create", true);
  failed.error = absl::StatusCode::kInvalidArgument;
  failed.database_nanos = 2'000'000;
  failed.transactions = 1;
  metrics.CountRequest(failed, 200, std::chrono::milliseconds(3));
  std::string text = metrics.Render();
  EXPECT_NE(text.find("kith_requests_total{protocol=\"v4\",entity=\"Contact\",action=\"get\","
                      "status=\"200\"} 400\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("kith_request_errors_total{protocol=\"v3\",code=\"invalid_argument\"} 1\n"),
            std::string::npos);
  // 300 us: in the 0.0005 bucket and every one above it.
  EXPECT_NE(text.find("kith_request_duration_seconds_bucket{protocol=\"v4\",le=\"0.0005\"} 400\n"),
            std::string::npos);
  EXPECT_NE(text.find("kith_request_duration_seconds_bucket{protocol=\"v3\",le=\"0.0025\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("kith_request_duration_seconds_bucket{protocol=\"v3\",le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("kith_request_duration_seconds_count{protocol=\"v4\"} 400\n"), std::string::npos);
  EXPECT_NE(text.find("kith_database_seconds_total{protocol=\"v3\"} 0.002\n"), std::string::npos);
  EXPECT_NE(text.find("kith_open_connections 0\n"), std::string::npos);
  metrics.SetOpenConnections([] { return size_t{7}; });
  EXPECT_NE(metrics.Render().find("kith_open_connections 7\n"), std::string::npos);
}

TEST(MetricsTest, NamesFromRequestsNeverBecomeLabels) {
  Metrics metrics;
  metrics.CountRequest(Call("v4", "Evil\"}\nx 1", "get", false), 404, std::chrono::milliseconds(1));
  RequestRecord none;  // no call: /metrics, an unknown path
  metrics.CountRequest(none, 404, std::chrono::milliseconds(1));
  std::string text = metrics.Render();
  EXPECT_EQ(text.find("Evil"), std::string::npos);
  EXPECT_NE(text.find("{protocol=\"v4\",entity=\"unknown\",action=\"unknown\",status=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("{protocol=\"other\",entity=\"\",action=\"\",status=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("kith_request_errors_total{protocol=\"other\",code=\"http_404\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace kith::server
