// Custom values: reading and writing the values of custom fields for one
// record (a contact, ...), the same for every dialect. A field's values live
// in its group's entity ("Custom_<group>", see schema/custom_schema.h): one
// row per record for a single-record group, any number for a multi-record
// one. Values are checked against the field's data type and option list,
// and errors name the field by its API key ("custom_12"). All work happens
// in the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/query.h"
#include "store/store.h"

namespace kith::api {

// A custom value's key resolved: custom_N, custom_N_R / custom_N:R (row R of
// a multi-record group; negative R: a new row) and custom_<group>:<field>
// (:R). `field` is null when the key has a custom form but names no field.
struct CustomTarget {
  const schema::CustomFieldInfo* field = nullptr;
  std::optional<int64_t> row;
};
std::optional<CustomTarget> ResolveCustomKey(const schema::Catalog& catalog, std::string_view key);

// One value to write.
struct CustomValueWrite {
  const schema::CustomFieldInfo* field = nullptr;
  std::optional<int64_t> row;
  std::string key;  // as sent, for messages
  Value stored;     // as CoerceCustomValue made it
};

// The stored form of `input` for `field`; `key` names it in errors.
//   Scalars: the data type's form (Int, Float, Money numbers; Date
//   "YYYY-MM-DD HH:MM:SS"; Boolean 1/0/true/false/yes/no; Country,
//   StateProvince (also by name, ISO code or abbreviation) and
//   ContactReference ids of existing rows); "" or null clears (null).
//   Fields with an option list take an option's value, name or label and
//   store its value.
//   Multi-valued fields (serialize) take a list; an object in the CheckBox
//   form {option: 1, ...} (the keys whose value is true), except that keys
//   0, 1, ... that are not all options make a list of the values
//   (custom_N[]=a&custom_N[]=b); a JSON list text; the \x01-separated form;
//   or one value. Stored "\x01a\x01b\x01", "" when empty.
// kInvalidArgument "<key> is not a valid <what>: <value>" with details
// {"error_code": 2001, "error_field": key}.
StatusOr<Value> CoerceCustomValue(store::Transaction& txn, const schema::CustomFieldInfo& field,
                                  const std::string& key, const Value& input);

// Resolves and coerces every custom key of `params` whose field extends
// `base_entity`; other keys are left alone. kInvalidArgument "Unknown field:
// <key>" when a custom key names no field (or one of another entity), or
// whatever CoerceCustomValue returns.
StatusOr<std::vector<CustomValueWrite>> PrepareCustomValues(store::Transaction& txn,
                                                            const schema::Catalog& catalog,
                                                            std::string_view base_entity,
                                                            const Value& params);

// Does custom group `group` extend a contact of this type and these sub
// types? (extends Contact or the type itself; when the group lists sub
// types, the contact must have one of them.)
bool CustomGroupFitsContact(const schema::CustomGroupInfo& group, std::string_view contact_type,
                            const std::vector<std::string>& sub_types);

// Writes `writes` for record `entity_id` of the entity the fields extend. A
// single-record group's row is created or updated; for a multi-record group
// no row or a negative one creates a row (equal negatives share it), a
// positive one updates that row, which must belong to `entity_id`
// (kNotFound otherwise).
Status WriteCustomValues(store::Transaction& txn, int64_t entity_id,
                         const std::vector<CustomValueWrite>& writes);

// The rows of `group` for `entity_id` (id order), keyed "id", "entity_id"
// and the fields' column names.
StatusOr<std::vector<Value>> ReadCustomRows(store::Transaction& txn,
                                            const schema::CustomGroupInfo& group,
                                            int64_t entity_id);

// The v2/v3 text of a stored value: "" for null, Money with two decimals,
// Boolean "1"/"0", multi-values raw ("\x01a\x01b\x01").
std::string CustomValueText(const schema::CustomFieldInfo& field, const Value& stored);

// A condition on the extended entity ("id IN (SELECT entity_id FROM the
// group's table WHERE ...)") from `on_column`, a condition whose paths are
// column names of the field's group entity. Works for every kind of group
// and uses the column's index when the field is searchable.
store::Condition CustomFieldCondition(const schema::CustomFieldInfo& field,
                                      store::Condition on_column);

}  // namespace kith::api
