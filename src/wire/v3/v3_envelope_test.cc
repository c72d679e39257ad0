#include "wire/v3/v3_envelope.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error_details.h"
#include "wire/common/json_writer.h"

namespace kith::wire::v3 {
namespace {

constexpr char kOpen[] =
    "<?xml version=\"1.0\"?>\n      <ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ";

Value GetEnvelope() {
  return Value{{"is_error", 0},
               {"version", 3},
               {"count", 1},
               {"id", 4},
               {"values", {{"4", {{"contact_id", "4"}, {"display_name", "Grace Hopper"}, {"id", "4"}}}}}};
}

TEST(V3NormalizeTest, ScalarsAreWrappedAsResult) {
  EXPECT_EQ(NormalizeV3Result(Value(2)), (Value{{"is_error", 0}, {"result", 2}}));
  EXPECT_EQ(NormalizeV3Result(Value("Sue")), (Value{{"is_error", 0}, {"result", "Sue"}}));
  // PHP's falsy values all become 0.
  for (const Value& falsy : {Value(), Value(false), Value(""), Value("0"), Value(0)}) {
    EXPECT_EQ(NormalizeV3Result(falsy), (Value{{"is_error", 0}, {"result", 0}})) << falsy.dump();
  }
}

TEST(V3NormalizeTest, FlatRecordsGetIsErrorAppended) {
  Value single{{"contact_id", "3"}, {"id", "3"}};
  Value normalized = NormalizeV3Result(single);
  EXPECT_EQ(normalized.dump(), R"({"contact_id":"3","id":"3","is_error":0})");
  // Hierarchical results and results that carry is_error stay as they are.
  EXPECT_EQ(NormalizeV3Result(GetEnvelope()), GetEnvelope());
  Value error{{"count", 2}, {"is_error", 1}, {"error_message", "Expected one Contact but found 2"}};
  EXPECT_EQ(NormalizeV3Result(error), error);
}

TEST(V3ErrorTest, DetailsComeFirstThenCodeEntityAction) {
  Status s = InvalidArgument("Mandatory key(s) missing from params array: contact_type",
                             Value{{"fields", {"contact_type"}}, {"error_code", "mandatory_missing"}});
  EXPECT_EQ(RenderV3Json(V3ErrorBody(s, "Contact", "create")),
            R"({"fields":["contact_type"],"error_code":"mandatory_missing","entity":"Contact",)"
            R"("action":"create","is_error":1,"error_message":"Mandatory key(s) missing from )"
            R"(params array: contact_type"})");
  // No error_code in the status: 0.
  EXPECT_EQ(RenderV3Json(V3ErrorBody(InvalidArgument("Could not delete contact"), "Contact", "delete")),
            R"({"error_code":0,"entity":"Contact","action":"delete","is_error":1,)"
            R"("error_message":"Could not delete contact"})");
  EXPECT_EQ(RenderV3Json(V3RestError("Failed to authenticate key")),
            R"({"error_message":"Failed to authenticate key","is_error":1})");
}

TEST(V3JsonTest, KeepsOrderAndSplitsMultiValues) {
  EXPECT_EQ(RenderV3Json(GetEnvelope()),
            R"({"is_error":0,"version":3,"count":1,"id":4,"values":{"4":{"contact_id":"4",)"
            R"("display_name":"Grace Hopper","id":"4"}}})");
  Value group{{"group_type", "\x01" "1\x01" "2\x01"}, {"plain", "a/b é"}};
  EXPECT_EQ(RenderV3Json(group), R"({"group_type":["1","2"],"plain":"a/b é"})");
  EXPECT_EQ(RenderV3Json(Value{{"values", Value::array()}}), R"({"values":[]})");
}

// Rows written apart go where the whole answer has them: the frame around
// them is the rest of the answer byte for byte, members after `values` too.
TEST(V3JsonTest, RowsFrameIsTheAnswerAroundItsRows) {
  Value whole = GetEnvelope();
  whole["undefined_fields"] = Value::array({"x\x01y"});
  Value framed = whole;
  framed["values"] = Value::object();
  std::string head, tail;
  ASSERT_TRUE(RowsFrame(framed, /*json=*/true, head, tail).ok());
  EXPECT_EQ(head + R"("4":{"contact_id":"4","display_name":"Grace Hopper","id":"4"})" + tail,
            RenderV3Json(whole));

  Value list = Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", Value::array()}};
  ASSERT_TRUE(RowsFrame(list, /*json=*/true, head, tail).ok());
  EXPECT_EQ(head + "{}" + tail, R"({"is_error":0,"version":3,"count":1,"values":[{}]})");
  EXPECT_FALSE(RowsFrame(Value{{"is_error", 0}}, /*json=*/true, head, tail).ok());
}

// Whole numbers of every size and sign, and numbers that are not, are
// framed as the whole answer renders them.
TEST(V3JsonTest, RowsFrameNumbersAsTheAnswerHasThem) {
  Value whole{{"is_error", 0},
              {"min", INT64_MIN},
              {"max", INT64_MAX},
              {"unsigned", UINT64_MAX},
              {"real", 2.5},
              {"id", -7},
              {"values", Value::array({"r"})},
              {"after", 12}};
  Value framed = whole;
  framed["values"] = Value::array();
  std::string head, tail;
  ASSERT_TRUE(RowsFrame(framed, /*json=*/true, head, tail).ok());
  EXPECT_EQ(head + R"("r")" + tail, RenderV3Json(whole));
}

// A get's usual envelope (framed by its own shortcut) and ones a member
// off it (framed member by member) alike: the frame is the rest of the
// whole answer's text.
TEST(V3JsonTest, RowsFrameOfUsualAndNearlyUsualEnvelopes) {
  const Value row{{"id", "2"}, {"q", "\"x\""}};
  const std::vector<Value> envelopes = {
      Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"id", 2}, {"values", Value::object()}},
      Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"id", INT64_MIN}, {"values", Value::object()}},
      Value{{"is_error", 0}, {"version", 3}, {"count", 2}, {"values", Value::object()}},
      Value{{"is_error", 0}, {"version", 3}, {"count", INT64_MAX}, {"values", Value::array()}},
      Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"id", "x\"y"}, {"values", Value::object()}},
      Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"id", 2.5}, {"values", Value::object()}},
      Value{{"is_error", 0}, {"version", "3"}, {"count", 1}, {"values", Value::object()}},
      Value{{"is_error", 0}, {"version", 4}, {"count", 1}, {"values", Value::object()}},
      Value{{"is_error", false}, {"version", 3}, {"count", 1}, {"values", Value::object()}},
      Value{{"is_error", 0}, {"version", 3}, {"count", 1U}, {"values", Value::array()}},
      Value{{"is_error", 0}, {"version", 3}, {"values", Value::array()}, {"count", 1}},
      Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"ids", 2}, {"values", Value::object()}},
      Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"id", 2}, {"values", Value::object()},
            {"undefined_fields", Value::array({"a"})}},
  };
  for (const Value& framed : envelopes) {
    Value whole = framed;
    const bool list = framed["values"].is_array();
    whole["values"] = list ? Value::array({row}) : Value{{"2", row}};
    std::string head, tail;
    ASSERT_TRUE(RowsFrame(framed, /*json=*/true, head, tail).ok()) << framed.dump();
    const std::string rows = (list ? "" : R"("2":)") + ToJson(row);
    EXPECT_EQ(head + rows + tail, RenderV3Json(whole)) << framed.dump();
    // Put around the rows in place: the same answer.
    std::string in_place = rows;
    ASSERT_TRUE(FrameRows(framed, /*json=*/true, in_place).ok()) << framed.dump();
    EXPECT_EQ(in_place, RenderV3Json(whole)) << framed.dump();
    // XML: the answer with no <Result>, its rows going before its end.
    Value no_rows = framed;
    no_rows["values"] = Value::object();
    ASSERT_TRUE(RowsFrame(framed, /*json=*/false, head, tail).ok()) << framed.dump();
    EXPECT_EQ(tail, "</ResultSet>\n");
    EXPECT_EQ(head + tail, RenderV3Xml(no_rows)) << framed.dump();
    std::string xml_in_place = "<Result/>";
    ASSERT_TRUE(FrameRows(framed, /*json=*/false, xml_in_place).ok()) << framed.dump();
    EXPECT_EQ(xml_in_place, head + "<Result/>" + tail) << framed.dump();
  }
  // XML, and an envelope with no place for the rows (left as they were).
  Value xml_framed = envelopes[0];
  std::string head, tail;
  ASSERT_TRUE(RowsFrame(xml_framed, /*json=*/false, head, tail).ok());
  std::string xml_rows = "<Result>\n    <id>2</id>\n</Result>\n";
  std::string in_place = xml_rows;
  ASSERT_TRUE(FrameRows(xml_framed, /*json=*/false, in_place).ok());
  EXPECT_EQ(in_place, head + xml_rows + tail);
  std::string untouched = "{}";
  EXPECT_FALSE(FrameRows(Value{{"is_error", 0}}, /*json=*/true, untouched).ok());
  EXPECT_EQ(untouched, "{}");
}

TEST(V3XmlTest, OneResultPerValueWithCiviCrmsOpeningText) {
  std::string xml = RenderV3Xml(GetEnvelope());
  EXPECT_EQ(xml, std::string(kOpen) +
                     " count=\"1\" >\n      <Result>\n    <contact_id>4</contact_id>\n"
                     "    <display_name>Grace Hopper</display_name>\n    <id>4</id>\n</Result>\n"
                     "</ResultSet>\n");
}

TEST(V3XmlTest, EmptyResultSetAndFlatResults) {
  Value none{{"is_error", 0}, {"version", 3}, {"count", 0}, {"values", Value::array()}};
  EXPECT_EQ(RenderV3Xml(none), std::string(kOpen) + " count=\"0\" >\n      </ResultSet>\n");
  EXPECT_EQ(RenderV3Xml(Value{{"is_error", 0}, {"result", 1}}),
            std::string(kOpen) +
                ">\n      <Result>\n    <is_error>0</is_error>\n    <result>1</result>\n</Result>\n"
                "</ResultSet>\n");
  // delete's scalar values: flat, count as the attribute and an element.
  EXPECT_EQ(RenderV3Xml(Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", 1}}),
            std::string(kOpen) +
                " count=\"1\" >\n      <Result>\n    <is_error>0</is_error>\n    <version>3</version>\n"
                "    <count>1</count>\n    <values>1</values>\n</Result>\n</ResultSet>\n");
}

TEST(V3XmlTest, ErrorsWithListsStayReadableAndWellFormed) {
  Status s = InvalidArgument("Mandatory key(s) missing from params array: contact_type",
                             Value{{"fields", {"contact_type"}}, {"error_code", "mandatory_missing"}});
  std::string xml = RenderV3Xml(V3ErrorBody(s, "Contact", "create"));
  EXPECT_NE(xml.find("    <fields>\n        <item key=\"0\">contact_type</item>\n    </fields>\n"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<error_message>Mandatory key(s) missing from params array: contact_type"),
            std::string::npos);
}

TEST(V3XmlTest, MultiValuesNumericKeysAndScalarEntries) {
  Value body{{"is_error", 0},
             {"count", 1},
             {"values", {{"7", {{"group_type", "\x01" "1\x01" "2\x01"}, {"12", "x<y"}}}}}};
  std::string xml = RenderV3Xml(body);
  EXPECT_NE(xml.find("<group_type>1,2</group_type>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<item key=\"12\">x&lt;y</item>"), std::string::npos) << xml;
  Value options{{"is_error", 0}, {"count", 2}, {"values", {{"1", "Home"}, {"2", "Work"}}}};
  EXPECT_EQ(RenderV3Xml(options),
            std::string(kOpen) +
                " count=\"2\" >\n      <Result>\n<id>1</id><value>Home</value></Result>\n"
                "<Result>\n<id>2</id><value>Work</value></Result>\n</ResultSet>\n");
}

TEST(V3ErrorTest, IsV3Error) {
  EXPECT_TRUE(IsV3Error(Value{{"is_error", 1}}));
  EXPECT_TRUE(IsV3Error(Value{{"is_error", true}}));
  // As the JSON comparisons with 1, true and "1" read them.
  EXPECT_TRUE(IsV3Error(Value{{"is_error", "1"}}));
  EXPECT_TRUE(IsV3Error(Value{{"is_error", 1.0}}));
  EXPECT_TRUE(IsV3Error(Value{{"is_error", 1u}}));
  EXPECT_FALSE(IsV3Error(Value{{"is_error", "0"}}));
  EXPECT_FALSE(IsV3Error(Value{{"is_error", " 1"}}));
  EXPECT_FALSE(IsV3Error(Value{{"is_error", 2}}));
  EXPECT_FALSE(IsV3Error(Value{{"is_error", 1.5}}));
  EXPECT_FALSE(IsV3Error(Value{{"is_error", false}}));
  EXPECT_FALSE(IsV3Error(Value{{"is_error", nullptr}}));
  EXPECT_FALSE(IsV3Error(Value{{"is_error", Value::array({1})}}));
  EXPECT_FALSE(IsV3Error(Value{{"other", 1}}));
  EXPECT_FALSE(IsV3Error(Value{{"is_error", 0}}));
  EXPECT_FALSE(IsV3Error(Value(3)));
}

}  // namespace
}  // namespace kith::wire::v3
