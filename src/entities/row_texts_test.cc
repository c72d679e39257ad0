#include "entities/row_texts.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kith::entities
