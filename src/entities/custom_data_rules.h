// CustomGroup's and CustomField's own rules, run on every write whatever the
// dialect (api/records.h hooks):
//   - names made from the title/label as CiviCRM makes them (munged, at most
//     64 characters) and kept unique (a group's name among groups, a field's
//     within its group); a name given is munged too, and a taken one is an
//     error;
//   - extends, data_type and html_type checked (schema/custom_schema.h),
//     html_type defaulting from the data type, serialize = 1 for CheckBox
//     and Multi-Select kinds, weight after the last one;
//   - after the insert, the schema follows: a group gets table_name
//     civicrm_value_<name>_<id> and its table, a field gets column_name
//     <label>_<id> and its column (indexed when searchable), and the
//     transaction's catalog is re-derived (published on commit).
// What a type's values can no longer change into (a field's data type, its
// group, whether it is multi-valued; a group's name, extends or
// is_multiple) is refused on update.
#pragma once

#include "api/records.h"

namespace kith::entities {

// Registers the rules of CustomGroup and CustomField.
void RegisterCustomDataRules(api::RulesRegistry& rules);

}  // namespace kith::entities
