// What contacts have through entity_table/entity_id links, which no foreign
// key carries: their tags (EntityTag) and notes (Note). The contact filters
// of every dialect find contacts by tag here, and a contact's permanent
// delete takes its tags and notes with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/action_registry.h"
#include "base/status.h"
#include "store/query.h"
#include "store/store.h"

namespace kith::entities {

inline constexpr const char* kContactTable = "civicrm_contact";

// The condition "the contact has one of `tag_ids`" (none of them when
// `negate`), answered from EntityTag's (tag_id, entity_id) index.
store::Condition TaggedWith(const std::vector<int64_t>& tag_ids, bool negate = false);

// What tagging or untagging records did: pairs (record, tag) asked for,
// changed, and left as they were (already tagged / not tagged).
struct TagCounts {
  int64_t total = 0;
  int64_t changed = 0;
  int64_t unchanged = 0;
};

// Tags (or, `removing`, untags) each record `entity_ids` of `entity_table`
// with each of `tag_ids`. An unknown tag is an error naming tag_id.
StatusOr<TagCounts> ChangeEntityTags(api::ActionContext& ctx, const std::string& entity_table,
                                     const std::vector<int64_t>& entity_ids,
                                     const std::vector<int64_t>& tag_ids, bool removing);

// The names of the tags of record `entity_id` of `entity_table`, in tag id
// order.
StatusOr<std::vector<std::string>> TagNames(store::Transaction& txn, const std::string& entity_table,
                                            int64_t entity_id);
// Their ids.
StatusOr<std::vector<int64_t>> TagIds(store::Transaction& txn, const std::string& entity_table,
                                      int64_t entity_id);

// Deletes the tags and notes of contact `contact_id` (before the contact
// itself is deleted for real).
Status DeleteContactTagsAndNotes(store::Transaction& txn, int64_t contact_id);

}  // namespace kith::entities
