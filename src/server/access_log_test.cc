#include "server/access_log.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

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

// Log writes each line into room its thread keeps: a short line after a
// long one is its own bytes alone, each line whole on the file.
TEST(AccessLogTest, LinesWrittenOneAfterAnotherAreEachWhole) {
  char tmpl[] = "/tmp/kith-access-log-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/access.log";
  {
    auto log = AccessLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    RequestRecord record;
    record.protocol = "3.2";
    for (const std::string& p : {"/" + std::string(190, 'l'), std::string("/s"), "/" + std::string(150, '\x01')}) {
      http::HttpRequest request;
      request.method = "GET";
      request.path = p;
      request.remote_address = "127.0.0.1";
      (*log)->Log(request, record, 200, std::chrono::microseconds(10));
    }
  }
  std::ifstream in(path);
  std::vector<std::string> paths;
  for (std::string line; std::getline(in, line);) {
    auto json = ParseJson(line, "line", 8, 100);
    ASSERT_TRUE(json.ok()) << json.status() << ": " << line;
    paths.push_back((*json)["path"].get<std::string>());
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/" + std::string(190, 'l'), "/s", "/" + std::string(150, '\x01')}));
  std::filesystem::remove_all(dir);
}

// The line's bytes after its time, with every kind of escape, a path cut at
// 200 bytes, and the optional members in their places.
TEST(AccessLogTest, ALinesBytesAreExact) {
  http::HttpRequest request;
  request.method = "GET";
  request.path = std::string("/a\"b\\c\td\re\nf\x01g\x7f\xc3\xa9/") + std::string(300, 'x');
  request.remote_address = "::1";
  RequestRecord record;
  record.protocol = "v3";
  std::string line = AccessLog::FormatLine(request, record, 200, std::chrono::nanoseconds(999));
  ASSERT_EQ(line.substr(0, 9), "{\"time\":\"") << line;
  ASSERT_GT(line.size(), 33u);
  EXPECT_EQ(line.substr(33),
            "\",\"protocol\":\"v3\",\"method\":\"GET\",\"path\":\"/a\\\"b\\\\c\\td\\re\\nf\\u0001g\\u007f"
            "\\u00c3\\u00a9/" + std::string(182, 'x') +
                "\",\"status\":200,\"duration_ms\":0.001,\"db_ms\":0.000,\"remote\":\"::1\"}");

  record.entity = "Con\"tact";
  record.action = "get";
  record.call_noted = true;
  record.user_id = 12;
  record.contact_id = 345;
  record.error = absl::StatusCode::kPermissionDenied;
  record.database_nanos = 1'234'567'890;
  request.path = "/p";
  line = AccessLog::FormatLine(request, record, 403, std::chrono::seconds(2));
  ASSERT_GT(line.size(), 33u);
  EXPECT_EQ(line.substr(33),
            "\",\"protocol\":\"v3\",\"method\":\"GET\",\"path\":\"/p\",\"entity\":\"Con\\\"tact\","
            "\"action\":\"get\",\"status\":403,\"duration_ms\":2000.000,\"db_ms\":1234.568,"
            "\"user_id\":12,\"contact_id\":345,\"remote\":\"::1\",\"error\":\"permission_denied\"}");
}

// Text to escape is found wherever it stands (plain text goes a word at a
// time): every byte at every place of a path of two words and a tail.
TEST(AccessLogTest, EveryByteIsEscapedWhereverItStands) {
  auto escaped = [](std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out += static_cast<char>(c);
      } else if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n' || c == '\r' || c == '\t') {
        out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
      } else {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  };
  http::HttpRequest request;
  request.method = "GET";
  request.remote_address = "::1";
  RequestRecord record;
  record.protocol = "v4";
  const std::string plain = "/abcdefghijklmnopq/~ ";  // 21 bytes
  for (int b = 0; b < 256; ++b) {
    for (size_t at = 0; at < plain.size(); ++at) {
      request.path = plain;
      request.path[at] = static_cast<char>(b);
      std::string line = AccessLog::FormatLine(request, record, 200, std::chrono::nanoseconds(0));
      std::string expected = ",\"path\":\"" + escaped(request.path) + "\",";
      ASSERT_NE(line.find(expected), std::string::npos) << b << " at " << at << ": " << line;
    }
  }
}

}  // namespace
}  // namespace kith::server
