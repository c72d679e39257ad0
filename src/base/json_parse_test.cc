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

// The same Value, member types included (a non-negative integer is
// unsigned in nlohmann, a negative one signed).
void ExpectSameTree(const Value& a, const Value& b, const std::string& text) {
  ASSERT_EQ(a.type(), b.type()) << text;
  ASSERT_EQ(a.dump(), b.dump()) << text;
  if (a.is_object()) {
    auto bi = b.begin();
    for (auto ai = a.begin(); ai != a.end(); ++ai, ++bi) {
      ASSERT_EQ(ai.key(), bi.key()) << text;
      ExpectSameTree(ai.value(), bi.value(), text);
    }
  } else if (a.is_array()) {
    for (size_t i = 0; i < a.size(); ++i) ExpectSameTree(a[i], b[i], text);
  }
}

// Small plain texts take a shorter way (no nlohmann lexer): the same trees
// as nlohmann's own parser, and the same errors and limits as before.
TEST(ParseJsonTest, SmallPlainTextsParseAsNlohmannDoes) {
  for (const char* text :
       {R"({"where":[["id","=",2]]})", R"( { "a" : -5 , "b":[true,false,null,0,"x y/z"] } )", "7",
        "-12", "0", R"("s")", "[]", "{}", R"({"select":["*"],"limit":25,"offset":0})",
        R"({"a":{"b":{"c":[1,[2,[3]]]}}})", R"({"n":123456789012345678})",
        R"({"n":1234567890123456789})", R"({"n":-9223372036854775808})", R"({"f":1.5,"e":1e3})",
        R"({"u":"caf\u00e9","t":"tab\there"})", "{\"raw\":\"caf\xc3\xa9\"}",
        R"({"a":1,"a":2})", R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9})",
        R"([1,2,3,4,5,6,7,8,9,10])", "-0", "[-0]"}) {
    auto ours = ParseJson(text, "json", 64, 1000);
    ASSERT_TRUE(ours.ok()) << text << ": " << ours.status();
    ExpectSameTree(*ours, Value::parse(text), text);
  }
  for (const char* bad : {"", " ", "{", "[1,]", R"({"a":1,})", "01", "1.", "tru", "nul", "truex",
                          R"({"a" 1})", R"(["x)", "[1 2]", "{}x", "--1", "+1", "\"\x01\""}) {
    auto v = ParseJson(bad, "json", 64, 1000);
    EXPECT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().message(), "json is not valid JSON") << bad;
  }
  EXPECT_EQ(ParseJson("[[[1]]]", "json", 2, 1000).status().message(), "json nests deeper than 2 levels");
  EXPECT_TRUE(ParseJson("[[1]]", "json", 2, 1000).ok());
  EXPECT_EQ(ParseJson(R"({"a":1,"b":2})", "calls", 64, 1).status().message(),
            "calls has an object of more than 1 members");
}

TEST(MergeMembersTest, OverwritesInPlaceAppendsAndSkips) {
  Value dest = {{"a", 1}, {"b", 2}};
  MergeMembers(dest, Value{{"b", 3}, {"json", 1}, {"c", 4}}, {"json"});
  EXPECT_EQ(dest.dump(), R"({"a":1,"b":3,"c":4})");
  // Larger objects (an index of the keys rather than a search per key): the same.
  Value many = Value::object();
  Value more = Value::object();
  for (int i = 0; i < 12; ++i) many["k" + std::to_string(i)] = i;
  for (int i = 6; i < 18; ++i) more["k" + std::to_string(i)] = -i;
  more["json"] = 1;
  MergeMembers(many, more, {"json"});
  ASSERT_EQ(many.size(), 18u);
  EXPECT_EQ(many["k5"], 5);
  EXPECT_EQ(many["k6"], -6);
  EXPECT_EQ(many.items().begin().key(), "k0");
  EXPECT_EQ((--many.end()).key(), "k17");
  Value none;
  MergeMembers(none, Value{{"x", "y"}});
  EXPECT_EQ(none.dump(), R"({"x":"y"})");
}

}  // namespace
}  // namespace kith
