#include "schema/custom_schema.h"

#include <gtest/gtest.h>

namespace kith::schema {
namespace {

TEST(MungeName, KeepsLettersAndDigitsAndJoinsTheRestWithUnderscores) {
  EXPECT_EQ(MungeName("Shoe size", 32), "Shoe_size");
  EXPECT_EQ(MungeName("  CG3 abc  ", 64), "CG3_abc");
  EXPECT_EQ(MungeName("a -- b; DROP TABLE x", 64), "a_b_DROP_TABLE_x");
  EXPECT_EQ(MungeName("Größe", 64), "Gr_e");
  EXPECT_EQ(MungeName("abcdefghij", 4), "abcd");
}

TEST(ParseCustomKey, FollowsCiviCrmsPattern) {
  auto plain = ParseCustomKey("custom_12");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->field_id, 12);
  EXPECT_FALSE(plain->row.has_value());
  auto row = ParseCustomKey("custom_12_7");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->row, 7);
  EXPECT_EQ(ParseCustomKey("custom_12_-1")->row, -1);
  EXPECT_FALSE(ParseCustomKey("custom_").has_value());
  EXPECT_FALSE(ParseCustomKey("custom_x").has_value());
  EXPECT_FALSE(ParseCustomKey("custom_12_x").has_value());
  EXPECT_FALSE(ParseCustomKey("customs_12").has_value());
}

TEST(HtmlTypes, FitTheirDataTypes) {
  EXPECT_TRUE(HtmlTypeFits("String", "CheckBox"));
  EXPECT_TRUE(HtmlTypeFits("Int", "Select"));
  EXPECT_TRUE(HtmlTypeFits("Date", "Select Date"));
  EXPECT_FALSE(HtmlTypeFits("Date", "Text"));
  EXPECT_FALSE(HtmlTypeFits("Boolean", "CheckBox"));
  EXPECT_FALSE(HtmlTypeFits("Nope", "Text"));
  EXPECT_EQ(DefaultHtmlType("Memo"), "TextArea");
  EXPECT_EQ(DefaultHtmlType("Boolean"), "Radio");
  EXPECT_TRUE(HtmlTypeIsMultiple("Multi-Select"));
  EXPECT_FALSE(HtmlTypeIsMultiple("Select"));
}

Value Group(int64_t id, const std::string& name, const std::string& extends, int multiple = 0) {
  return Value{{"id", id},        {"name", name},
               {"title", name},   {"extends", extends},
               {"is_multiple", multiple}, {"is_active", 1},
               {"extends_entity_column_value", nullptr},
               {"table_name", "civicrm_value_" + name + "_" + std::to_string(id)}};
}

Value FieldRow(int64_t id, int64_t group, const std::string& name, const std::string& data_type,
               int serialize = 0, const std::string& options = "") {
  return Value{{"id", id},
               {"custom_group_id", group},
               {"name", name},
               {"label", name},
               {"data_type", data_type},
               {"html_type", "Text"},
               {"column_name", name + "_" + std::to_string(id)},
               {"serialize", serialize},
               {"is_active", 1},
               {"is_searchable", 1},
               {kOptionGroupNamePath, options.empty() ? Value() : Value(options)}};
}

TEST(DeriveCatalog, MakesAnEntityPerGroupAndAJoinForSingleRecordGroups) {
  auto base = BuiltinCatalog();
  std::vector<Value> groups = {Group(1, "Info", "Individual"), Group(2, "Visits", "Contact", 1)};
  std::vector<Value> fields = {FieldRow(10, 1, "age", "Int"),
                               FieldRow(11, 1, "tags", "String", 1, "tags_11"),
                               FieldRow(12, 1, "vegan", "Boolean"),
                               FieldRow(13, 1, "home", "Country"),
                               FieldRow(14, 2, "when", "Date")};
  auto catalog = DeriveCatalog(*base, groups, fields);

  const Entity* info = catalog->Find("Custom_Info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->table, "civicrm_value_Info_1");
  ASSERT_NE(info->FindField("entity_id"), nullptr);
  EXPECT_TRUE(info->FindField("entity_id")->unique);
  EXPECT_EQ(info->FindField("entity_id")->fk_entity, "Contact");
  EXPECT_EQ(info->FindField("age_10")->type, FieldType::kInt);
  EXPECT_TRUE(info->FindField("tags_11")->serialized);
  EXPECT_EQ(info->FindField("tags_11")->option_group, "tags_11");
  EXPECT_TRUE(info->FindField("vegan_12")->nullable);
  EXPECT_EQ(info->FindField("home_13")->fk_entity, "Country");
  EXPECT_EQ(info->indexes.size(), 4u);  // every field is searchable here
  EXPECT_FALSE(info->api);  // single-record: not an API entity of its own

  const Entity* visits = catalog->Find("Custom_Visits");
  ASSERT_NE(visits, nullptr);
  EXPECT_FALSE(visits->FindField("entity_id")->unique);
  EXPECT_EQ(visits->FindField("when_14")->type, FieldType::kDateTime);
  EXPECT_TRUE(visits->api);

  const Entity* contact = catalog->Find("Contact");
  ASSERT_NE(contact->FindJoin("custom_Info"), nullptr);
  EXPECT_EQ(contact->FindJoin("custom_Visits"), nullptr);  // one-to-many: no join
  EXPECT_EQ(base->Find("Contact")->FindJoin("custom_Info"), nullptr);

  const CustomFieldInfo* age = catalog->FindCustomFieldByKey("custom_10");
  ASSERT_NE(age, nullptr);
  EXPECT_EQ(age->path, "custom_Info.age_10");
  EXPECT_EQ(catalog->FindCustomField("Info", "age"), age);
  EXPECT_EQ(catalog->FindCustomField(14)->path, "");
  EXPECT_EQ(catalog->FindCustomGroup(1)->field_ids, (std::vector<int64_t>{10, 11, 12, 13}));
  EXPECT_EQ(catalog->CustomFieldsOf("Contact").size(), 5u);
}

TEST(DeriveCatalog, LeavesOutRowsItCannotServe) {
  auto base = BuiltinCatalog();
  Value no_table = Group(1, "Pending", "Contact");
  no_table["table_name"] = nullptr;
  Value bad_name = Group(2, "x; DROP", "Contact");
  Value unknown_extends = Group(3, "Acts", "Activity");
  Value bad_column = FieldRow(10, 4, "ok", "String");
  bad_column["column_name"] = "a b";
  auto catalog = DeriveCatalog(*base, {no_table, bad_name, unknown_extends, Group(4, "Fine", "Contact")},
                               {bad_column});
  EXPECT_EQ(catalog->custom_groups().size(), 1u);
  EXPECT_NE(catalog->Find("Custom_Fine"), nullptr);
  EXPECT_EQ(catalog->FindCustomField(10), nullptr);
}

}  // namespace
}  // namespace kith::schema
