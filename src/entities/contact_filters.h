// Contact filters: the contact search criteria shared by the 3.2 search,
// APIv3 Contact.get and smart groups. Criteria are an object of
//   field -> value             (3.2/v3 matching rules, see ContactFilterOptions)
//   field -> {"OP": operand}   (APIv3 operators: = != <> > >= < <= IN, NOT IN,
//                               LIKE, NOT LIKE, BETWEEN, NOT BETWEEN,
//                               IS NULL, IS NOT NULL)
// Fields are contact columns, the aliases contact_id/id, contact_source,
// contact_is_deleted, gender/individual_prefix/individual_suffix (labels),
// and location criteria matched against any of the contact's records: email,
// phone, street_address, city, postal_code, postal_code_suffix,
// state_province(_id) (name, abbreviation or id), country(_id) (name, ISO
// code or id); and `group` (an id, a name or title, a list of them, the
// bracket form group[ID]=1, or {"IN"|"NOT IN"|"="|"!=": ...}): members of
// those groups through nesting and smart groups (group_membership.h); `tag`
// (the same forms, with tag ids, names or labels): contacts having one.
// custom_N filters on a custom field of contacts (custom_contact_values.h).
// Values never reach SQL text; fields only through the schema.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/query.h"
#include "store/store.h"

namespace kith::entities {

struct ContactFilterOptions {
  // 3.2 matches email by substring; v3 matches it exactly.
  bool email_substring = true;
  // A plain value containing '%' is a LIKE pattern (3.2's rule).
  bool percent_means_like = true;
  // What `group` criteria read the group tree and smart groups through; a
  // `group` criterion without one is an error.
  store::Transaction* txn = nullptr;
  // Smart groups whose criteria are being expanded (group_membership.h).
  std::vector<int64_t> smart_chain;
};

struct ContactFilter {
  store::Condition condition = store::Condition::And();
  bool mentions_trash = false;        // is_deleted / contact_is_deleted was a criterion
  std::vector<std::string> unknown;   // criteria ignored because no field has that name
};

// Builds the condition of `criteria` (keys the caller reserves for other
// purposes must be removed first). kInvalidArgument for an unknown operator
// or a malformed operand (IN without a list, BETWEEN without two values), and
// for smart groups whose criteria refer to themselves.
StatusOr<ContactFilter> BuildContactFilter(const schema::Catalog& catalog, const Value& criteria,
                                           const ContactFilterOptions& options);

}  // namespace kith::entities
