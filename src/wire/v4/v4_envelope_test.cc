#include "wire/v4/v4_envelope.h"

#include <gtest/gtest.h>

#include <regex>

#include "base/error_details.h"
#include "wire/common/json_writer.h"

namespace kith::wire::v4 {
namespace {

const Value kRows = Value::parse(R"([{"id":3,"first_name":"Ann"},{"id":5,"first_name":"Bo"}])");

TEST(V4EnvelopeTest, SuccessKeyOrder) {
  Value env = SuccessEnvelope("Contact", "get", Value{{"values", kRows}}, Value());
  EXPECT_EQ(env.dump(),
            R"({"values":[{"id":3,"first_name":"Ann"},{"id":5,"first_name":"Bo"}],)"
            R"("entity":"Contact","action":"get","debug":null,"version":4,"count":2,"countFetched":2})");
}

TEST(V4EnvelopeTest, StreamedAnswerHasTheBytesOfTheWholeOne) {
  const Value rows = Value::parse(R"([{"id":3,"name":"Ann \"A\" /é"},{"id":5,"name":null}])");
  for (size_t n : {0, 1, 2}) {
    std::string streamed = kStreamedEnvelopeHead;
    for (size_t i = 0; i < n; ++i) streamed += (i ? "," : "") + ToJson(rows[i]);
    Value some = Value::array();
    for (size_t i = 0; i < n; ++i) some.push_back(rows[i]);
    streamed += StreamedEnvelopeTail("Contact", "get", static_cast<int64_t>(n));
    EXPECT_EQ(streamed, ToJson(SuccessEnvelope("Contact", "get", Value{{"values", some}}, Value())));
    // (names that need escaping, as no entity's does)
    EXPECT_EQ(kStreamedEnvelopeHead + StreamedEnvelopeTail("A\"b/é", "get\n", 0),
              ToJson(SuccessEnvelope("A\"b/é", "get\n", Value{{"values", Value::array()}}, Value())));
  }
}

TEST(V4EnvelopeTest, RowCountAndCountMatched) {
  Value env = SuccessEnvelope("GroupContact", "get",
                              Value{{"values", Value::array()}, {"count", 3}, {"countMatched", 3}},
                              Value());
  EXPECT_EQ(env.dump(),
            R"({"values":[],"entity":"GroupContact","action":"get","debug":null,"version":4,)"
            R"("count":3,"countFetched":0,"countMatched":3})");
}

TEST(V4EnvelopeTest, IndexShapes) {
  EXPECT_EQ(ApplyIndex(kRows, Value(1)).dump(), R"({"id":5,"first_name":"Bo"})");
  EXPECT_EQ(ApplyIndex(kRows, Value(-1)).dump(), R"({"id":5,"first_name":"Bo"})");
  EXPECT_TRUE(ApplyIndex(kRows, Value(7)).is_null());
  EXPECT_EQ(ApplyIndex(kRows, Value("id")).dump(),
            R"({"3":{"id":3,"first_name":"Ann"},"5":{"id":5,"first_name":"Bo"}})");
  EXPECT_EQ(ApplyIndex(kRows, Value{{"first_name", "id"}}).dump(), R"({"Ann":3,"Bo":5})");
  // Numeric index: values is the record, count stays the full count.
  Value env = SuccessEnvelope("Contact", "get", Value{{"values", kRows}}, Value(0));
  EXPECT_EQ(env["values"].dump(), R"({"id":3,"first_name":"Ann"})");
  EXPECT_EQ(env["count"], 2);
  EXPECT_EQ(env["countFetched"], 2);
}

TEST(V4EnvelopeTest, HonestStatusesKeepTheMessage) {
  V4Error bad = ErrorEnvelope(InvalidArgument("Invalid field 'nope'"));
  EXPECT_EQ(bad.http_status, 400);
  EXPECT_TRUE(bad.log_line.empty());
  EXPECT_EQ(bad.body["error_message"], "Invalid field 'nope'");
  EXPECT_EQ(bad.body["error_code"], 0);
  EXPECT_EQ(bad.body["status"], 400);
  std::vector<std::string> keys;
  for (const auto& [k, v] : bad.body.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"error_id", "error_code", "error_message", "status"}));
  EXPECT_TRUE(std::regex_match(bad.body["error_id"].get<std::string>(),
                               std::regex("[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}")));

  V4Error denied = ErrorEnvelope(PermissionDenied("API permission check failed for Contact/create call",
                                                  {{"error_code", "unauthorized"}}));
  EXPECT_EQ(denied.http_status, 403);
  EXPECT_EQ(denied.body["error_code"], "unauthorized");
  EXPECT_EQ(denied.body["error_message"], "API permission check failed for Contact/create call");
  EXPECT_EQ(ErrorEnvelope(NotFound("x")).http_status, 404);
  EXPECT_EQ(ErrorEnvelope(AlreadyExists("x")).http_status, 409);
}

TEST(V4EnvelopeTest, OwnFaultsHideTheirInternals) {
  V4Error e = ErrorEnvelope(Internal("database error in step: disk I/O error"));
  EXPECT_EQ(e.http_status, 500);
  std::string message = e.body["error_message"].get<std::string>();
  EXPECT_EQ(message.find("disk"), std::string::npos);
  EXPECT_NE(message.find(e.body["error_id"].get<std::string>()), std::string::npos);
  EXPECT_NE(e.log_line.find("disk I/O error"), std::string::npos);
}

TEST(V4EnvelopeTest, PageErrorsHaveNoStatusKey) {
  EXPECT_EQ(PageError(405, "SECURITY: x").dump(), R"({"error_code":405,"error_message":"SECURITY: x"})");
}

}  // namespace
}  // namespace kith::wire::v4
