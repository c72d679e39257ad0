#include "wire/common/json_writer.h"

#include <gtest/gtest.h>

#include <string>

namespace kith::wire {
namespace {

TEST(JsonWriterTest, CompactKeepsOrder) {
  Value v = Value::object();
  v["is_error"] = 0;
  v["version"] = 3;
  v["count"] = 1;
  v["values"] = Value::array({Value{{"id", "1"}}});
  EXPECT_EQ(ToJson(v), R"({"is_error":0,"version":3,"count":1,"values":[{"id":"1"}]})");
}

TEST(JsonWriterTest, SlashesAndUnicodeUnescaped) {
  Value v = {{"url", "http://example.org/a/b"}, {"name", "Zoë 日本 \xF0\x9F\x98\x80"}};
  EXPECT_EQ(ToJson(v), "{\"url\":\"http://example.org/a/b\",\"name\":\"Zoë 日本 \xF0\x9F\x98\x80\"}");
}

TEST(JsonWriterTest, ControlCharactersEscaped) {
  EXPECT_EQ(ToJson(Value("a\"b\\c\n\t\x01")), R"("a\"b\\c\n\t\u0001")");
}

TEST(JsonWriterTest, InvalidUtf8ReplacedWithoutThrowing) {
  Value v = {{"bad", "a\xFF" "b"}, {"trunc\xC3", 1}};
  std::string out;
  EXPECT_NO_THROW(out = ToJson(v));
  EXPECT_EQ(out, "{\"bad\":\"a\xEF\xBF\xBD" "b\",\"trunc\xEF\xBF\xBD\":1}");
  EXPECT_NO_THROW(out = ToJsonPretty(v));
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST(JsonWriterTest, Scalars) {
  EXPECT_EQ(ToJson(Value()), "null");
  EXPECT_EQ(ToJson(Value(true)), "true");
  EXPECT_EQ(ToJson(Value(1.5)), "1.5");
  EXPECT_EQ(ToJson(Value::array()), "[]");
  EXPECT_EQ(ToJson(Value::object()), "{}");
}

TEST(JsonWriterTest, PrettyUsesFourSpaces) {
  Value v = Value::object();
  v["a"] = 1;
  v["b"] = Value::array({"x/y"});
  v["c"] = Value::object();
  EXPECT_EQ(ToJsonPretty(v),
            "{\n"
            "    \"a\": 1,\n"
            "    \"b\": [\n"
            "        \"x/y\"\n"
            "    ],\n"
            "    \"c\": {}\n"
            "}");
}

}  // namespace
}  // namespace kith::wire
