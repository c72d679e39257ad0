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
// code or id). Values never reach SQL text; fields only through the schema.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/query.h"

namespace kith::entities {

struct ContactFilterOptions {
  // 3.2 matches email by substring; v3 matches it exactly.
  bool email_substring = true;
  // A plain value containing '%' is a LIKE pattern (3.2's rule).
  bool percent_means_like = true;
};

struct ContactFilter {
  store::Condition condition = store::Condition::And();
  bool mentions_trash = false;        // is_deleted / contact_is_deleted was a criterion
  std::vector<std::string> unknown;   // criteria ignored because no field has that name
};

// Builds the condition of `criteria` (keys the caller reserves for other
// purposes must be removed first). kInvalidArgument for an unknown operator
// or a malformed operand (IN without a list, BETWEEN without two values).
StatusOr<ContactFilter> BuildContactFilter(const schema::Catalog& catalog, const Value& criteria,
                                           const ContactFilterOptions& options);

}  // namespace kith::entities
