#include "wire/common/text_rows.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/common/json_writer.h"
#include "wire/common/xml_writer.h"

namespace kith::wire {
namespace {

// Writes `rows` (flat objects with the same keys) to `out` member by member.
void WriteRows(const std::vector<Value>& rows, AnswerRows& out) {
  std::vector<std::string> names;
  for (const auto& [k, v] : rows.front().items()) names.push_back(k);
  std::vector<std::string_view> keys(names.begin(), names.end());
  out.Keys(keys);
  for (const Value& row : rows) {
    out.BeginRow();
    size_t i = 0;
    for (const auto& [k, v] : row.items()) out.Any(i++, v);
    out.EndRow();
  }
}

const std::vector<Value>& Rows() {
  static const std::vector<Value> rows = {
      Value{{"contact_id", "5"}, {"name", "Ann \"A\" <b>"}, {"tags", "\x01x\x01y\x01"},
            {"n", 3}, {"off", nullptr}, {"weird key", "é"}, {"id", "5"}},
      Value{{"contact_id", "7"}, {"name", ",{"}, {"tags", ""}, {"n", -1}, {"off", nullptr},
            {"weird key", "\x02"}, {"id", "7"}}};
  return rows;
}

TEST(TextRowsTest, JsonListIsTheRowsJoined) {
  TextRows out({TextRows::Format::kJson, TextRows::MultiValues::kAsText, false, "\n,"});
  WriteRows(Rows(), out);
  EXPECT_EQ(out.text(), ToJson(Rows()[0]) + "\n," + ToJson(Rows()[1]));
  EXPECT_EQ(out.rows(), 2);
  EXPECT_EQ(out.first_id(), "5");
  EXPECT_EQ(out.last_id(), "7");
}

// Plain texts (written whole, the empty one as its key's rendered member)
// come out as the general writer writes them: first member empty or not,
// keyed by id or listed, beside texts that need escapes.
TEST(TextRowsTest, JsonPlainAndEmptyTextsAsTheValuesWriterWrites) {
  const std::vector<Value> rows = {
      Value{{"a", ""}, {"b", "plain text"}, {"c", ""}, {"d", "q\"uote"}, {"id", "1"}},
      Value{{"a", "x"}, {"b", ""}, {"c", "\x01m\x01"}, {"d", ""}, {"id", "2"}}};
  TextRows listed({TextRows::Format::kJson, TextRows::MultiValues::kAsText, false, ","});
  WriteRows(rows, listed);
  EXPECT_EQ(listed.text(), ToJson(rows[0]) + "," + ToJson(rows[1]));
  TextRows keyed({TextRows::Format::kJson, TextRows::MultiValues::kAsText, true, ","});
  WriteRows(rows, keyed);
  EXPECT_EQ("{" + keyed.text() + "}", ToJson(Value{{"1", rows[0]}, {"2", rows[1]}}));
}

TEST(TextRowsTest, JsonKeyedByIdWithMultiValuesAsLists) {
  TextRows out({TextRows::Format::kJson, TextRows::MultiValues::kList, true, ","});
  WriteRows(Rows(), out);
  Value first = Rows()[0];
  first["tags"] = Value::array({"x", "y"});
  Value keyed{{"5", first}, {"7", Rows()[1]}};
  std::string whole = ToJson(keyed);
  EXPECT_EQ("{" + out.text() + "}", whole);
}

TEST(TextRowsTest, XmlResultsWithTrimmedMultiValues) {
  TextRows out({TextRows::Format::kXml, TextRows::MultiValues::kTrimmed, false, ""});
  WriteRows(Rows(), out);
  std::string expected;
  for (Value row : Rows()) {
    if (row["tags"] == "\x01x\x01y\x01") row["tags"] = "x\x01y";
    expected += "<Result>\n";
    AppendXmlChildren(row, 1, expected);
    expected += "</Result>\n";
  }
  EXPECT_EQ(out.text(), expected);
  out.Reset();
  EXPECT_FALSE(out.used());
  EXPECT_EQ(out.text(), "");
}

}  // namespace
}  // namespace kith::wire
