// Custom data in the schema. Custom groups and fields are rows
// (civicrm_custom_group, civicrm_custom_field: the built-in entities
// CustomGroup and CustomField), and each group keeps its values in a table of
// its own, created at run time. DeriveCatalog() turns those rows into schema:
// for each group an entity "Custom_<name>" (id, entity_id, one column per
// field) and, for a single-record group, a ReverseJoin "custom_<name>" on the
// entity it extends, so that every store path, filter and return works on
// custom values as on any column (Contact "custom_Info.shoe_size_5").
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/value.h"
#include "schema/schema.h"

namespace kith::schema {

// A custom value's API key, CiviCRM's ^custom_(\d+)_?(-?\d+)?$: the field,
// and the row of a multi-record group ("custom_5_12" the row 12,
// "custom_5_-1" a new row; distinct negatives are distinct new rows).
struct CustomKey {
  int64_t field_id = 0;
  std::optional<int64_t> row;
};
std::optional<CustomKey> ParseCustomKey(std::string_view key);

// CiviCRM's CRM_Utils_String::munge: every run of characters other than
// ASCII letters and digits becomes '_', and the result is cut at
// `max_length` bytes. Only [A-Za-z0-9_] remain, so the result is a safe SQL
// identifier part.
std::string MungeName(std::string_view text, size_t max_length);

// The data types a custom field may have (CiviCRM's names) and the html
// types each allows; the first html type listed is the default.
bool IsCustomDataType(std::string_view data_type);
bool HtmlTypeFits(std::string_view data_type, std::string_view html_type);
std::string DefaultHtmlType(std::string_view data_type);
// CheckBox and the Multi-Select kinds hold several values (serialize = 1).
bool HtmlTypeIsMultiple(std::string_view html_type);
// The data types whose values are ids of another entity ("Country" ->
// "Country", "StateProvince", "ContactReference" -> "Contact"); "" otherwise.
std::string CustomDataTypeEntity(std::string_view data_type);

// The entity a custom group's `extends` names ("Individual" -> "Contact"), or
// "" when kith cannot extend it. Entities other than contacts are extendable
// when `catalog` has them (Group, Relationship).
std::string ExtendsBaseEntity(const Catalog& catalog, std::string_view extends);

// Names derived from a group or field row.
std::string CustomGroupEntityName(std::string_view group_name);  // "Custom_<name>"
std::string CustomGroupJoinName(std::string_view group_name);    // "custom_<name>"

// The built-in entities describing custom data (part of BuiltinCatalog()).
Entity CustomGroupEntity();
Entity CustomFieldEntity();

// The columns a store reads to derive a catalog: every column of
// CustomGroup rows, and of CustomField rows plus kOptionGroupNamePath (the
// name of the field's option group).
inline constexpr char kOptionGroupNamePath[] = "option_group_id.name";

// `base` (normally BuiltinCatalog()) plus the entities, joins and custom
// field index derived from `groups` (CustomGroup rows) and `fields`
// (CustomField rows with kOptionGroupNamePath), each in display order. A row
// that cannot be derived (no table yet, an extends kith cannot serve) is left
// out rather than failing: the store must always open.
std::shared_ptr<const Catalog> DeriveCatalog(const Catalog& base, const std::vector<Value>& groups,
                                             const std::vector<Value>& fields);

}  // namespace kith::schema
