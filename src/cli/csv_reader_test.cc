#include "cli/csv_reader.h"

#include <gtest/gtest.h>

#include <sstream>

namespace kith::cli {
namespace {

std::vector<std::vector<std::string>> ReadAll(const std::string& text) {
  std::istringstream in(text);
  CsvReader reader(in);
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> fields;
  while (true) {
    auto more = reader.Next(fields);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    out.push_back(fields);
  }
  return out;
}

TEST(CsvReader, PlainFieldsAndLineEnds) {
  auto rows = ReadAll("a,b,c\r\n1,,3\n4,5,6");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "", "3"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"4", "5", "6"}));
}

TEST(CsvReader, QuotedFieldsKeepCommasQuotesAndNewlines) {
  std::istringstream in("name,note\n\"Hopper, Grace\",\"said \"\"hi\"\"\nthen left\"\nnext,x\n");
  CsvReader reader(in);
  std::vector<std::string> fields;
  ASSERT_TRUE(*reader.Next(fields));
  ASSERT_TRUE(*reader.Next(fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"Hopper, Grace", "said \"hi\"\nthen left"}));
  EXPECT_EQ(reader.record_line(), 2);
  ASSERT_TRUE(*reader.Next(fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"next", "x"}));
  EXPECT_EQ(reader.record_line(), 4);
  EXPECT_FALSE(*reader.Next(fields));
}

TEST(CsvReader, SkipsByteOrderMark) {
  auto rows = ReadAll("\xEF\xBB\xBF" "first_name\nAda\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "first_name");
}

TEST(CsvReader, BlankLineIsOneEmptyField) {
  auto rows = ReadAll("a\n\nb\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{""}));
}

TEST(CsvReader, UnclosedQuoteIsAnErrorNamingTheLine) {
  std::istringstream in("a\n\"open,\nstill open");
  CsvReader reader(in);
  std::vector<std::string> fields;
  ASSERT_TRUE(*reader.Next(fields));
  auto r = reader.Next(fields);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("line 2"), std::string::npos);
}

TEST(CsvReader, TextAfterClosingQuoteIsAnError) {
  std::istringstream in("\"ab\"c,d\n");
  CsvReader reader(in);
  std::vector<std::string> fields;
  EXPECT_FALSE(reader.Next(fields).ok());
}

}  // namespace
}  // namespace kith::cli
