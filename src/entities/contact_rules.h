// Contact's own rules: contact types, display_name and sort_name built as
// CiviCRM builds them (shared/PROTOCOL.md C.4.2), the contact hash and
// created/modified dates; and the saving of a contact's email, phone and
// address blocks by location type.
#pragma once

#include <string>

#include "api/action_registry.h"
#include "api/records.h"

namespace kith::entities {

// Registers the before-write rules of Contact, Email, Phone and Address.
void RegisterContactRules(api::RulesRegistry& rules);

// True for Individual, Household and Organization.
bool IsContactType(const std::string& type);

// Whether `record`'s names fall back to its primary email: a contact that is
// neither a Household nor an Organization and has no first, middle or last
// name (BuildContactNames).
bool NamesNeedPrimaryEmail(const Value& record);

// display_name and sort_name for `record` (a whole contact row), given the
// labels of its prefix and suffix and its primary email (the fallback when an
// individual has no name parts). Returns {display_name, sort_name}.
std::pair<std::string, std::string> BuildContactNames(const Value& record,
                                                      const std::string& prefix_label,
                                                      const std::string& suffix_label,
                                                      const std::string& primary_email);

// Recomputes and stores the names of contact `id` (after its primary email
// changed, for example).
Status RefreshContactNames(api::ActionContext& ctx, int64_t id);

// The `select`ed columns of contact `contact_id`'s primary `entity` rows
// ("Email", "Phone" or "Address"); none, without a query, for a contact this
// transaction created and has given no such row yet (store/txn_memo.h).
StatusOr<std::vector<Value>> PrimaryBlocks(api::ActionContext& ctx, const std::string& entity,
                                           int64_t contact_id, std::vector<std::string> select);

// Writes one location block (`entity` is "Email", "Phone" or "Address") of
// contact `contact_id`: `block` holds API fields; location_type_id may be an
// id or a name (default: the default location type). A block of a location
// type the contact already has updates that record; otherwise a record is
// created. Blocks without data (no email/phone/address field) are skipped.
// Returns the record id, or 0 when skipped.
StatusOr<int64_t> SaveLocationBlock(api::ActionContext& ctx, const std::string& entity,
                                    int64_t contact_id, const Value& block);

}  // namespace kith::entities
