#include "wire/common/json_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>
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

// A character to escape is found wherever it stands in a longer string.
TEST(JsonWriterTest, EscapesFoundAtEveryPosition) {
  // \x85 alone: a stray UTF-8 continuation byte, replaced.
  for (std::string special : {"\"", "\\", "\n", "\x1F", "\x7F", "\xC3\xAB", "\xFF", "\x85"}) {
    for (size_t at = 0; at <= 20; ++at) {
      std::string s(21, 'x');
      s.replace(at, 1, special);
      Value v(s);
      EXPECT_EQ(ToJson(v), v.dump(-1, ' ', false, Value::error_handler_t::replace)) << at;
    }
  }
}

// The compact writer agrees byte for byte with nlohmann's dump (as
// json_encode) over random nested values: ASCII, escapes, UTF-8, invalid
// bytes, integers at their limits, doubles.
TEST(JsonWriterTest, CompactAgreesWithTheLibrarysDump) {
  std::mt19937_64 random(11);
  const std::vector<std::string> pieces = {"a", "Zo\xC3\xAB", "\"", "\\", "/", "\n", "\x01", "\x7F",
                                           "\xFF", "\xC3", "\xF0\x9F\x98\x80", " ", "9", "{}"};
  auto text = [&] {
    std::string s;
    // Up to some 40 bytes.
    for (int n = static_cast<int>(random() % 24); n > 0; --n) s += pieces[random() % pieces.size()];
    return s;
  };
  std::function<Value(int)> make = [&](int depth) -> Value {
    switch (random() % (depth > 3 ? 6 : 8)) {
      case 0: return Value();
      case 1: return Value(random() % 2 == 0);
      case 2: return Value(static_cast<int64_t>(random()));
      case 3: return Value(random() % 2 ? INT64_MIN : static_cast<uint64_t>(UINT64_MAX));
      case 4: return Value(static_cast<double>(static_cast<int64_t>(random() % 100000)) / 64.0);
      case 5: return Value(text());
      case 6: {
        Value a = Value::array();
        for (int n = static_cast<int>(random() % 4); n > 0; --n) a.push_back(make(depth + 1));
        return a;
      }
      default: {
        Value o = Value::object();
        for (int n = static_cast<int>(random() % 4); n > 0; --n) o[text()] = make(depth + 1);
        return o;
      }
    }
  };
  for (int i = 0; i < 3000; ++i) {
    Value v = make(0);
    ASSERT_EQ(ToJson(v), v.dump(-1, ' ', false, Value::error_handler_t::replace)) << i;
  }
}

// Rows written member by member have the bytes of the same rows built as
// objects: plain and escaped keys and text, invalid UTF-8, numbers, flags,
// nulls, structures, and a row that leaves members out.
TEST(JsonWriterTest, RowsWrittenAsReadMatchRowsBuiltWhole) {
  JsonRows rows;
  rows.Keys({"id", "name", "a\"b/ë", "flag", "amount", "tags"});
  Value whole = Value::array();
  rows.BeginRow();
  rows.Int(0, 7);
  rows.Text(1, "Zoë \"x\"\n\x01 \xFF");
  rows.Null(2);
  rows.Bool(3, true);
  rows.Any(4, Value(12.5));
  rows.Any(5, Value::array({"a", 1}));
  rows.EndRow();
  whole.push_back(Value{{"id", 7}, {"name", "Zoë \"x\"\n\x01 \xFF"}, {"a\"b/ë", nullptr},
                        {"flag", true}, {"amount", 12.5}, {"tags", Value::array({"a", 1})}});
  rows.BeginRow();
  rows.Text(1, "");
  rows.Bool(3, false);
  rows.Any(0, Value(-9));
  rows.EndRow();
  whole.push_back(Value{{"name", ""}, {"flag", false}, {"id", -9}});
  EXPECT_EQ("[" + std::string(rows.text()) + "]", ToJson(whole));
  EXPECT_EQ(rows.rows(), 2);
  EXPECT_EQ(rows.last_id(), -9);
  rows.BeginRow();
  rows.EndRow();
  EXPECT_EQ(rows.last_id(), std::nullopt);
  EXPECT_TRUE(rows.used());
  EXPECT_FALSE(JsonRows().used());
}

// A null or boolean member is written whole from its key's rendering: at a
// row's start without the comma that parts it from a member before it. The
// rendering of a key list is kept and used again by a writer with the same keys.
TEST(JsonWriterTest, ConstantMembersStartARowWithoutAComma) {
  JsonRows rows;
  rows.Keys({"x", "y"});
  rows.BeginRow();
  rows.Null(0);
  rows.Bool(1, true);
  rows.EndRow();
  rows.BeginRow();
  rows.Bool(1, false);
  rows.Null(0);
  rows.EndRow();
  EXPECT_EQ(rows.text(), R"({"x":null,"y":true},{"y":false,"x":null})");
  JsonRows again;
  again.Keys({"x", "y"});
  again.BeginRow();
  again.Null(1);
  again.Int(0, 3);
  again.EndRow();
  EXPECT_EQ(again.text(), R"({"y":null,"x":3})");
  JsonRows other;
  other.Keys({"x", "z"});
  other.BeginRow();
  other.Bool(1, true);
  other.Text(0, "t");
  other.EndRow();
  EXPECT_EQ(other.text(), R"({"z":true,"x":"t"})");
}

// A shared key list is known again by its address: each list's rows get
// their own keys, whichever was seen last, and a list first seen by its
// texts (Keys) is found for a shared one with the same texts.
TEST(JsonWriterTest, SharedKeyListsKeepTheirOwnKeys) {
  auto first = std::make_shared<const RowKeys>(std::vector<std::string>{"id", "first"});
  auto second = std::make_shared<const RowKeys>(std::vector<std::string>{"id", "second"});
  auto write = [](const std::shared_ptr<const RowKeys>& keys) {
    JsonRows rows;
    rows.SharedKeys(keys);
    rows.BeginRow();
    rows.Int(0, 4);
    rows.Null(1);
    rows.EndRow();
    EXPECT_EQ(rows.last_id(), 4);
    return std::string(rows.text());
  };
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(write(first), R"({"id":4,"first":null})");
    EXPECT_EQ(write(second), R"({"id":4,"second":null})");
  }
  JsonRows by_text;
  by_text.Keys({"id", "third"});
  auto third = std::make_shared<const RowKeys>(std::vector<std::string>{"id", "third"});
  EXPECT_EQ(write(third), R"({"id":4,"third":null})");
  // More lists than are kept rendered: each is rendered again when it
  // comes back.
  std::vector<std::shared_ptr<const RowKeys>> many;
  for (int i = 0; i < 6; ++i) {
    many.push_back(std::make_shared<const RowKeys>(
        std::vector<std::string>{"id", "k" + std::to_string(i)}));
  }
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(write(many[i]), "{\"id\":4,\"k" + std::to_string(i) + "\":null}");
    }
  }
}

// Rows written member by member (keys' texts copied in 16-byte blocks, texts
// checked and copied a word at a time, a row's '{' put over its first
// member's comma, the text grown past its first 4 KiB) have the bytes of the
// same rows built whole: keys and texts of every length up to 70 bytes,
// with and without bytes to escape, members in any order, empty rows.
TEST(JsonWriterTest, RandomRowsWrittenAsReadMatchRowsBuiltWhole) {
  std::mt19937_64 random(20);
  const std::vector<std::string> specials = {"\"", "\\", "\n", "\x01", "\x1F", "\x7F",
                                             "\x80", "\xC3\xAB", "\xFF", "/", " ", "~"};
  auto text = [&](size_t size) {
    std::string s;
    for (size_t i = 0; i < size; ++i) s += static_cast<char>('a' + random() % 26);
    if (size > 0 && random() % 3 == 0) s.replace(random() % size, 1, specials[random() % specials.size()]);
    return s;
  };
  for (int round = 0; round < 40; ++round) {
    std::vector<std::string> names;
    const size_t key_count = 1 + random() % 12;
    for (size_t k = 0; k < key_count; ++k) {
      std::string name = text(random() % 40) + "_" + std::to_string(k);  // each its own
      names.push_back(name);
    }
    if (round % 4 == 0) names[random() % names.size()] = "id";
    std::vector<std::string_view> keys(names.begin(), names.end());
    JsonRows rows;
    rows.Keys(keys);
    Value whole = Value::array();
    const int row_count = 1 + static_cast<int>(random() % 30);
    for (int r = 0; r < row_count; ++r) {
      std::vector<size_t> order(keys.size());
      for (size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::shuffle(order.begin(), order.end(), random);
      order.resize(random() % (order.size() + 1));
      Value row = Value::object();
      rows.BeginRow();
      for (size_t k : order) {
        switch (random() % 5) {
          case 0:
            rows.Null(k);
            row[names[k]] = nullptr;
            break;
          case 1: {
            const bool b = random() % 2 == 0;
            rows.Bool(k, b);
            row[names[k]] = b;
            break;
          }
          case 2: {
            const int64_t n = random() % 2 ? static_cast<int64_t>(random()) : INT64_MIN;
            rows.Int(k, n);
            row[names[k]] = n;
            break;
          }
          case 3: {
            const std::string t = text(random() % 70);
            rows.Text(k, t);
            row[names[k]] = t;
            break;
          }
          default: {
            const Value any = Value::array({text(random() % 20), 1.5});
            rows.Any(k, any);
            row[names[k]] = any;
            break;
          }
        }
      }
      rows.EndRow();
      whole.push_back(std::move(row));
    }
    ASSERT_EQ("[" + std::string(rows.text()) + "]", ToJson(whole)) << round;
    EXPECT_EQ(rows.rows(), row_count);
  }
}

// A text of each size up to 40 bytes with one byte to escape at each place
// in it is escaped; the same text without it is copied as it is.
TEST(JsonWriterTest, RowTextsOfEverySizeAreEscapedWhereTheyNeedIt) {
  JsonRows rows;
  rows.Keys({"t"});
  Value whole = Value::array();
  for (size_t size = 0; size <= 40; ++size) {
    const std::string plain(size, 'p');
    rows.BeginRow();
    rows.Text(0, plain);
    rows.EndRow();
    whole.push_back(Value{{"t", plain}});
    for (size_t at = 0; at < size; ++at) {
      for (const char* special : {"\"", "\x1F", "\x80", "\\"}) {
        std::string text = plain;
        text[at] = *special;
        rows.BeginRow();
        rows.Text(0, text);
        rows.EndRow();
        whole.push_back(Value{{"t", text}});
      }
    }
  }
  EXPECT_EQ("[" + std::string(rows.text()) + "]", ToJson(whole));
}

// Text is written as it is only when every byte is printable ASCII other
// than a quote or a backslash, wherever the one other byte stands (the check
// goes a word at a time), and is then escaped as nlohmann's serializer does.
TEST(JsonWriterTest, ABytesToEscapeIsFoundAtEveryPlace) {
  const std::string plain = "abcdefghijklmnopq/ ~\x7f";  // 21 bytes: two words and a tail
  EXPECT_TRUE(IsPlainJsonText(plain));
  EXPECT_EQ(ToJson(Value(plain)), "\"" + plain + "\"");
  for (int b = 0; b < 256; ++b) {
    bool expected_plain = b >= 0x20 && b < 0x80 && b != '"' && b != '\\';
    for (size_t at = 0; at < plain.size(); ++at) {
      std::string text = plain;
      text[at] = static_cast<char>(b);
      ASSERT_EQ(IsPlainJsonText(text), expected_plain) << b << " at " << at;
      Value v(text);
      ASSERT_EQ(ToJson(v), v.dump(-1, ' ', false, Value::error_handler_t::replace)) << b << " at " << at;
    }
  }
}

}  // namespace
}  // namespace kith::wire
