#include "server/access_log.h"

#include <gtest/gtest.h>

#include "base/json_parse.h"

namespace kith::server {
namespace {

TEST(AccessLogTest, ALineIsJsonWithTheRequestsFactsOnly) {
  http::HttpRequest request;
  request.method = "POST";
  request.path = "/civicrm/ajax/api4/Contact/get\"\n\xff";
  request.query = "api_key=secret-key&key=site-key";
  request.headers = {{"x-civi-auth", "Bearer secret-key"}, {"cookie", "PHPSESSID=session"}};
  request.body = "pass=secret-password";
  request.remote_address = "127.0.0.1";
  RequestRecord record;
  record.protocol = "v4";
  record.entity = "Contact";
  record.action = "get";
  record.call_noted = true;
  record.user_id = 3;
  record.contact_id = 4;
  record.error = absl::StatusCode::kNotFound;
  record.database_nanos = 250'000;
  std::string line = AccessLog::FormatLine(request, record, 404, std::chrono::microseconds(1500));
  for (const char* secret : {"secret-key", "site-key", "session", "secret-password"}) {
    EXPECT_EQ(line.find(secret), std::string::npos) << line;
  }
  auto json = ParseJson(line, "line", 8, 100);
  ASSERT_TRUE(json.ok()) << json.status() << ": " << line;
  EXPECT_EQ((*json)["protocol"], "v4");
  EXPECT_EQ((*json)["path"], "/civicrm/ajax/api4/Contact/get\"\n\u00ff");
  EXPECT_EQ((*json)["status"], 404);
  EXPECT_EQ((*json)["duration_ms"], 1.5);
  EXPECT_EQ((*json)["db_ms"], 0.25);
  EXPECT_EQ((*json)["user_id"], 3);
  EXPECT_EQ((*json)["contact_id"], 4);
  EXPECT_EQ((*json)["error"], "not_found");
  EXPECT_EQ((*json)["time"].get<std::string>().size(), 24u);  // 2026-12-06T09:12:03.123Z
  EXPECT_NE(line.find("\"duration_ms\":1.500,\"db_ms\":0.250,"), std::string::npos) << line;
  // Rounded to the microsecond.
  std::string rounded = AccessLog::FormatLine(request, record, 404, std::chrono::nanoseconds(12'345'678));
  EXPECT_NE(rounded.find("\"duration_ms\":12.346,"), std::string::npos) << rounded;
}

}  // namespace
}  // namespace kith::server
