// Custom values on contacts, for the contact actions of every dialect: the
// custom_N keys of a contact write taken out and checked, written once the
// contact exists (its type and sub types must fit each field's group), and
// the store path and text of custom_N in a contact get.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/action_registry.h"
#include "api/custom_data.h"
#include "store/query.h"

namespace kith::entities {

// Removes the custom keys (custom_N, custom_N_R, ...) from `input` and
// returns them coerced (api::PrepareCustomValues): kInvalidArgument naming
// the key for an unknown field or a value that does not fit.
StatusOr<std::vector<api::CustomValueWrite>> TakeContactCustomValues(api::ActionContext& ctx,
                                                                     Value& input);

// Writes `writes` for contact `contact_id`. kInvalidArgument "Invalid Custom
// Field Contact Type: <type>" (+ " or Mismatched SubType: <sub types>") when
// a field's group does not extend this contact's type and sub types, as
// CiviCRM says it; kNotFound when the contact does not exist.
Status SaveContactCustomValues(api::ActionContext& ctx, int64_t contact_id,
                               const std::vector<api::CustomValueWrite>& writes);

// The field `key` ("custom_12") names when it is a field of a single-record
// group extending contacts (returnable through its path), else nullptr.
const schema::CustomFieldInfo* ContactCustomField(const schema::Catalog& catalog,
                                                  const std::string& key);

// The field a contact search criterion `key` ("custom_12") names: any field
// of a group extending contacts, else nullptr.
const schema::CustomFieldInfo* ContactCustomFilterField(const schema::Catalog& catalog,
                                                        const std::string& key);

// The contact condition of criterion `value` on custom field `field` (the
// filter syntax of entities/field_conditions.h on its column): contacts
// having a row whose column matches. A multi-valued field matches when it
// holds the value (any of them, for a list or {value: 1} object); a date is
// compared as CiviCRM stores it (YYYY-MM-DD HH:MM:SS).
StatusOr<store::Condition> CustomFieldCriterion(const schema::CustomFieldInfo& field,
                                                const std::string& key, const Value& value,
                                                bool percent_means_like);

}  // namespace kith::entities
