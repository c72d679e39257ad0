#include "entities/row_texts.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

namespace kith::entities {
namespace {

TEST(RowTextsTest, OneListPerThreadLentToOneWriterAtATime) {
  {
    RowTexts first(3);
    first[2] = "kept";
    // A writer made while the list is lent: a list of its own.
    RowTexts second(4);
    EXPECT_EQ(second[2], "");
    second[2] = "its own";
    EXPECT_EQ(first[2], "kept");
  }
  // Given back: the next writer has the same list (no texts made anew),
  // grown to what it asks.
  RowTexts again(5);
  EXPECT_EQ(again[2], "kept");
  again[4] = "grown";
  EXPECT_EQ(again[4], "grown");
}

// A number's text is kept in its own room, apart from the other numbers'
// and from the string of the same index.
TEST(RowTextsTest, NumbersAreWrittenInRoomsOfTheirOwn) {
  RowTexts texts(3);
  texts[0] = "a string";
  std::string_view smallest = texts.Number(0, INT64_MIN);
  std::string_view zero = texts.Number(1, 0);
  std::string_view largest = texts.Number(2, INT64_MAX);
  EXPECT_EQ(smallest, "-9223372036854775808");
  EXPECT_EQ(zero, "0");
  EXPECT_EQ(largest, "9223372036854775807");
  EXPECT_EQ(texts[0], "a string");
}

// A row's views and marks are kept with the thread's texts (no list made
// per writer), and a writer made while they are lent has its own.
TEST(RowTextsTest, ViewsAndMarksAreKeptWithTheTexts) {
  const std::string_view* kept = nullptr;
  {
    RowTexts first(2);
    std::string_view* views = first.Views(2);
    views[1] = "kept";
    first.Marks(2)[1] = 7;
    kept = views;
    RowTexts second(2);
    EXPECT_NE(second.Views(2), views);
    EXPECT_NE(second.Marks(2), first.Marks(2));
  }
  RowTexts again(2);
  EXPECT_EQ(again.Views(2), kept);
  EXPECT_EQ(again.Views(2)[1], "kept");
  EXPECT_EQ(again.Marks(2)[1], 7u);
  std::string_view* grown = again.Views(50);
  grown[49] = "last";
  EXPECT_EQ(grown[1], "kept");
}

}  // namespace
}  // namespace kith::entities
