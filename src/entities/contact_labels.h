// A contact's option labels (prefix, suffix, gender, ...) answered from the
// options kept in memory (api::OptionTable) instead of joining the option
// tables per label: the label of the option whose key is the text of the
// option field beside it. The v2 and v3 contact gets share it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/option_table.h"
#include "base/status.h"
#include "schema/schema.h"
#include "store/store.h"

namespace kith::entities {

// A label path ("gender_id:label") answered from memory: its option field
// (`source`, which the query selects instead) and that field's options.
struct ContactLabel {
  std::string source;
  const schema::Field* field;
  const api::OptionTable::Keyed* options;
};

// `path`'s ContactLabel when it is a label of a Contact field that `options`
// can answer as the store's join would (an option group of a plain field,
// no fixed list, no linked entity); nullopt otherwise (ask the store).
std::optional<ContactLabel> ContactLabelOf(const schema::Catalog& catalog, std::string_view path,
                                           const api::OptionTable& options);

// The label of the option whose key is `text`: a pointer into the kept
// options, or to `fetched` (read from the store when `text` is not for the
// kept options to compare); nullptr for none (or a NULL label), as the
// store's join answers NULL. `scratch` is working space.
StatusOr<const std::string*> ContactLabelText(store::Transaction& txn, const ContactLabel& label,
                                              std::string_view text, std::string& scratch,
                                              std::string& fetched);

}  // namespace kith::entities
