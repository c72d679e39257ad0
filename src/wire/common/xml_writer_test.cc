#include "wire/common/xml_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace kith::wire {
namespace {

std::string Children(const Value& v, int depth = 1) {
  std::string out;
  AppendXmlChildren(v, depth, out);
  return out;
}

TEST(XmlEscapeTest, EscapesMarkupCharacters) {
  EXPECT_EQ(XmlEscape("Tom & Jerry <b>\"x\" 'y'</b>"),
            "Tom &amp; Jerry &lt;b&gt;&quot;x&quot; &apos;y&apos;&lt;/b&gt;");
  EXPECT_EQ(XmlEscape("&amp;"), "&amp;amp;");
  EXPECT_EQ(XmlEscape(""), "");
}

TEST(XmlEscapeTest, SeparatorBecomesComma) {
  EXPECT_EQ(XmlEscape("\x01" "1\x01" "2\x01"), ",1,2,");
}

TEST(XmlEscapeTest, DropsForbiddenControls) {
  EXPECT_EQ(XmlEscape(std::string("a\x00" "b\x02\x08\x0B\x0C\x1F" "c", 9)), "abc");
  EXPECT_EQ(XmlEscape("tab\there\nnl\rcr"), "tab\there\nnl\rcr");
  EXPECT_EQ(XmlEscape("x\xEF\xBF\xBEy\xEF\xBF\xBFz"), "xyz");  // U+FFFE, U+FFFF
  EXPECT_EQ(XmlEscape("x\x7Fy"), "x\x7Fy");                    // DEL is allowed in XML 1.0
}

TEST(XmlEscapeTest, UnicodePassesThrough) {
  EXPECT_EQ(XmlEscape("Zoë 日本 \xF0\x9F\x98\x80 \xEF\xBF\xBD"), "Zoë 日本 \xF0\x9F\x98\x80 \xEF\xBF\xBD");
}

TEST(XmlEscapeTest, InvalidUtf8IsReplaced) {
  EXPECT_EQ(XmlEscape("a\xFF" "b\xC3"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
}

TEST(IsXmlNameTest, Names) {
  EXPECT_TRUE(IsXmlName("contact_id"));
  EXPECT_TRUE(IsXmlName("_x"));
  EXPECT_TRUE(IsXmlName("api.Email.get"));
  EXPECT_TRUE(IsXmlName("a-1"));
  EXPECT_TRUE(IsXmlName("xm"));
  EXPECT_FALSE(IsXmlName(""));
  EXPECT_FALSE(IsXmlName("12"));
  EXPECT_FALSE(IsXmlName("0"));
  EXPECT_FALSE(IsXmlName("1a"));
  EXPECT_FALSE(IsXmlName("-a"));
  EXPECT_FALSE(IsXmlName(".a"));
  EXPECT_FALSE(IsXmlName("first name"));
  EXPECT_FALSE(IsXmlName("a:b"));
  EXPECT_FALSE(IsXmlName("a<b"));
  EXPECT_FALSE(IsXmlName("xml"));
  EXPECT_FALSE(IsXmlName("XmLfoo"));
  EXPECT_FALSE(IsXmlName("naïve"));
}

TEST(AppendXmlChildrenTest, ScalarLeaves) {
  Value v = Value::object();
  v["s"] = "a & b";
  v["i"] = 42;
  v["neg"] = -7;
  v["d"] = 1.5;
  v["t"] = true;
  v["f"] = false;
  v["n"] = nullptr;
  v["sep"] = "\x01" "1\x01" "2\x01";
  EXPECT_EQ(Children(v),
            "    <s>a &amp; b</s>\n"
            "    <i>42</i>\n"
            "    <neg>-7</neg>\n"
            "    <d>1.5</d>\n"
            "    <t>1</t>\n"
            "    <f></f>\n"
            "    <n></n>\n"
            "    <sep>,1,2,</sep>\n");
}

TEST(AppendXmlChildrenTest, NonNameKeysBecomeItems) {
  Value v = Value::object();
  v["12"] = Value{{"id", "12"}};
  v["first name"] = "x";
  v["a\"<b"] = "y";
  EXPECT_EQ(Children(v, 0),
            "<item key=\"12\">\n"
            "    <id>12</id>\n"
            "</item>\n"
            "<item key=\"first name\">x</item>\n"
            "<item key=\"a&quot;&lt;b\">y</item>\n");
}

TEST(AppendXmlChildrenTest, NestedObjectsAndArraysIndent) {
  Value v = Value::parse(R"({
    "is_error": 0,
    "values": {
      "3": {"contact_id": "3", "api.Email.get": {"count": 1, "values": [{"email": "a@b.org"}]}},
      "tags": ["x", "y"]
    }
  })");
  EXPECT_EQ(Children(v),
            "    <is_error>0</is_error>\n"
            "    <values>\n"
            "        <item key=\"3\">\n"
            "            <contact_id>3</contact_id>\n"
            "            <api.Email.get>\n"
            "                <count>1</count>\n"
            "                <values>\n"
            "                    <item key=\"0\">\n"
            "                        <email>a@b.org</email>\n"
            "                    </item>\n"
            "                </values>\n"
            "            </api.Email.get>\n"
            "        </item>\n"
            "        <tags>\n"
            "            <item key=\"0\">x</item>\n"
            "            <item key=\"1\">y</item>\n"
            "        </tags>\n"
            "    </values>\n");
}

TEST(AppendXmlChildrenTest, EmptyContainers) {
  Value v = Value::object();
  v["values"] = Value::array();
  v["options"] = Value::object();
  v["list"] = Value::array({Value::array(), Value::object()});
  EXPECT_EQ(Children(v, 2),
            "        <values></values>\n"
            "        <options></options>\n"
            "        <list>\n"
            "            <item key=\"0\"></item>\n"
            "            <item key=\"1\"></item>\n"
            "        </list>\n");
}

TEST(AppendXmlChildrenTest, TopLevelArrayAndScalar) {
  EXPECT_EQ(Children(Value::array({"a", 2}), 0), "<item key=\"0\">a</item>\n<item key=\"1\">2</item>\n");
  EXPECT_EQ(Children(Value("scalar")), "");
  EXPECT_EQ(Children(Value::object()), "");
}

TEST(AppendXmlChildrenTest, AppendsToExistingOutput) {
  std::string out = "<ResultSet>\n";
  AppendXmlChildren(Value{{"a", "1"}}, 1, out);
  EXPECT_EQ(out, "<ResultSet>\n    <a>1</a>\n");
}

TEST(AppendXmlChildrenTest, UnicodeAndControlsInValues) {
  Value v = {{"name", "Zoë \x02日本"}};
  EXPECT_EQ(Children(v, 0), "<name>Zoë 日本</name>\n");
}

TEST(AppendXmlChildrenTest, NumbersAsJsonText) {
  Value v = Value::object();
  v["big"] = 18446744073709551615ull;
  v["third"] = 0.1;
  v["whole"] = 3.0;
  v["nan"] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(Children(v, 0),
            "<big>18446744073709551615</big>\n"
            "<third>0.1</third>\n"
            "<whole>3.0</whole>\n"
            "<nan></nan>\n");
}

}  // namespace
}  // namespace kith::wire
