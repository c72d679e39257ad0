#include "base/column_find.h"

#include <gtest/gtest.h>

namespace kith {
namespace {

// An object or array is left empty, of its own type, nested members and
// all; any other value is left as it was.
TEST(EmptyInPlaceTest, EmptiesObjectsAndArraysAndLeavesOtherValuesAlone) {
  Value row = {{"first_name", "Ann"}, {"email_primary", {{"email", "ann@example.org"}}}};
  EmptyInPlace(row);
  EXPECT_EQ(row, Value::object());
  Value list = Value::array({1, "two", Value::array({3})});
  EmptyInPlace(list);
  EXPECT_EQ(list, Value::array());
  Value text = "kept";
  EmptyInPlace(text);
  EXPECT_EQ(text, "kept");
  Value none;
  EmptyInPlace(none);
  EXPECT_TRUE(none.is_null());
}

// A found column is the row's own value, wherever the key was found last.
TEST(FindColumnTest, FindsEachKeyOfRowsInAnyOrder) {
  Value a = {{"id", 1}, {"name", "a"}};
  Value b = {{"name", "b"}, {"id", 2}};
  for (int i = 0; i < 2; ++i) {
    ASSERT_NE(FindColumn(a, "name"), nullptr);
    EXPECT_EQ(*FindColumn(a, "name"), "a");
    EXPECT_EQ(*FindColumn(b, "name"), "b");
  }
  EXPECT_EQ(FindColumn(a, "missing"), nullptr);
  EXPECT_EQ(FindColumn(Value("text"), "name"), nullptr);
}

}  // namespace
}  // namespace kith
