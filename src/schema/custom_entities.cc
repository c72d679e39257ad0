// The built-in entities describing custom data, in CiviCRM's column order
// (civicrm_custom_group, civicrm_custom_field as CiviCRM 6 lists them).
// Names, table_name and column_name are computed by kith's rules
// (entities/custom_data_rules.cc), hence read-only here.
#include "schema/custom_schema.h"
#include "schema/entity_builder.h"

namespace kith::schema {

Entity CustomGroupEntity() {
  EntityBuilder b("CustomGroup", "civicrm_custom_group");
  b.Str("name", "Custom Group Name", 64).Unique()
      .Str("title", "Custom Group Title", 64).Required()
      .Str("extends", "Custom Group Extends", 255).Default("Contact")
      .Int("extends_entity_column_id", "Custom Group Subtype List")
      .Str("extends_entity_column_value", "Custom Group Subtype", 255).Serialized()
      .Str("style", "Display Style", 15).Default("Inline")
      .Bool("collapse_display", "Collapse Custom Group?")
      .Text("help_pre", "Custom Group Pre Text")
      .Text("help_post", "Custom Group Post Text")
      .Int("weight", "Order").Default(1)
      .Bool("is_active", "Custom Group Is Active?", true)
      .Str("table_name", "Table Name", 255).Readonly()
      .Bool("is_multiple", "Supports Multiple Records")
      .Int("min_multiple", "Minimum Multiple Records")
      .Int("max_multiple", "Maximum Multiple Records")
      .Bool("collapse_adv_display", "Collapse Group Display")
      .Int("created_id", "Created By Contact ID").Fk("Contact")
      .DateTime("created_date", "Custom Group Created Date").Readonly()
      .Bool("is_reserved", "Reserved Group?")
      .Bool("is_public", "Custom Group Is Public?", true)
      .Str("icon", "Icon", 255);
  return b.Build();
}

Entity CustomFieldEntity() {
  EntityBuilder b("CustomField", "civicrm_custom_field");
  b.Int("custom_group_id", "Custom Group ID").Fk("CustomGroup").Required()
      .Str("name", "Custom Field Name", 64)
      .Str("label", "Custom Field Label", 255).Required()
      .Str("data_type", "Data Type", 16).Default("String")
      .Str("html_type", "HTML Type", 32)
      .Str("default_value", "Custom Field Default", 255)
      .Bool("is_required", "Custom Field Is Required?")
      .Bool("is_searchable", "Allow Searching on Field?")
      .Bool("is_search_range", "Search as a Range")
      .Int("weight", "Order").Default(1)
      .Text("help_pre", "Custom Field Pre Text")
      .Text("help_post", "Custom Field Post Text")
      .Str("attributes", "Field Attributes", 255)
      .Bool("is_active", "Custom Field Is Active?", true)
      .Bool("is_view", "Field is Viewable")
      .Bool("file_is_public", "File is Public")
      .Int("options_per_line", "Field Options Per Line")
      .Int("text_length", "Field Length")
      .Int("start_date_years", "Field Start Date")
      .Int("end_date_years", "Field End Date")
      .Str("date_format", "Field Data Format", 64)
      .Int("time_format", "Field Time Format")
      .Int("note_columns", "Field Note Columns")
      .Int("note_rows", "Field Note Rows")
      .Str("column_name", "Field Column Name", 255).Readonly()
      .Int("option_group_id", "Field Option Group").Fk("OptionGroup")
      .Int("serialize", "Serialize").Default(0)
      .Str("filter", "Field Filter", 255)
      .Bool("in_selector", "Field Display")
      .Str("fk_entity", "Entity", 255)
      .Str("fk_entity_on_delete", "On Referenced Entity Delete", 255).Default("set_null")
      .Index({"custom_group_id", "weight"})
      .UniqueIndex({"custom_group_id", "name"});
  return b.Build();
}

}  // namespace kith::schema
