#include "base/json_parse.h"

#include <gtest/gtest.h>

#include <string>

#include "base/error_details.h"
#include "base/testing/cpu_growth.h"

namespace kith {
namespace {

TEST(ParseJsonTest, ParsesKeepingKeyOrderAndLastDuplicate) {
  auto v = ParseJson(R"({"b":1,"a":[true,null,2.5,"x"],"b":{"c":-3}})", "json", 64, 100);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->dump(), R"({"b":{"c":-3},"a":[true,null,2.5,"x"]})");
}

TEST(ParseJsonTest, DuplicatesFoundPastTheIndexThreshold) {
  std::string text = "{";
  for (int i = 0; i < 20; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += "\"k3\":\"again\",\"k19\":\"last\"}";
  auto v = ParseJson(text, "json", 64, 100);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->size(), 20u);
  EXPECT_EQ((*v)["k3"], "again");
  EXPECT_EQ(v->begin().key(), "k0");
  EXPECT_EQ((*v)["k19"], "last");
}

TEST(ParseJsonTest, ScalarsAndInvalidText) {
  EXPECT_EQ(*ParseJson("12", "json", 64, 100), Value(12));
  auto bad = ParseJson("{\"a\":", "json", 64, 100);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "json is not valid JSON");
}

TEST(ParseJsonTest, RefusesNestingPastTheLimit) {
  std::string ok(64, '[');
  ok += std::string(64, ']');
  EXPECT_TRUE(ParseJson(ok, "json", 64, 100).ok());
  // 100,000 levels: refused at level 65 without building (or tearing down) the rest.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
  deep += "1" + std::string(100000, '}');
  auto v = ParseJson(deep, "params", 64, 100);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(), "params nests deeper than 64 levels");
}

TEST(ParseJsonTest, RefusesAnObjectWithTooManyMembers) {
  std::string text = "{";
  for (int i = 0; i < 11; ++i) text += (i ? ",\"" : "\"") + std::to_string(i) + "\":0";
  text += "}";
  auto v = ParseJson(text, "calls", 64, 10);
  EXPECT_TRUE(IsTooLarge(v.status())) << v.status();
  EXPECT_EQ(v.status().message(), "calls has an object of more than 10 members");
  EXPECT_TRUE(ParseJson(text, "calls", 64, 11).ok());
}

// Distinct keys: eight times as many cost about eight times the CPU (a
// quadratic parse, 64 times; 200,000 keys would take minutes).
TEST(ParseJsonTest, ManyKeysParseInLinearTime) {
  auto parse = [](int keys) {
    std::string text = "{";
    for (int i = 0; i < keys; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
    text += "}";
    auto v = ParseJson(text, "json", 64, 1000000);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->size(), static_cast<size_t>(keys));
  };
  EXPECT_LT(testing::CpuGrowth(parse, 25000, 8), 24.0);
}

TEST(MergeMembersTest, OverwritesInPlaceAppendsAndSkips) {
  Value dest = {{"a", 1}, {"b", 2}};
  MergeMembers(dest, Value{{"b", 3}, {"json", 1}, {"c", 4}}, {"json"});
  EXPECT_EQ(dest.dump(), R"({"a":1,"b":3,"c":4})");
  Value none;
  MergeMembers(none, Value{{"x", "y"}});
  EXPECT_EQ(none.dump(), R"({"x":"y"})");
}

}  // namespace
}  // namespace kith
