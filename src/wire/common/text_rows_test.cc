#include "wire/common/text_rows.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wire/common/json_writer.h"
#include "wire/common/xml_writer.h"

namespace kith::wire {
namespace {

// Every index of a row of `n` texts: each text looked at for escapes.
std::vector<size_t> AllIndexes(size_t n) {
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  return all;
}

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

// Writes `rows` (flat objects of texts with the same keys; a null member
// left out) to `out` a row at a time, its keys shared.
void WriteTextRows(const std::vector<Value>& rows, AnswerRows& out) {
  std::vector<std::string> names;
  for (const auto& [k, v] : rows.front().items()) names.push_back(k);
  out.SharedKeys(std::make_shared<const RowKeys>(names));
  for (const Value& row : rows) {
    std::vector<KeyedText> members;
    size_t i = 0;
    for (const auto& [k, v] : row.items()) {
      if (v.is_string()) members.push_back({i, v.get_ref<const std::string&>()});
      ++i;
    }
    out.TextRow(members);
  }
}

// A row written whole has the bytes of the same row written member by
// member, in each form: first member empty or not, members left out, texts
// that need escapes or are multi-values beside plain ones.
TEST(TextRowsTest, TextRowIsTheRowWrittenMemberByMember) {
  const std::vector<Value> rows = {
      Value{{"a", ""}, {"b", "plain text"}, {"c", ""}, {"id", "1"}},
      Value{{"a", "x"}, {"b", ""}, {"c", nullptr}, {"id", "2"}},
      Value{{"a", nullptr}, {"b", "q\"uote"}, {"c", "\x01m\x01n\x01"}, {"id", "3"}},
      Value{{"a", "é"}, {"b", "<b>&"}, {"c", "tab\there"}, {"id", "4"}}};
  const std::vector<TextRows::Options> forms = {
      {TextRows::Format::kJson, TextRows::MultiValues::kAsText, false, "\n,", "id"},
      {TextRows::Format::kJson, TextRows::MultiValues::kList, true, ",", "id"},
      {TextRows::Format::kJson, TextRows::MultiValues::kAsText, true, ",", "a"},
      {TextRows::Format::kXml, TextRows::MultiValues::kTrimmed, false, "", "id"}};
  for (const TextRows::Options& form : forms) {
    TextRows whole(form);
    WriteTextRows(rows, whole);
    TextRows by_member(form);
    std::vector<std::string> names;
    for (const auto& [k, v] : rows.front().items()) names.push_back(k);
    by_member.Keys(std::vector<std::string_view>(names.begin(), names.end()));
    for (const Value& row : rows) {
      by_member.BeginRow();
      size_t i = 0;
      for (const auto& [k, v] : row.items()) {
        if (v.is_string()) by_member.Text(i, v.get_ref<const std::string&>());
        ++i;
      }
      by_member.EndRow();
    }
    EXPECT_EQ(whole.text(), by_member.text());
    EXPECT_EQ(whole.rows(), 4);
    EXPECT_EQ(whole.first_id(), by_member.first_id());
    EXPECT_EQ(whole.last_id(), by_member.last_id());
  }
  // And as the values writer writes them: listed, and keyed by id.
  const std::vector<Value> plain = {Value{{"a", ""}, {"b", "x y"}, {"id", "7"}},
                                    Value{{"a", "z"}, {"b", ""}, {"id", "9"}}};
  TextRows listed({TextRows::Format::kJson, TextRows::MultiValues::kAsText, false, ","});
  WriteTextRows(plain, listed);
  EXPECT_EQ(listed.text(), ToJson(plain[0]) + "," + ToJson(plain[1]));
  TextRows keyed({TextRows::Format::kJson, TextRows::MultiValues::kList, true, ","});
  WriteTextRows(plain, keyed);
  EXPECT_EQ("{" + keyed.text() + "}", ToJson(Value{{"7", plain[0]}, {"9", plain[1]}}));
}

// Shared key lists are known by their address: two lists of other keys in
// turn each get their own keys' texts.
TEST(TextRowsTest, SharedKeysOfEachListAreItsOwn) {
  auto ab = std::make_shared<const RowKeys>(std::vector<std::string>{"a", "b"});
  auto cd = std::make_shared<const RowKeys>(std::vector<std::string>{"c", "d"});
  std::vector<KeyedText> row = {{0, "1"}, {1, ""}};
  for (int round = 0; round < 2; ++round) {
    TextRows first({TextRows::Format::kJson, TextRows::MultiValues::kAsText, false, ","});
    first.SharedKeys(ab);
    first.TextRow(row);
    EXPECT_EQ(first.text(), R"({"a":"1","b":""})");
    TextRows second({TextRows::Format::kJson, TextRows::MultiValues::kAsText, false, ","});
    second.SharedKeys(cd);
    second.TextRow(row);
    EXPECT_EQ(second.text(), R"({"c":"1","d":""})");
  }
}

// A row of every key's text in key order has the bytes of the same row
// written member by member, in each form: empty members first, last or
// alone, texts that need escapes or are multi-values, no id key.
TEST(TextRowsTest, KeyOrderTextRowIsTheRowWrittenMemberByMember) {
  const std::vector<std::vector<std::string_view>> rows = {
      {"", "plain text", "", "1"}, {"x", "", "", "2"},       {"", "", "", ""},
      {"a", "b", "c", "3"},        {"q\"uote", "", "", "4"}, {"", "\x01m\x01n\x01", "tab\there", "5"}};
  const std::vector<TextRows::Options> forms = {
      {TextRows::Format::kJson, TextRows::MultiValues::kAsText, false, "\n,", "id"},
      {TextRows::Format::kJson, TextRows::MultiValues::kList, true, ",", "id"},
      {TextRows::Format::kJson, TextRows::MultiValues::kAsText, true, ",", "none"},
      {TextRows::Format::kXml, TextRows::MultiValues::kTrimmed, false, "", "id"}};
  auto keys = std::make_shared<const RowKeys>(std::vector<std::string>{"a", "b b", "c", "id"});
  for (const TextRows::Options& form : forms) {
    TextRows whole(form);
    whole.SharedKeys(keys);
    TextRows by_member(form);
    by_member.Keys(keys->views());
    for (const std::vector<std::string_view>& row : rows) {
      whole.KeyOrderTextRow(row, AllIndexes(row.size()));
      by_member.BeginRow();
      for (size_t i = 0; i < row.size(); ++i) by_member.Text(i, row[i]);
      by_member.EndRow();
    }
    EXPECT_EQ(whole.text(), by_member.text());
    EXPECT_EQ(whole.rows(), static_cast<int64_t>(rows.size()));
    EXPECT_EQ(whole.first_id(), by_member.first_id());
    EXPECT_EQ(whole.last_id(), by_member.last_id());
  }
  // And as the values writer writes them.
  TextRows listed({TextRows::Format::kJson, TextRows::MultiValues::kAsText, false, ","});
  listed.SharedKeys(keys);
  listed.KeyOrderTextRow(rows[0], AllIndexes(4));
  listed.KeyOrderTextRow(rows[2], AllIndexes(4));
  EXPECT_EQ(listed.text(), ToJson(Value{{"a", ""}, {"b b", "plain text"}, {"c", ""}, {"id", "1"}}) + "," +
                               ToJson(Value{{"a", ""}, {"b b", ""}, {"c", ""}, {"id", ""}}));
  EXPECT_EQ(listed.first_id(), "1");
  EXPECT_EQ(listed.last_id(), "");
}

// A row with fewer texts than keys is no row of every key: written as its
// members are, the keys' own.
TEST(TextRowsTest, KeyOrderTextRowOfFewerTextsWritesThoseMembers) {
  auto keys = std::make_shared<const RowKeys>(std::vector<std::string>{"a", "b", "id"});
  TextRows out({TextRows::Format::kJson, TextRows::MultiValues::kAsText, false, ","});
  out.SharedKeys(keys);
  const std::vector<std::string_view> texts = {"1", ""};
  out.KeyOrderTextRow(texts, AllIndexes(2));
  EXPECT_EQ(out.text(), R"({"a":"1","b":""})");
}

// Only the texts marked as such are looked at for escapes: one that needs
// them is escaped wherever it is; the unmarked ones (numbers) go as they
// are, and a text marked that needs none is written whole too.
TEST(TextRowsTest, KeyOrderTextRowLooksAtTheMarkedTextsOnly) {
  auto keys = std::make_shared<const RowKeys>(std::vector<std::string>{"a", "b", "c c", "d", "id"});
  const std::vector<std::vector<std::string_view>> rows = {
      {"12", "q\"uote", "", "a<b & 'c'", "7"},
      {"-1", "plain", "x\x01y", "Zo\xc3\xab", "8"},
      {"", "", "", "", ""}};
  const std::vector<size_t> marked_texts = {1, 2, 3};
  const std::vector<TextRows::Options> forms = {
      {TextRows::Format::kJson, TextRows::MultiValues::kList, false, ","},
      {TextRows::Format::kJson, TextRows::MultiValues::kList, true, ","},
      {TextRows::Format::kXml, TextRows::MultiValues::kTrimmed, false, ""},
      {TextRows::Format::kXml, TextRows::MultiValues::kAsText, false, ""}};
  for (const TextRows::Options& form : forms) {
    TextRows marked(form);
    marked.SharedKeys(keys);
    TextRows by_member(form);
    by_member.Keys(keys->views());
    for (const std::vector<std::string_view>& texts : rows) {
      marked.KeyOrderTextRow(texts, marked_texts);
      by_member.BeginRow();
      for (size_t i = 0; i < texts.size(); ++i) by_member.Text(i, texts[i]);
      by_member.EndRow();
    }
    EXPECT_EQ(marked.text(), by_member.text());
    EXPECT_EQ(marked.rows(), 3);
    EXPECT_EQ(marked.first_id(), "7");
    EXPECT_EQ(marked.last_id(), "");
  }
  TextRows quoted({TextRows::Format::kJson, TextRows::MultiValues::kList, false, ","});
  quoted.SharedKeys(keys);
  quoted.KeyOrderTextRow(rows[0], marked_texts);
  EXPECT_NE(quoted.text().find(R"("b":"q\"uote")"), std::string::npos) << quoted.text();
  // Unmarked texts are written as they are, looked at or not.
  TextRows plain({TextRows::Format::kJson, TextRows::MultiValues::kList, false, ","});
  plain.SharedKeys(keys);
  const std::vector<std::string_view> numbers = {"-3", "plain", "", "4", "8"};
  const std::vector<size_t> none;
  plain.KeyOrderTextRow(numbers, none);
  EXPECT_EQ(plain.text(), R"({"a":"-3","b":"plain","c c":"","d":"4","id":"8"})");
  EXPECT_EQ(plain.first_id(), "8");
  TextRows xml({TextRows::Format::kXml, TextRows::MultiValues::kTrimmed, false, ""});
  xml.SharedKeys(keys);
  xml.KeyOrderTextRow(numbers, none);
  EXPECT_EQ(xml.text(),
            "<Result>\n    <a>-3</a>\n    <b>plain</b>\n    <item key=\"c c\"></item>\n"
            "    <d>4</d>\n    <id>8</id>\n</Result>\n");
}

}  // namespace
}  // namespace kith::wire
