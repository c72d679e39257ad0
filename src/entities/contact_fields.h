// The names a contact get returns in the v2/v3 dialects, and where each one
// comes from (a store path on Contact). The primary email, phone and address
// are joined; labels come beside ids.
#pragma once

#include <string>
#include <vector>

namespace kith::entities {

struct ContactReturnField {
  const char* key;   // name in the answer ("email", "state_province")
  const char* path;  // store path from Contact ("email_primary.email")
};

// Every returnable contact field, in the order answers list them.
const std::vector<ContactReturnField>& ContactReturnFields();

// The path of `key`, or nullptr when it is not a returnable field.
const char* ContactReturnPath(const std::string& key);

// CiviCRM 3.2's default field list of contact/get and contact/search.
const std::vector<std::string>& V2DefaultReturn();

}  // namespace kith::entities
