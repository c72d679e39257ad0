#include "api/field_values.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace kith::api {
namespace {

schema::Field MakeField(const char* name, schema::FieldType type, int max_length = 0) {
  schema::Field f;
  f.name = name;
  f.type = type;
  f.max_length = max_length;
  return f;
}

TEST(FieldValuesTest, IntegersFromStrings) {
  auto f = MakeField("gender_id", schema::FieldType::kInt);
  EXPECT_EQ(CoerceFieldValue(f, "12").value(), 12);
  EXPECT_TRUE(CoerceFieldValue(f, "").value().is_null());
  auto bad = CoerceFieldValue(f, "12a");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()), "gender_id is not a valid integer: 12a");
}

TEST(FieldValuesTest, DatesAreCheckedAndNormalised) {
  auto f = MakeField("birth_date", schema::FieldType::kDate);
  EXPECT_EQ(CoerceFieldValue(f, "1990-02-28").value(), "1990-02-28");
  EXPECT_EQ(CoerceFieldValue(f, "19900228").value(), "1990-02-28");
  EXPECT_EQ(CoerceFieldValue(f, "2000-02-29 10:00:00").value(), "2000-02-29");
  EXPECT_FALSE(CoerceFieldValue(f, "1990-02-30").ok());
  EXPECT_FALSE(CoerceFieldValue(f, "2001-02-29").ok());
  EXPECT_FALSE(CoerceFieldValue(f, "yesterday").ok());
  auto dt = MakeField("created_date", schema::FieldType::kDateTime);
  EXPECT_EQ(CoerceFieldValue(dt, "20200101000000").value(), "2020-01-01 00:00:00");
}

TEST(FieldValuesTest, BooleansAndLengths) {
  auto b = MakeField("do_not_email", schema::FieldType::kBool);
  EXPECT_EQ(CoerceFieldValue(b, "1").value(), true);
  EXPECT_EQ(CoerceFieldValue(b, "false").value(), false);
  EXPECT_FALSE(CoerceFieldValue(b, "maybe").ok());
  auto s = MakeField("first_name", schema::FieldType::kString, 3);
  EXPECT_EQ(CoerceFieldValue(s, "Zoë").value(), "Zoë");  // 3 characters, 4 bytes
  EXPECT_FALSE(CoerceFieldValue(s, "Zoey").ok());
}

TEST(FieldValuesTest, SerializedListsArePadded) {
  auto f = MakeField("contact_sub_type", schema::FieldType::kString);
  f.serialized = true;
  EXPECT_EQ(CoerceFieldValue(f, Value::array({"a", "b"})).value(), "\x01" "a\x01" "b\x01");
  EXPECT_EQ(CoerceFieldValue(f, Value{{"a", "1"}, {"b", "0"}}).value(), "\x01" "a\x01");
}

TEST(FieldValuesTest, TextForm) {
  EXPECT_EQ(ValueAsText(nullptr), "");
  EXPECT_EQ(ValueAsText(true), "1");
  EXPECT_EQ(ValueAsText(12), "12");
  EXPECT_EQ(ValueAsText(1.5), "1.5");
}

TEST(FieldValuesTest, CellTextOfAnIntegerAsToStringWritesIt) {
  std::string scratch = "left from before, longer than any number";
  for (int64_t n : {int64_t{0}, int64_t{7}, int64_t{-42}, std::numeric_limits<int64_t>::max(),
                    std::numeric_limits<int64_t>::min()}) {
    Cell cell;
    cell.kind = Cell::Kind::kInt;
    cell.integer = n;
    EXPECT_EQ(CellAsText(cell, scratch), std::to_string(n));
  }
  Cell text;
  text.kind = Cell::Kind::kText;
  text.text = "as it is";
  EXPECT_EQ(CellAsText(text, scratch), "as it is");
  EXPECT_EQ(CellAsText(Cell(), scratch), "");
}

}  // namespace
}  // namespace kith::api
