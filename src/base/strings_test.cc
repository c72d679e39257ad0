#include "base/strings.h"

#include <gtest/gtest.h>

namespace kith {
namespace {

TEST(StringsTest, ParseInt64AcceptsOnlyWholeIntegers) {
  EXPECT_EQ(ParseInt64("42"), 42);
  EXPECT_EQ(ParseInt64("-7"), -7);
  EXPECT_EQ(ParseInt64("+7"), 7);
  EXPECT_FALSE(ParseInt64(""));
  EXPECT_FALSE(ParseInt64("4x"));
  EXPECT_FALSE(ParseInt64(" 4"));
  EXPECT_FALSE(ParseInt64("99999999999999999999"));
}

TEST(StringsTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("Zoë 日本 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(StringsTest, CaseHelpers) {
  EXPECT_TRUE(EqualsIgnoreCase("GroupContact", "groupcontact"));
  EXPECT_FALSE(EqualsIgnoreCase("Group", "Groups"));
  EXPECT_EQ(AsciiLower("AbC"), "abc");
  EXPECT_EQ(TrimAscii("  x y \n"), "x y");
}

// Lowered eight bytes at a time: every byte at every place of texts of up
// to twenty bytes is lowered as byte-by-byte lowering does ('A'..'Z' only;
// '@', '[', bytes over 0x7f and the rest kept).
TEST(StringsTest, AsciiLowerLowersEveryByteAtEveryPlace) {
  for (size_t size = 1; size <= 20; ++size) {
    for (size_t at = 0; at < size; ++at) {
      for (int b = 0; b < 256; ++b) {
        std::string text(size, 'Q');
        text[at] = static_cast<char>(b);
        std::string expected = text;
        for (char& c : expected) {
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
        }
        ASSERT_EQ(AsciiLower(text), expected) << size << " " << at << " " << b;
      }
    }
  }
  EXPECT_EQ(AsciiLower(""), "");
  EXPECT_EQ(AsciiLower("X-Civi-Auth: Bearer"), "x-civi-auth: bearer");
}

TEST(StringsTest, SplitAndJoin) {
  EXPECT_EQ(Split("a,,b", ','), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(Split("a,,b,", ',', true), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(Join({"x", "y"}, ", "), "x, y");
}

}  // namespace
}  // namespace kith
