// Reference data with CiviCRM's ids (countries, states, location types,
// option values, ...), embedded in the binary from data/reference/*.tsv so a
// fresh data directory needs no other file.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace kith::store {

// (file name, tab-separated content with a header line; "NULL" = SQL NULL).
const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedReferenceFiles();

// Inserts the rows of `file` (e.g. "country.tsv") into `entity`, keeping ids.
// Column "option_group" (a name) is turned into option_group_id.
Status SeedReferenceFile(Transaction& txn, std::string_view file, std::string_view entity);

}  // namespace kith::store
