// Relationship and RelationshipType rules, shared by every dialect
// (shared/PROTOCOL.md C.1.5, C.2.5, C.3.5).
//
// Relationship, before every write: both contacts exist and are not in the
// trash; their contact types and sub types fit the relationship type; the
// type exists and is enabled; end_date is not before start_date; no other
// active relationship of the same type between the same two contacts (either
// direction, as CiviCRM checks) overlaps it in time; created/modified dates.
// An "Employee of" relationship (the type whose name_a_b is "Employee of")
// that is current (active, not ended) makes contact B the current employer of
// contact A (Contact.employer_id); ending, disabling, moving or deleting it
// clears that employer unless another current one to the same employer
// remains.
//
// RelationshipType, before every write: name_a_b is required; names and
// labels default from each other as CiviCRM's BAO does; contact types are
// Individual, Household or Organization; names are unique.
//
// A refusal is a Status whose details carry "reason" (one of the kReason*
// constants) and the facts a dialect needs to word its own message
// ("error_field", "contact_id", "contact_type", "value"); the Status message
// is kith's neutral wording (used as is by dialects without their own).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/action_registry.h"
#include "api/records.h"

namespace kith::entities {

// A required field is missing. Details: error_field.
inline constexpr char kReasonRequired[] = "required";
// A contact does not exist or is in the trash. Details: error_field, contact_id.
inline constexpr char kReasonContactMissing[] = "contact_missing";
// A contact's type does not fit. Details: error_field, contact_id, contact_type (wanted).
inline constexpr char kReasonContactType[] = "contact_type_mismatch";
// A contact lacks the sub type the relationship type wants. Details:
// error_field, contact_id, contact_sub_type (wanted).
inline constexpr char kReasonContactSubType[] = "contact_sub_type_mismatch";
// The relationship type does not exist or is disabled. Details: value.
inline constexpr char kReasonTypeMissing[] = "relationship_type_missing";
// end_date is before start_date.
inline constexpr char kReasonDatesReversed[] = "dates_reversed";
// An overlapping active relationship exists. Details: error_code "duplicate",
// duplicate_id.
inline constexpr char kReasonDuplicate[] = "duplicate";
// A relationship type's contact_type_a/b is not a contact type. Details:
// error_field, value.
inline constexpr char kReasonBadContactType[] = "contact_type_invalid";
// A relationship type name is taken. Details: error_field, value.
inline constexpr char kReasonNameTaken[] = "name_taken";

// The name_a_b of the type whose relationships set a current employer.
inline constexpr char kEmployeeOf[] = "Employee of";

// Registers the before-write rules of Relationship and RelationshipType.
void RegisterRelationshipRules(api::RulesRegistry& rules);

// The reason a relationship rule gave (details "reason"), "" for other errors.
std::string RelationshipRefusalReason(const Status& status);

// What the rules need to know of a contact.
struct ContactKind {
  bool exists = false;   // exists and is not in the trash
  std::string type;      // contact_type ("" when it does not exist)
  std::vector<std::string> sub_types;
};
StatusOr<ContactKind> LoadContactKind(store::Transaction& txn, int64_t contact_id);

// The relationship type `id` with every column, or std::nullopt.
StatusOr<std::optional<Value>> LoadRelationshipType(store::Transaction& txn, int64_t id);

// The id of the first relationship type (by id) whose name_a_b or name_b_a
// is exactly `name`, or std::nullopt; disabled types count only with
// `include_disabled`.
StatusOr<std::optional<int64_t>> FindRelationshipTypeByName(store::Transaction& txn,
                                                            const std::string& name,
                                                            bool include_disabled);

// Deletes relationship `id`, clearing the current employer it made.
// kNotFound when there is none.
Status DeleteRelationship(api::ActionContext& ctx, int64_t id);

// Deletes relationship type `id` with all its relationships (as CiviCRM
// does), each through DeleteRelationship. kNotFound when there is none.
Status DeleteRelationshipType(api::ActionContext& ctx, int64_t id);

}  // namespace kith::entities
